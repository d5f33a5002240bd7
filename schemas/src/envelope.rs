//! The CloudEvents envelope and its Kafka binary-mode header mapping.
//!
//! Written by hand (about forty lines of mapping) rather than with `cloudevents-sdk`,
//! whose rdkafka feature pins another rdkafka version.

use chrono::{DateTime, SecondsFormat, Utc};
use serde::{Serialize, de::DeserializeOwned};
use uuid::Uuid;

/// The CloudEvents specification version we emit.
pub const SPEC_VERSION: &str = "1.0";
/// The content type of every record value.
pub const CONTENT_TYPE: &str = "application/json";

/// A payload type bound to its CloudEvents type and topic.
pub trait Event: Serialize + DeserializeOwned {
    /// CloudEvents `type`, equal to the base topic name (e.g. `dossier.submitted.v1`).
    const TYPE: &'static str;
    /// Whether the payload carries personal data: such events are sealed while they wait
    /// in the outbox (see `outbox::append_sealed` in the runtime crate).
    const SENSITIVE: bool = false;
    /// The dossier this event belongs to: the record key.
    fn dossier_id(&self) -> Uuid;
    /// The form kept in the dossier's event history. Events that carry personal data
    /// override it to keep only what an audit trail needs (masked ID, no name or date).
    fn history(&self) -> serde_json::Value {
        serde_json::to_value(self).unwrap_or(serde_json::Value::Null)
    }
}

/// One event: attributes plus data.
#[derive(Debug, Clone, PartialEq)]
pub struct Envelope<T> {
    /// Unique event id (UUIDv7): consumers de-duplicate on it.
    pub id: Uuid,
    /// Who emitted it, e.g. `/dossierflow/verify`.
    pub source: String,
    /// CloudEvents `type`.
    pub ty: String,
    /// When the fact happened.
    pub time: DateTime<Utc>,
    /// The payload.
    pub data: T,
}

/// Why a record could not be decoded into an event. Never contains the payload.
#[derive(Debug, thiserror::Error)]
pub enum DecodeError {
    /// A required `ce_*` header is absent.
    #[error("missing header {0}")]
    MissingHeader(&'static str),
    /// A header is present but unusable.
    #[error("header {name} is invalid: {reason}")]
    BadHeader {
        /// Header name.
        name: &'static str,
        /// What is wrong with it.
        reason: String,
    },
    /// The record is of another type or version than this consumer reads.
    #[error("unexpected event type {found:?}, expected {expected}")]
    WrongType {
        /// The `ce_type` found.
        found: String,
        /// The type this consumer reads.
        expected: &'static str,
    },
    /// The value is not valid JSON for this type (serde's message names the field only).
    #[error("payload does not match {ty}: {reason}")]
    BadPayload {
        /// The event type.
        ty: &'static str,
        /// serde's reason: a field name and position, no values.
        reason: String,
    },
}

impl<T: Event> Envelope<T> {
    /// A new event with a fresh UUIDv7 id and the current time.
    pub fn new(source: impl Into<String>, data: T) -> Self {
        Self {
            id: Uuid::now_v7(),
            source: source.into(),
            ty: T::TYPE.to_owned(),
            time: Utc::now(),
            data,
        }
    }

    /// The record key: the dossier id.
    pub fn key(&self) -> String {
        self.data.dossier_id().to_string()
    }

    /// The record value: the JSON data.
    pub fn value(&self) -> Vec<u8> {
        // Serialising plain structs of strings and numbers cannot fail.
        serde_json::to_vec(&self.data).unwrap_or_default()
    }

    /// The binary-mode headers.
    pub fn headers(&self) -> Vec<(&'static str, String)> {
        attribute_headers(self.id, &self.source, &self.ty, self.time)
    }

    /// Decodes a record: headers as (name, bytes) pairs and the value.
    pub fn decode<'a>(
        headers: impl IntoIterator<Item = (&'a str, &'a [u8])>,
        value: &[u8],
    ) -> Result<Self, DecodeError> {
        let attrs = Attributes::from_headers(headers)?;
        if attrs.ty != T::TYPE {
            return Err(DecodeError::WrongType {
                found: attrs.ty,
                expected: T::TYPE,
            });
        }
        let data = serde_json::from_slice(value).map_err(|e| DecodeError::BadPayload {
            ty: T::TYPE,
            reason: redact_serde(&e),
        })?;
        Ok(Self {
            id: attrs.id,
            source: attrs.source,
            ty: attrs.ty,
            time: attrs.time,
            data,
        })
    }
}

