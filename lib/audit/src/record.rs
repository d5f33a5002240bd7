//! [`LookupRecord`]: what the caller logs about one lookup attempt, and its validation.

use std::fmt;

use uuid::Uuid;

use crate::AuditError;

/// The lookup was made by the pipeline's verify stage.
pub const CHANNEL_PIPELINE: &str = "pipeline";
/// The lookup was made while syncing with the national / provincial portal.
pub const CHANNEL_PORTAL_SYNC: &str = "portal_sync";

/// Longest accepted field name or outcome.
const MAX_NAME_LEN: usize = 64;

/// One CSDLQG lookup attempt, as the caller knows it. `id_digits` is used only to build
/// the mask and the HMAC: it is never stored, logged or printed (`Debug` shows the mask).
#[derive(Clone)]
pub struct LookupRecord {
    /// Officer code (`MaCanBo`), or `citizen-self` when the citizen looked themself up.
    pub actor: String,
    /// Agency e-identifier (`MaDonVi`) on whose behalf the lookup was made.
    pub unit: String,
    /// The dossier the lookup serves, when there is one (the purpose).
    pub dossier_id: Option<Uuid>,
    /// Procedure code (`MaDVC`) the lookup serves (the purpose).
    pub procedure: String,
    /// [`CHANNEL_PIPELINE`] or [`CHANNEL_PORTAL_SYNC`].
    pub channel: &'static str,
    /// `MaYeuCau`, the request id sent to CSDLQG.
    pub request_id: String,
    /// Attempt number for this request id, starting at 1.
    pub attempt: i32,
    /// The citizen's full ID (9 or 12 digits): masked and HMAC'd, never stored.
    pub id_digits: String,
    /// Names of the fields asked for (e.g. `full_name`), never values.
    pub fields_requested: Vec<String>,
    /// Names of the fields delivered, never values.
    pub fields_returned: Vec<String>,
    /// `found`, `not_found`, `transient`, `not_authorised`, `permanent`, `circuit_open`…
    /// (lower-case identifier).
    pub outcome: String,
    /// Time the attempt took, in milliseconds.
    pub latency_ms: i32,
}

impl fmt::Debug for LookupRecord {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let id = crate::mask_id(&self.id_digits).unwrap_or_else(|_| "<invalid>".to_owned());
        f.debug_struct("LookupRecord")
            .field("actor", &self.actor)
            .field("unit", &self.unit)
            .field("dossier_id", &self.dossier_id)
            .field("procedure", &self.procedure)
            .field("channel", &self.channel)
            .field("request_id", &self.request_id)
            .field("attempt", &self.attempt)
            .field("id", &id)
            .field("fields_requested", &self.fields_requested)
            .field("fields_returned", &self.fields_returned)
            .field("outcome", &self.outcome)
            .field("latency_ms", &self.latency_ms)
            .finish()
    }
}

impl LookupRecord {
    /// Checks every rule [`crate::append`] relies on, before anything reaches the database.
    pub(crate) fn validate(&self) -> Result<(), AuditError> {
        crate::mask_id(&self.id_digits)?;
        if self.channel != CHANNEL_PIPELINE && self.channel != CHANNEL_PORTAL_SYNC {
            return Err(AuditError::InvalidChannel);
        }
        let texts = [
            ("actor", &self.actor),
            ("unit", &self.unit),
            ("procedure", &self.procedure),
            ("request_id", &self.request_id),
        ];
        for (field, value) in texts {
            if value.trim().is_empty() {
                return Err(invalid(field, "must not be empty"));
            }
            if value.contains(self.id_digits.as_str()) {
                return Err(AuditError::IdInPlaintext { column: field });
            }
        }
        if self.attempt < 1 {
            return Err(invalid("attempt", "must be 1 or more"));
        }
        if self.latency_ms < 0 {
            return Err(invalid("latency_ms", "must not be negative"));
        }
        if !is_outcome(&self.outcome) {
            return Err(invalid("outcome", "must be a lower-case identifier"));
        }
        let names = [
            ("fields_requested", &self.fields_requested),
            ("fields_returned", &self.fields_returned),
        ];
        for (field, list) in names {
            if !list.iter().all(|n| is_field_name(n)) {
                return Err(invalid(
                    field,
                    "must hold field names (identifiers), not values",
                ));
            }
        }
        Ok(())
    }
}

fn invalid(field: &'static str, rule: &'static str) -> AuditError {
    AuditError::InvalidField { field, rule }
}

/// A field name: ASCII letter first, then letters, digits, `_` or `.`. Excludes values
/// such as IDs (digits first), names (spaces, accents) and dates (`-`, `/`).
fn is_field_name(name: &str) -> bool {
    let mut bytes = name.bytes();
    name.len() <= MAX_NAME_LEN
        && bytes.next().is_some_and(|b| b.is_ascii_alphabetic())
        && bytes.all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'.')
}

/// An outcome: `[a-z][a-z0-9_]*`, as the table's CHECK constraint requires.
fn is_outcome(outcome: &str) -> bool {
    let mut bytes = outcome.bytes();
    outcome.len() <= MAX_NAME_LEN
        && bytes.next().is_some_and(|b| b.is_ascii_lowercase())
        && bytes.all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    fn record() -> LookupRecord {
        LookupRecord {
            actor: "canbo01".into(),
            unit: "000.00.13.H43".into(),
            dossier_id: Some(Uuid::nil()),
            procedure: "1.004036".into(),
            channel: CHANNEL_PIPELINE,
            request_id: "req-1".into(),
            attempt: 1,
            id_digits: "025199001287".into(),
            fields_requested: vec!["full_name".into(), "birth_date".into()],
            fields_returned: vec!["full_name".into()],
            outcome: "found".into(),
            latency_ms: 12,
        }
    }

    #[test]
    fn a_good_record_passes() {
        record().validate().unwrap();
    }

    #[test]
    fn debug_shows_only_the_mask() {
        let shown = format!("{:?}", record());
        assert!(!shown.contains("025199001287"), "{shown}");
        assert!(shown.contains("0251******87"), "{shown}");
    }

    type Mutation = fn(&mut LookupRecord);

    #[test]
    fn refuses_bad_records() {
        let cases: Vec<(Mutation, &str)> = vec![
            (|r| r.id_digits = "12345".into(), "id"),
            (|r| r.channel = "sms", "channel"),
            (|r| r.actor = " ".into(), "actor"),
            (|r| r.request_id = "q-025199001287".into(), "request_id"),
            (|r| r.attempt = 0, "attempt"),
            (|r| r.latency_ms = -1, "latency_ms"),
            (|r| r.outcome = "Found it".into(), "outcome"),
            (
                |r| r.fields_requested.push("025199001287".into()),
                "fields_requested",
            ),
            (
                |r| r.fields_returned.push("Nguyễn Văn A".into()),
                "fields_returned",
            ),
        ];
        for (mutate, what) in cases {
            let mut r = record();
            mutate(&mut r);
            assert!(r.validate().is_err(), "{what} should be refused");
        }
    }
}
