//! A sample message for the senders' unit tests.

use chrono::{NaiveDate, TimeZone, Utc};
use dossierflow_domain::Status;
use uuid::Uuid;

use super::super::channel::{Message, Recipient};
use super::super::templates::MessageContext;

/// A `received` notification with id `id`, to a phone and an e-mail address.
pub(super) fn message(id: u128) -> Message {
    let at = Utc
        .with_ymd_and_hms(2023, 3, 6, 7, 27, 45)
        .single()
        .expect("date");
    Message {
        id: Uuid::from_u128(id),
        dossier_id: Uuid::from_u128(1),
        dossier_code: Some("000.00.92.H55-230206-0001".into()),
        procedure_code: "1.001193".into(),
        status: Status::Received,
        changed_at: at,
        submitted_at: at,
        due_at: None,
        reason: None,
        template: "received".into(),
        context: MessageContext {
            dossier_code: Some("000.00.92.H55-230206-0001".into()),
            procedure_name: "Đăng ký khai sinh".into(),
            status_name_vi: "Được tiếp nhận".into(),
            due_date: NaiveDate::from_ymd_opt(2023, 3, 27),
            ..MessageContext::default()
        },
        recipient: Recipient {
            phone: Some("0912345678".into()),
            email: Some("an.nguyen@example.vn".into()),
        },
    }
}