/// The `ce_*` headers of an event, built from its attributes.
pub fn attribute_headers(
    id: Uuid,
    source: &str,
    ty: &str,
    time: DateTime<Utc>,
) -> Vec<(&'static str, String)> {
    vec![
        ("ce_specversion", SPEC_VERSION.to_owned()),
        ("ce_id", id.to_string()),
        ("ce_source", source.to_owned()),
        ("ce_type", ty.to_owned()),
        ("ce_time", time.to_rfc3339_opts(SecondsFormat::Micros, true)),
        ("content-type", CONTENT_TYPE.to_owned()),
    ]
}

/// The attributes of a record, whatever its type.
#[derive(Debug, Clone)]
pub struct Attributes {
    /// `ce_id`.
    pub id: Uuid,
    /// `ce_source`.
    pub source: String,
    /// `ce_type`.
    pub ty: String,
    /// `ce_time`.
    pub time: DateTime<Utc>,
}

impl Attributes {
    /// Reads and checks the `ce_*` headers.
    pub fn from_headers<'a>(
        headers: impl IntoIterator<Item = (&'a str, &'a [u8])>,
    ) -> Result<Self, DecodeError> {
        let (mut id, mut source, mut ty, mut time, mut spec) = (None, None, None, None, None);
        for (name, bytes) in headers {
            let slot = match name {
                "ce_id" => &mut id,
                "ce_source" => &mut source,
                "ce_type" => &mut ty,
                "ce_time" => &mut time,
                "ce_specversion" => &mut spec,
                _ => continue,
            };
            *slot = Some(String::from_utf8_lossy(bytes).into_owned());
        }
        let spec = spec.ok_or(DecodeError::MissingHeader("ce_specversion"))?;
        if spec != SPEC_VERSION {
            return Err(DecodeError::BadHeader {
                name: "ce_specversion",
                reason: format!("unsupported version {spec:?}"),
            });
        }
        let id = id.ok_or(DecodeError::MissingHeader("ce_id"))?;
        let time = time.ok_or(DecodeError::MissingHeader("ce_time"))?;
        Ok(Self {
            id: Uuid::parse_str(&id).map_err(|e| DecodeError::BadHeader {
                name: "ce_id",
                reason: e.to_string(),
            })?,
            source: source.ok_or(DecodeError::MissingHeader("ce_source"))?,
            ty: ty.ok_or(DecodeError::MissingHeader("ce_type"))?,
            time: DateTime::parse_from_rfc3339(&time)
                .map_err(|e| DecodeError::BadHeader {
                    name: "ce_time",
                    reason: e.to_string(),
                })?
                .with_timezone(&Utc),
        })
    }
}

/// serde_json errors can quote input ("invalid value: string \"…\""): keep only the
/// category and position so a payload with personal data never reaches a log.
fn redact_serde(e: &serde_json::Error) -> String {
    let what = match e.classify() {
        serde_json::error::Category::Io => "I/O error",
        serde_json::error::Category::Syntax => "malformed JSON",
        serde_json::error::Category::Data => "wrong shape or missing field",
        serde_json::error::Category::Eof => "truncated JSON",
    };
    let msg = e.to_string();
    // Only "missing field `x`" / "unknown field `x`" quote a field name; every other
    // message quotes a value (e.g. "invalid type: integer `…`").
    let field = ["missing field `", "unknown field `"]
        .iter()
        .find_map(|p| msg.strip_prefix(p))
        .and_then(|rest| rest.split('`').next())
        .filter(|f| f.chars().all(|c| c.is_ascii_alphanumeric() || c == '_'));
    match field {
        Some(f) => format!(
            "{what} (field `{f}`) at line {} column {}",
            e.line(),
            e.column()
        ),
        None => format!("{what} at line {} column {}", e.line(), e.column()),
    }
}
