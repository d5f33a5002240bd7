//! Pure core of the notify stage.

use dossierflow_domain::Status;
use serde::Deserialize;
use uuid::Uuid;

/// Contact data stored with the dossier at intake.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct Contact {
    /// Normalised mobile number.
    pub phone: Option<String>,
    /// E-mail address.
    pub email: Option<String>,
}

/// One notification to queue.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Planned {
    /// Deterministic id (idempotency key for the provider).
    pub id: Uuid,
    /// `national_portal`, `sms` or `email`.
    pub channel: &'static str,
    /// Template name.
    pub template: &'static str,
}

/// The notification id for (status event, channel): UUIDv5, stable across retries.
pub fn notification_id(status_event_id: Uuid, channel: &str) -> Uuid {
    Uuid::new_v5(&status_event_id, channel.as_bytes())
}

/// Plans the notifications of one status change.
pub fn plan(status_event_id: Uuid, status: Status, contact: &Contact) -> Vec<Planned> {
    let template = status.as_str();
    let mut channels = vec!["national_portal"];
    if contact.phone.as_deref().is_some_and(|p| !p.is_empty()) {
        channels.push("sms");
    }
    if contact.email.as_deref().is_some_and(|e| !e.is_empty()) {
        channels.push("email");
    }
    channels
        .into_iter()
        .map(|channel| Planned {
            id: notification_id(status_event_id, channel),
            channel,
            template,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn channels_follow_contact_data() {
        let ev = Uuid::now_v7();
        let cases: [(Option<&str>, Option<&str>, &[&str]); 4] = [
            (None, None, &["national_portal"]),
            (Some("0912345678"), None, &["national_portal", "sms"]),
            (None, Some("a@b.vn"), &["national_portal", "email"]),
            (
                Some("0912345678"),
                Some("a@b.vn"),
                &["national_portal", "sms", "email"],
            ),
        ];
        for (phone, email, expected) in cases {
            let contact = Contact {
                phone: phone.map(Into::into),
                email: email.map(Into::into),
            };
            let got: Vec<&str> = plan(ev, Status::Received, &contact)
                .iter()
                .map(|p| p.channel)
                .collect();
            assert_eq!(got, expected);
        }
    }

    #[test]
    fn ids_are_stable_per_event_and_channel_and_distinct_otherwise() {
        let ev = Uuid::now_v7();
        assert_eq!(notification_id(ev, "sms"), notification_id(ev, "sms"));
        assert_ne!(notification_id(ev, "sms"), notification_id(ev, "email"));
        assert_ne!(
            notification_id(ev, "sms"),
            notification_id(Uuid::now_v7(), "sms")
        );
        let p = plan(ev, Status::Refused, &Contact::default());
        assert_eq!(p[0].template, "refused");
    }
}
