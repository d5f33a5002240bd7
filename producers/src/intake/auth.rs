//! Portal clients' bearer tokens (stored as SHA-256 digests, compared in constant time),
//! the middleware that requires one on the portal's endpoints, and the per-officer lookup
//! rate limit.
//!
//! `POST /v1/dossiers` and `GET /v1/dossiers/{id}` pass through [`require_portal_client`]:
//! a request without a bearer token, or with one no configured client holds, gets `401`
//! with the API's JSON error body and `WWW-Authenticate: Bearer`; otherwise the handler
//! runs inside a `portal_request` span naming the client (a configured name, never a
//! token), and the name is available to handlers as the [`PortalClient`] extension.
//! Several digests may carry the same client name, so a client's old and new token are
//! both accepted while it rotates (see `docs/security.md`).

use std::num::NonZeroU32;
use std::sync::Arc;
use std::time::Duration;

use axum::extract::{Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::Response;
use governor::clock::{Clock, DefaultClock};
use governor::state::keyed::HashMapStateStore;
use governor::{Quota, RateLimiter};
use tracing::Instrument;

use super::api::error;

pub use dossierflow_runtime::tokens::BearerDigests as PortalAuth;

/// The authenticated portal client of a request (its configured name).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PortalClient(pub String);

/// Middleware: admits only requests bearing a configured portal token.
pub async fn require_portal_client(
    State(auth): State<Arc<PortalAuth>>,
    mut request: Request,
    next: Next,
) -> Response {
    let Some(client) = auth.authenticate(request.headers()) else {
        tracing::info!(path = %request.uri().path(), "portal request refused: missing or unknown bearer token");
        return unauthenticated();
    };
    let span = tracing::info_span!("portal_request", client = %client);
    request.extensions_mut().insert(PortalClient(client));
    next.run(request).instrument(span).await
}

/// `401` for a portal request: the JSON error body and the `WWW-Authenticate` challenge.
pub fn unauthenticated() -> Response {
    challenge("send Authorization: Bearer <portal token>")
}

/// `401` with the JSON error body (`unauthenticated`, `message`) and the
/// `WWW-Authenticate: Bearer` challenge RFC 9110 requires on every 401.
pub fn challenge(message: &'static str) -> Response {
    let mut response = error(StatusCode::UNAUTHORIZED, "unauthenticated", message, vec![]);
    response
        .headers_mut()
        .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
    response
}

/// Declares the portal clients' bearer token in the OpenAPI document, requires it on
/// the endpoints [`require_portal_client`] guards (and the citizen lookups, which check
/// it themselves) and documents their `401`.
pub struct PortalTokenScheme;

/// The operations that require a portal token: (path, method).
pub const PORTAL_OPERATIONS: [(&str, &str); 3] = [
    ("/v1/dossiers", "post"),
    ("/v1/dossiers/{id}", "get"),
    ("/v1/citizen-lookups", "post"),
];

impl utoipa::Modify for PortalTokenScheme {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::security::{
            Http, HttpAuthScheme, SecurityRequirement, SecurityScheme,
        };
        use utoipa::openapi::{Content, Ref, ResponseBuilder};
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "portal_token",
            SecurityScheme::Http(Http::new(HttpAuthScheme::Bearer)),
        );
        for (path, method) in PORTAL_OPERATIONS {
            let Some(item) = openapi.paths.paths.get_mut(path) else {
                continue;
            };
            let operation = match method {
                "get" => item.get.as_mut(),
                _ => item.post.as_mut(),
            };
            let Some(operation) = operation else { continue };
            operation.security = Some(vec![SecurityRequirement::new(
                "portal_token",
                Vec::<String>::new(),
            )]);
            let unauthorized = ResponseBuilder::new()
                .description("Missing or unknown portal token (`WWW-Authenticate: Bearer`)")
                .content(
                    "application/json",
                    Content::new(Some(Ref::from_schema_name("ErrorBody"))),
                )
                .build();
            operation
                .responses
                .responses
                .entry("401".into())
                .or_insert(unauthorized.into());
        }
    }
}

/// Lookups per minute allowed to each (portal client, officer).
pub struct OfficerLimit {
    limiter: RateLimiter<String, HashMapStateStore<String>, DefaultClock>,
    clock: DefaultClock,
}

impl OfficerLimit {
    /// `per_minute` lookups, with a burst of the same size.
    pub fn per_minute(per_minute: u32) -> Self {
        let n = NonZeroU32::new(per_minute.max(1)).unwrap_or(NonZeroU32::MIN);
        Self {
            limiter: RateLimiter::hashmap(Quota::per_minute(n)),
            clock: DefaultClock::default(),
        }
    }

    /// `Err(wait)` when `key` has used its quota.
    pub fn check(&self, key: &str) -> Result<(), Duration> {
        self.limiter
            .check_key(&key.to_owned())
            .map_err(|not_until| not_until.wait_time_from(self.clock.now()))
    }
}

#[cfg(test)]
#[path = "auth_tests.rs"]
mod tests;
