//! The canonical serialisation of a row and its hash: the contract between [`crate::append`],
//! [`crate::verify_chain`] and any outside verifier.
//!
//! `row_hash = hex(SHA-256(bytes))` where `bytes` is the compact JSON array (serde_json
//! output: no whitespace, UTF-8, only the escapes JSON requires) of, in this order:
//!
//! ```text
//! ["lookup_audit/v1", seq, at, actor, unit, purpose_dossier, purpose_procedure, channel,
//!  request_id, attempt, id_masked, id_hmac, [fields_requested…], [fields_returned…],
//!  outcome, latency_ms, prev_hash]
//! ```
//!
//! `seq`, `attempt` and `latency_ms` are JSON integers; `at` is RFC 3339 in UTC with
//! exactly six fractional digits (`2026-11-27T08:00:00.123456Z`, PostgreSQL's
//! precision); `purpose_dossier` is the lower-case hyphenated UUID or `null`. The version
//! tag leads so that a future layout cannot be confused with this one.

use chrono::{DateTime, SecondsFormat, Utc};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use uuid::Uuid;

/// `prev_hash` of the first row: 64 zeros.
pub const GENESIS_HASH: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// Version tag, first element of every serialisation.
const LAYOUT: &str = "lookup_audit/v1";

/// Every column of a row except `row_hash`, borrowed, in the order they are hashed.
#[derive(Debug, Clone, Copy)]
pub struct CanonicalRow<'a> {
    /// `seq`.
    pub seq: i64,
    /// `at` (hashed at microsecond precision).
    pub at: DateTime<Utc>,
    /// `actor`.
    pub actor: &'a str,
    /// `unit`.
    pub unit: &'a str,
    /// `purpose_dossier`.
    pub purpose_dossier: Option<Uuid>,
    /// `purpose_procedure`.
    pub purpose_procedure: &'a str,
    /// `channel`.
    pub channel: &'a str,
    /// `request_id`.
    pub request_id: &'a str,
    /// `attempt`.
    pub attempt: i32,
    /// `id_masked`.
    pub id_masked: &'a str,
    /// `id_hmac`.
    pub id_hmac: &'a str,
    /// `fields_requested`.
    pub fields_requested: &'a [String],
    /// `fields_returned`.
    pub fields_returned: &'a [String],
    /// `outcome`.
    pub outcome: &'a str,
    /// `latency_ms`.
    pub latency_ms: i32,
    /// `prev_hash`: the previous row's `row_hash`, or [`GENESIS_HASH`].
    pub prev_hash: &'a str,
}

impl CanonicalRow<'_> {
    /// The exact bytes that are hashed.
    pub fn to_bytes(&self) -> Vec<u8> {
        let value: Value = json!([
            LAYOUT,
            self.seq,
            self.at.to_rfc3339_opts(SecondsFormat::Micros, true),
            self.actor,
            self.unit,
            self.purpose_dossier.map(|u| u.hyphenated().to_string()),
            self.purpose_procedure,
            self.channel,
            self.request_id,
            self.attempt,
            self.id_masked,
            self.id_hmac,
            self.fields_requested,
            self.fields_returned,
            self.outcome,
            self.latency_ms,
            self.prev_hash,
        ]);
        // A `Value` built from strings and integers always serialises.
        serde_json::to_vec(&value).unwrap_or_default()
    }
}

/// `hex(SHA-256(canonical bytes))` of a row.
pub fn row_hash(row: &CanonicalRow<'_>) -> String {
    hex::encode(Sha256::digest(row.to_bytes()))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use chrono::TimeZone;

    use super::*;

    fn row(fields: &[String]) -> CanonicalRow<'_> {
        CanonicalRow {
            seq: 7,
            at: Utc.with_ymd_and_hms(2026, 11, 27, 8, 0, 0).unwrap(),
            actor: "canbo01",
            unit: "000.00.13.H43",
            purpose_dossier: None,
            purpose_procedure: "1.004036",
            channel: "pipeline",
            request_id: "req-\"1\"",
            attempt: 2,
            id_masked: "0251******87",
            id_hmac: "ab",
            fields_requested: fields,
            fields_returned: &[],
            outcome: "found",
            latency_ms: 15,
            prev_hash: GENESIS_HASH,
        }
    }

    #[test]
    fn layout_is_stable() {
        let fields = vec!["full_name".to_owned()];
        let text = String::from_utf8(row(&fields).to_bytes()).unwrap();
        assert_eq!(
            text,
            format!(
                "[\"lookup_audit/v1\",7,\"2026-11-27T08:00:00.000000Z\",\"canbo01\",\
                 \"000.00.13.H43\",null,\"1.004036\",\"pipeline\",\"req-\\\"1\\\"\",2,\
                 \"0251******87\",\"ab\",[\"full_name\"],[],\"found\",15,\"{GENESIS_HASH}\"]"
            )
        );
    }

    #[test]
    fn every_column_changes_the_hash() {
        let fields = vec!["full_name".to_owned()];
        let base = row(&fields);
        let h = row_hash(&base);
        let moved = vec!["birth_date".to_owned()];
        let variants = [
            CanonicalRow { seq: 8, ..base },
            CanonicalRow {
                outcome: "not_found",
                ..base
            },
            CanonicalRow {
                purpose_dossier: Some(Uuid::nil()),
                ..base
            },
            CanonicalRow {
                fields_requested: &[],
                fields_returned: &fields,
                ..base
            },
            CanonicalRow {
                fields_requested: &moved,
                ..base
            },
            CanonicalRow {
                prev_hash: "1",
                ..base
            },
        ];
        for v in variants {
            assert_ne!(row_hash(&v), h, "{v:?}");
        }
    }
}
