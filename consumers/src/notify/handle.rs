//! Pure core of the notify stage.

use dossierflow_domain::Status;
use serde::Deserialize;
use uuid::Uuid;

use super::channel::NotifyChannel;

/// Contact data and preferences stored with the dossier at intake.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct Contact {
    /// Normalised mobile number.
    pub phone: Option<String>,
    /// E-mail address.
    pub email: Option<String>,
    /// The citizen's chosen channels (`sms`, `email`, `zalo`); `None` means the default:
    /// SMS when a phone is known, e-mail when an address is known, never Zalo.
    #[serde(default)]
    pub channels: Option<Vec<String>>,
}

impl Contact {
    /// Whether the citizen can and wants to be reached on `channel`.
    fn allows(&self, channel: NotifyChannel) -> bool {
        let known = |v: &Option<String>| v.as_deref().is_some_and(|s| !s.is_empty());
        let reachable = match channel {
            NotifyChannel::Sms | NotifyChannel::Zalo => known(&self.phone),
            NotifyChannel::Email => known(&self.email),
            NotifyChannel::PortalWebhook | NotifyChannel::NationalPortal => return true,
        };
        let chosen = match &self.channels {
            Some(list) => list.iter().any(|c| c == channel.as_str()),
            None => channel != NotifyChannel::Zalo,
        };
        reachable && chosen
    }
}

/// One notification to queue.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Planned {
    /// Deterministic id (idempotency key for the provider).
    pub id: Uuid,
    /// The channel.
    pub channel: NotifyChannel,
    /// Template name (for the portals: the status name, informative only).
    pub template: &'static str,
}

/// The notification id for (status event, channel): UUIDv5, stable across retries.
pub fn notification_id(status_event_id: Uuid, channel: &str) -> Uuid {
    Uuid::new_v5(&status_event_id, channel.as_bytes())
}

/// Plans the notifications of one status change: the portals' channels always (when
/// enabled), the citizen's channels when a template exists for the change (`template`),
/// the channel is enabled, and the contact data and preferences allow it.
pub fn plan(
    status_event_id: Uuid,
    status: Status,
    template: Option<&'static str>,
    contact: &Contact,
    enabled: &[NotifyChannel],
) -> Vec<Planned> {
    NotifyChannel::ALL
        .into_iter()
        .filter(|c| enabled.contains(c) && contact.allows(*c))
        .filter_map(|channel| {
            let template = match (channel.is_citizen(), template) {
                (true, Some(t)) => t,
                (true, None) => return None,
                (false, t) => t.unwrap_or(status.as_str()),
            };
            Some(Planned {
                id: notification_id(status_event_id, channel.as_str()),
                channel,
                template,
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use NotifyChannel::*;

    fn contact(phone: Option<&str>, email: Option<&str>, channels: Option<&[&str]>) -> Contact {
        Contact {
            phone: phone.map(Into::into),
            email: email.map(Into::into),
            channels: channels.map(|l| l.iter().map(|c| (*c).to_owned()).collect()),
        }
    }

    fn channels(
        c: &Contact,
        template: Option<&'static str>,
        enabled: &[NotifyChannel],
    ) -> Vec<NotifyChannel> {
        plan(Uuid::now_v7(), Status::Received, template, c, enabled)
            .iter()
            .map(|p| p.channel)
            .collect()
    }

    #[test]
    fn channels_follow_contact_data_preferences_and_configuration() {
        let (p, e) = (Some("0912345678"), Some("a@b.vn"));
        let all = NotifyChannel::ALL;
        let t = Some("received");
        let cases: [(Contact, &[NotifyChannel]); 7] = [
            (contact(None, None, None), &[NationalPortal, PortalWebhook]),
            (
                contact(p, None, None),
                &[NationalPortal, PortalWebhook, Sms],
            ),
            (
                contact(None, e, None),
                &[NationalPortal, PortalWebhook, Email],
            ),
            (
                contact(p, e, None),
                &[NationalPortal, PortalWebhook, Sms, Email],
            ),
            (
                contact(p, e, Some(&["zalo"])),
                &[NationalPortal, PortalWebhook, Zalo],
            ),
            (contact(p, e, Some(&[])), &[NationalPortal, PortalWebhook]),
            // Chosen but unreachable: no phone for SMS or Zalo.
            (
                contact(None, e, Some(&["sms", "zalo", "email"])),
                &[NationalPortal, PortalWebhook, Email],
            ),
        ];
        for (c, want) in cases {
            assert_eq!(channels(&c, t, &all), want, "{c:?}");
        }
        let c = contact(p, e, None);
        assert_eq!(
            channels(&c, t, &[Sms, NationalPortal]),
            [NationalPortal, Sms],
            "disabled channels are never planned"
        );
        assert_eq!(
            channels(&c, None, &all),
            [NationalPortal, PortalWebhook],
            "no template: portals only"
        );
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
        let p = plan(
            ev,
            Status::Refused,
            None,
            &Contact::default(),
            &NotifyChannel::ALL,
        );
        assert_eq!(p[0].template, "refused", "portals carry the status name");
    }
}
