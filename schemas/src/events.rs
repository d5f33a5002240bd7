//! Payload types, one per event type. Plain wire structs: strings, numbers, UUIDs.
//!
//! Only `dossier.submitted.v1` carries personal data (the applicant as typed on the
//! form, which the verifier needs); every later event carries ids and non-sensitive
//! metadata, and agencies fetch personal data under their own authorisation.

use std::fmt;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::envelope::Event;

macro_rules! event {
    ($ty:ty, $name:expr) => {
        impl Event for $ty {
            const TYPE: &'static str = $name;
            fn dossier_id(&self) -> Uuid {
                self.dossier_id
            }
        }
    };
}

/// `dossier.submitted.v1`: a dossier accepted at intake.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SubmittedV1 {
    /// Dossier id (UUIDv7), assigned at intake.
    pub dossier_id: Uuid,
    /// National procedure code.
    pub procedure_code: String,
    /// When the portal accepted the submission.
    pub submitted_at: DateTime<Utc>,
    /// The applicant as typed on the form.
    pub applicant: ApplicantV1,
    /// The receiving unit chosen at submission ("Đơn vị nhận"), an agency e-identifier.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub receiving_unit: Option<String>,
}
impl Event for SubmittedV1 {
    const TYPE: &'static str = "dossier.submitted.v1";
    const SENSITIVE: bool = true;
    fn dossier_id(&self) -> Uuid {
        self.dossier_id
    }
    fn history(&self) -> serde_json::Value {
        let id = &self.applicant.id_number;
        let masked = if id.len() > 6 && id.is_ascii() {
            format!(
                "{}{}{}",
                &id[..4],
                "*".repeat(id.len() - 6),
                &id[id.len() - 2..]
            )
        } else {
            "*".repeat(id.len())
        };
        serde_json::json!({
            "dossier_id": self.dossier_id,
            "procedure_code": self.procedure_code,
            "submitted_at": self.submitted_at,
            "applicant": {
                "id_number_masked": masked,
                "has_phone": self.applicant.phone.is_some(),
                "has_email": self.applicant.email.is_some(),
            },
            "receiving_unit": self.receiving_unit,
        })
    }
}

/// The applicant of a submitted dossier. `Debug` prints no personal data.
#[derive(Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ApplicantV1 {
    /// Full name.
    pub full_name: String,
    /// 12-digit CCCD or 9-digit CMND.
    pub id_number: String,
    /// `DD/MM/YYYY` or `YYYY`.
    pub birth_date: String,
    /// Mobile number, normalised `0xxxxxxxxx`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phone: Option<String>,
    /// E-mail address.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
}

impl fmt::Debug for ApplicantV1 {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ApplicantV1")
            .field("has_phone", &self.phone.is_some())
            .field("has_email", &self.email.is_some())
            .finish_non_exhaustive()
    }
}

/// Result of the CSDLQG lookup.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum VerificationOutcome {
    /// Name, ID and date of birth all match the population record.
    Verified,
    /// A record was found but some submitted fields differ.
    Mismatch,
    /// No citizen with that ID.
    NotFound,
}

impl VerificationOutcome {
    /// The snake_case name, as stored and used in metric labels.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Verified => "verified",
            Self::Mismatch => "mismatch",
            Self::NotFound => "not_found",
        }
    }
}

/// `dossier.verified.v1`: the applicant was looked up in CSDLQG.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VerifiedV1 {
    /// Dossier id.
    pub dossier_id: Uuid,
    /// Outcome.
    pub outcome: VerificationOutcome,
    /// Which submitted fields differ (`name`, `birth_date`, `id`), when `mismatch`.
    #[serde(default)]
    pub mismatched_fields: Vec<String>,
    /// The CSDLQG request id (`MaYeuCau`), for correlation with the lookup audit.
    pub request_id: String,
    /// When the lookup finished.
    pub verified_at: DateTime<Utc>,
}
event!(VerifiedV1, "dossier.verified.v1");

/// `dossier.enriched.v1`: citizen data the procedure needs was stored with the dossier.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EnrichedV1 {
    /// Dossier id.
    pub dossier_id: Uuid,
    /// National procedure code.
    pub procedure_code: String,
    /// Names of the citizen fields kept (values stay in the database).
    pub fields: Vec<String>,
    /// Current (post-2025) commune code of the permanent residence, when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub residence_commune: Option<String>,
    /// The receiving unit chosen at submission, when any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub receiving_unit: Option<String>,
}
event!(EnrichedV1, "dossier.enriched.v1");

/// `dossier.routed.v1` (also the record on `agency.<e-id>.dossiers.v1`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RoutedV1 {
    /// Dossier id.
    pub dossier_id: Uuid,
    /// Dossier code `{agency}-{yyMMdd}-{NNNN}`.
    pub dossier_code: String,
    /// The responsible agency's e-identifier.
    pub agency_id: String,
    /// National procedure code.
    pub procedure_code: String,
    /// Reception time (start of the processing clock).
    pub received_at: DateTime<Utc>,
    /// Due date (ngày hẹn trả).
    pub due_at: DateTime<Utc>,
}
event!(RoutedV1, "dossier.routed.v1");

/// `dossier.triage.v1`: no agency could be chosen automatically.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TriageV1 {
    /// Dossier id.
    pub dossier_id: Uuid,
    /// National procedure code.
    pub procedure_code: String,
    /// Why routing failed, for the officer.
    pub reason: String,
}
event!(TriageV1, "dossier.triage.v1");

/// `dossier.status.v1`: a status change (national codes 1–10).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StatusV1 {
    /// Dossier id.
    pub dossier_id: Uuid,
    /// Dossier code, once assigned at reception.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dossier_code: Option<String>,
    /// New national status code (1–10).
    pub status_code: u8,
    /// New status, snake_case English name.
    pub status: String,
    /// Previous status code, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub previous_code: Option<u8>,
    /// Reason shown to the citizen (refusal, supplement…).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// Due date, when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub due_at: Option<DateTime<Utc>>,
    /// When the status changed.
    pub changed_at: DateTime<Utc>,
}
event!(StatusV1, "dossier.status.v1");

/// `notification.requested.v1`: one message to send on one channel.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NotificationV1 {
    /// Notification id: deterministic from (status event, channel), the provider idempotency key.
    pub notification_id: Uuid,
    /// Dossier id.
    pub dossier_id: Uuid,
    /// The status event this notifies.
    pub status_event_id: Uuid,
    /// `sms`, `email`, `zalo`, `portal_webhook` or `national_portal`.
    pub channel: String,
    /// The status code being notified.
    pub status_code: u8,
    /// Template name.
    pub template: String,
}
event!(NotificationV1, "notification.requested.v1");

/// `dossier.overdue.v1`: the dossier passed its due date without being finished, so the
/// agency owes the citizen an apology and a new appointment (*phiếu xin lỗi và hẹn lại*).
/// Emitted once per dossier by the due-date scheduler.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OverdueV1 {
    /// Dossier id.
    pub dossier_id: Uuid,
    /// Dossier code `{agency}-{yyMMdd}-{NNNN}`.
    pub dossier_code: String,
    /// The responsible agency's e-identifier.
    pub agency_id: String,
    /// The due date that passed (ngày hẹn trả).
    pub due_at: DateTime<Utc>,
    /// When the scheduler found the dossier overdue.
    pub detected_at: DateTime<Utc>,
}
event!(OverdueV1, "dossier.overdue.v1");
