//! The notification channels, the message handed to a channel's sender, and what a
//! provider said about it.
//!
//! A [`Sender`] talks to one provider (SMS gateway, SMTP server, Zalo-style API, the
//! one-stop portal's webhook, the national portal). It never retries by itself: the
//! channel worker decides from the [`Outcome`] whether to retry, wait for a receipt or
//! give up. Error reasons are short, fixed-vocabulary texts (`"HTTP 503"`, `"timeout"`,
//! `"SMTP 550"`): never a recipient, a message text or a provider's response body.

use std::collections::BTreeMap;
use std::time::Duration;

use chrono::{DateTime, Utc};
use dossierflow_domain::Status;
use uuid::Uuid;

use super::templates::MessageContext;

/// A notification channel.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum NotifyChannel {
    /// Text message through an HTTP SMS gateway; delivery receipts by callback.
    Sms,
    /// E-mail through SMTP; delivered when the server accepts it.
    Email,
    /// Zalo-style template message (ZNS) over HTTP; delivery receipts by callback.
    Zalo,
    /// The provincial one-stop portal's status webhook (signed POST).
    PortalWebhook,
    /// The National Public Service Portal's progress sync (`DongBoHoSoMC` /
    /// `CapNhatTienDoHoSoMC`).
    NationalPortal,
}

impl NotifyChannel {
    /// Every channel, in planning order.
    pub const ALL: [NotifyChannel; 5] = [
        NotifyChannel::NationalPortal,
        NotifyChannel::PortalWebhook,
        NotifyChannel::Sms,
        NotifyChannel::Email,
        NotifyChannel::Zalo,
    ];

    /// Name used in the database, metrics labels, configuration and URLs.
    pub fn as_str(self) -> &'static str {
        match self {
            NotifyChannel::Sms => "sms",
            NotifyChannel::Email => "email",
            NotifyChannel::Zalo => "zalo",
            NotifyChannel::PortalWebhook => "portal_webhook",
            NotifyChannel::NationalPortal => "national_portal",
        }
    }

    /// The channel named `s`.
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|c| c.as_str() == s)
    }

    /// Whether the message goes to the citizen (and so needs a template and contact data).
    pub fn is_citizen(self) -> bool {
        matches!(
            self,
            NotifyChannel::Sms | NotifyChannel::Email | NotifyChannel::Zalo
        )
    }

    /// Whether the provider confirms delivery later, by a receipt callback.
    pub fn has_receipts(self) -> bool {
        matches!(self, NotifyChannel::Sms | NotifyChannel::Zalo)
    }
}

impl std::fmt::Display for NotifyChannel {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Where a citizen message goes. Personal data: never logged.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct Recipient {
    /// Mobile number in the national form `0xxxxxxxxx`.
    pub phone: Option<String>,
    /// E-mail address.
    pub email: Option<String>,
}

impl std::fmt::Debug for Recipient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Recipient")
            .field("phone", &self.phone.as_ref().map(|_| "…"))
            .field("email", &self.email.as_ref().map(|_| "…"))
            .finish()
    }
}

/// One notification, ready for a channel's sender.
#[derive(Debug, Clone)]
pub struct Message {
    /// Notification id: the provider idempotency key, the same on every attempt.
    pub id: Uuid,
    /// Dossier id.
    pub dossier_id: Uuid,
    /// Dossier code, once assigned at reception.
    pub dossier_code: Option<String>,
    /// National procedure code (`MaTTHC`).
    pub procedure_code: String,
    /// The status announced.
    pub status: Status,
    /// When the status changed.
    pub changed_at: DateTime<Utc>,
    /// When the dossier was submitted.
    pub submitted_at: DateTime<Utc>,
    /// Due date, when known.
    pub due_at: Option<DateTime<Utc>>,
    /// Reason shown to the citizen (refusal, supplement, delay).
    pub reason: Option<String>,
    /// Template name (`received`, `overdue`, …); citizen channels only.
    pub template: String,
    /// Template variables; citizen channels only.
    pub context: MessageContext,
    /// Where it goes; citizen channels only.
    pub recipient: Recipient,
}

/// What a provider said about one attempt.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// Accepted; a delivery receipt will follow (SMS, Zalo).
    Accepted {
        /// The provider's message id.
        provider_ref: Option<String>,
    },
    /// Delivered, as far as this channel can tell (SMTP `250`, the portals' `2xx`).
    Delivered {
        /// The provider's message id.
        provider_ref: Option<String>,
    },
    /// A transient failure: try again later (5xx, 429, timeout, connection, SMTP 4xx).
    Retry {
        /// Short fixed-vocabulary reason, e.g. `"HTTP 503"`.
        reason: String,
        /// The provider's `Retry-After`, if it gave one.
        retry_after: Option<Duration>,
    },
    /// The provider refuses this message for good (invalid number, SMTP 5xx, a
    /// validation error): retrying cannot help.
    Rejected {
        /// Short fixed-vocabulary reason, e.g. `"SMTP 550"`.
        reason: String,
    },
}

/// A channel's provider client.
#[async_trait::async_trait]
pub trait Sender: Send + Sync {
    /// The channel it serves.
    fn channel(&self) -> NotifyChannel;
    /// One attempt; never retries by itself, never panics.
    async fn send(&self, message: &Message) -> Outcome;
}

/// Template variables as plain strings (for Zalo-style `template_data`).
pub fn template_data(ctx: &MessageContext) -> BTreeMap<String, String> {
    ctx.to_strings()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn channel_names_round_trip() {
        for c in NotifyChannel::ALL {
            assert_eq!(NotifyChannel::parse(c.as_str()), Some(c));
        }
        assert_eq!(NotifyChannel::parse("fax"), None);
        assert!(NotifyChannel::Sms.has_receipts() && !NotifyChannel::Email.has_receipts());
        assert!(!NotifyChannel::NationalPortal.is_citizen());
    }

    #[test]
    fn recipients_debug_without_contact_data() {
        let r = Recipient {
            phone: Some("0912345678".into()),
            email: Some("an@x.vn".into()),
        };
        let shown = format!("{r:?}");
        assert!(!shown.contains("0912") && !shown.contains("an@"), "{shown}");
    }
}
