//! What a notification row keeps to be sent later: the facts of the status change, fixed
//! when the notification is planned, so every retry sends the same message.
//!
//! The facts are dossier facts only (code, procedure, dates, reason, agency). The
//! recipient's phone and e-mail are not copied here: the sender reads them from the
//! dossier's contact data at send time.

use chrono::{DateTime, FixedOffset, NaiveDate, Utc};
use dossierflow_domain::Status;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::channel::{Message, Recipient};
use super::templates::MessageContext;

/// Vietnam's offset (Asia/Ho_Chi_Minh has no daylight saving time).
pub fn vietnam() -> FixedOffset {
    FixedOffset::east_opt(7 * 3600).unwrap_or_else(|| FixedOffset::east_opt(0).expect("UTC"))
}

/// The facts of one status change, stored as `notification.facts`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Facts {
    /// Dossier code, once assigned.
    pub dossier_code: Option<String>,
    /// National procedure code.
    pub procedure_code: String,
    /// Procedure name from the catalogue (the code when unknown).
    pub procedure_name: String,
    /// Name of the agency handling the dossier, when routed.
    pub agency_name: Option<String>,
    /// Status code announced.
    pub status_code: u8,
    /// When the status changed.
    pub changed_at: DateTime<Utc>,
    /// When the dossier was submitted.
    pub submitted_at: DateTime<Utc>,
    /// Due date, when known.
    pub due_at: Option<DateTime<Utc>>,
    /// Reason shown to the citizen.
    pub reason: Option<String>,
    /// Deadline of a supplement request.
    pub supplement_deadline: Option<NaiveDate>,
    /// A new appointment after a delay, when the agency set one.
    pub new_appointment: Option<NaiveDate>,
    /// Whether this is the overdue apology rather than a plain status change.
    pub overdue: bool,
}

/// Why stored facts cannot be turned into a message.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum FactsError {
    /// The stored status code is not a national code.
    #[error("stored status code {0} is not a national status code")]
    Status(u8),
}

impl Facts {
    /// The message for notification `id` of dossier `dossier_id` using template
    /// `template`, to `recipient`.
    pub fn message(
        &self,
        id: Uuid,
        dossier_id: Uuid,
        template: &str,
        recipient: Recipient,
    ) -> Result<Message, FactsError> {
        let status =
            Status::from_code(self.status_code).ok_or(FactsError::Status(self.status_code))?;
        let local = |t: DateTime<Utc>| t.with_timezone(&vietnam()).date_naive();
        let context = MessageContext {
            dossier_code: self.dossier_code.clone(),
            procedure_name: self.procedure_name.clone(),
            status_name_vi: status.name_vi().to_owned(),
            due_date: self.due_at.map(local),
            supplement_deadline: self.supplement_deadline,
            reason: self.reason.clone(),
            new_appointment: self.new_appointment,
            agency_name: self.agency_name.clone(),
        };
        Ok(Message {
            id,
            dossier_id,
            dossier_code: self.dossier_code.clone(),
            procedure_code: self.procedure_code.clone(),
            status,
            changed_at: self.changed_at,
            submitted_at: self.submitted_at,
            due_at: self.due_at,
            reason: self.reason.clone(),
            template: template.to_owned(),
            context,
            recipient,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn facts() -> Facts {
        Facts {
            dossier_code: Some("000.00.92.H55-230206-0001".into()),
            procedure_code: "1.001193".into(),
            procedure_name: "Đăng ký khai sinh".into(),
            agency_name: None,
            status_code: 2,
            changed_at: Utc
                .with_ymd_and_hms(2023, 3, 6, 7, 27, 45)
                .single()
                .expect("t"),
            submitted_at: Utc
                .with_ymd_and_hms(2023, 3, 6, 7, 0, 0)
                .single()
                .expect("t"),
            // 17:30 UTC on the 26th is 00:30 on the 27th in Vietnam.
            due_at: Utc.with_ymd_and_hms(2023, 3, 26, 17, 30, 0).single(),
            reason: None,
            supplement_deadline: None,
            new_appointment: None,
            overdue: false,
        }
    }

    #[test]
    fn messages_use_vietnamese_dates_and_names() {
        let m = facts()
            .message(Uuid::nil(), Uuid::nil(), "received", Recipient::default())
            .expect("message");
        assert_eq!(m.status, Status::Received);
        assert_eq!(m.context.due_date, NaiveDate::from_ymd_opt(2023, 3, 27));
        assert_eq!(m.context.status_name_vi, Status::Received.name_vi());
        assert_eq!(m.template, "received");
    }

    #[test]
    fn facts_round_trip_and_bad_codes_are_errors() {
        let f = facts();
        let json = serde_json::to_value(&f).expect("json");
        assert_eq!(serde_json::from_value::<Facts>(json).expect("back"), f);
        let bad = Facts {
            status_code: 11,
            ..facts()
        };
        assert_eq!(
            bad.message(Uuid::nil(), Uuid::nil(), "x", Recipient::default())
                .map(|_| ()),
            Err(FactsError::Status(11))
        );
    }
}
