//! Event contracts of dossierflow: what travels on the topics.
//!
//! Every record is a CloudEvents 1.0 event in Kafka *binary mode*: the record value is
//! the JSON `data`, the attributes travel as `ce_*` headers and the key is the dossier id,
//! so each dossier's events stay ordered on one partition.
//!
//! # Layout
//! - [`envelope`]: the [`Envelope`] and its mapping to and from record headers.
//! - [`events`]: one payload type per event type, each tied to its topic by [`Event`].
//! - [`topics`]: topic names (base names; deployments may add a prefix).
//!
//! Every payload has a JSON Schema in `schemas/json/` and a sample in `schemas/samples/`;
//! the tests validate each sample against its schema and round-trip it through the type.
//! Wire structs are plain strings and numbers: parsing into domain types happens once,
//! in the stage that consumes them.

pub mod envelope;
pub mod events;
pub mod topics;

pub use envelope::{DecodeError, Envelope, Event, SPEC_VERSION};
pub use events::*;
