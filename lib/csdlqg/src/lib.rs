//! Client for the National Population Database (CSDLQG, *Cơ sở dữ liệu quốc gia
//! về dân cư*) and a simulator of it.
//!
//! The pipeline sees CSDLQG through one port, [`PopulationRegistry`]: give it a
//! [`LookupRequest`] (ID, name, date of birth, procedure), get back the
//! [`CitizenRecord`] held for that ID, `None` when there is none, or a
//! [`LookupError`] classified as transient, not authorised or permanent.
//! [`compare()`] then decides, purely, whether the declaration is
//! [`Outcome::Verified`]. The port exists because the transport will change
//! (Decree 278/2025 moves inter-agency sharing to a national platform by end
//! 2026); [`SoapClient`] is today's adapter, SOAP 1.1 `TraCuuThongTinCongDan`.
//!
//! Personal data never reaches logs or error messages: requests and records
//! have redacted `Debug`, IDs are logged masked, and errors describe
//! elements and statuses, never values.
//!
//! # Layout
//!
//! - [`model`]: request and record types.
//! - [`error`]: [`LookupError`] and its classes.
//! - [`compare`](mod@compare): declaration vs record → [`Outcome`].
//! - `wire`: SOAP envelopes, built and parsed without I/O (shared with the simulator).
//! - `classify`: HTTP status + body → result.
//! - [`client`]: [`SoapClient`], the reqwest adapter.
//! - [`gateway`]: [`GatewayClient`], the province-gateway JSON adapter.
//! - [`resilience`]: [`Resilient`], retries, retry budget, rate limit, circuit breaker, cache.
//! - [`sim`]: an axum server answering the same SOAP over a synthetic population.

#![cfg_attr(test, allow(clippy::unwrap_used))]

pub mod client;
pub mod compare;
pub mod error;
pub mod gateway;
pub mod minimise;
pub mod model;
pub mod procedure_map;
pub mod resilience;
pub mod sim;

// Public only for the fuzz targets in `fuzz/` (hidden from the API docs).
#[doc(hidden)]
pub mod classify;
#[doc(hidden)]
pub mod wire;

pub use client::{SoapClient, SoapConfig};
pub use compare::{MismatchField, Outcome, compare};
pub use error::LookupError;
pub use gateway::{GatewayClient, GatewayConfig};
pub use model::{Address, CitizenRecord, LookupContext, LookupRequest, Relative};
pub use procedure_map::ProcedureMap;
pub use resilience::{
    AttemptEvent, BreakerConfig, BreakerState, LookupObserver, NoopObserver, ResilienceConfig,
    Resilient,
};

/// The population-database port: look a citizen up by ID.
#[async_trait::async_trait]
pub trait PopulationRegistry: Send + Sync {
    /// Returns the record held for `req.id`, `Ok(None)` when CSDLQG has none
    /// (empty `CongdanCollection`). Name and birth date are sent along but
    /// not matched here: use [`compare()`].
    async fn lookup(&self, req: &LookupRequest) -> Result<Option<CitizenRecord>, LookupError>;
}

#[async_trait::async_trait]
impl<T: PopulationRegistry + ?Sized> PopulationRegistry for std::sync::Arc<T> {
    async fn lookup(&self, req: &LookupRequest) -> Result<Option<CitizenRecord>, LookupError> {
        (**self).lookup(req).await
    }
}
