//! The provider clients ("senders") of the notification channels, one per channel, each
//! speaking the wire protocol of `docs/notification-providers.md`:
//!
//! | channel | sender | provider |
//! |---|---|---|
//! | `sms` | [`SmsSender`] | HTTP SMS gateway (`POST {url}`, Bearer key) |
//! | `email` | [`EmailSender`] | SMTP server (`lettre`) |
//! | `zalo` | [`ZaloSender`] | Zalo-style ZNS template API |
//! | `portal_webhook` | [`PortalWebhookSender`] | the one-stop portal's signed webhook |
//! | `national_portal` | [`NationalPortalSender`] | DVCQG `DongBoHoSoMC` / `CapNhatTienDoHoSoMC` |
//!
//! Every request carries the notification id as its idempotency key. A sender makes one
//! attempt and turns the provider's answer into an [`Outcome`]; reasons are fixed texts
//! (`HTTP 503`, `timeout`, `SMTP 550`, `ZNS -108`), never a recipient, a message text, a
//! URL or a response body. The HTTP senders share one `reqwest::Client` (with the request
//! timeout, no redirects).

mod email;
// Public only for the fuzz targets in `fuzz/` (hidden from the API docs).
#[doc(hidden)]
pub mod fuzzing;
mod http;
mod national;
mod portal_webhook;
mod sms;
#[cfg(test)]
mod test_support;
mod zalo;

use std::sync::Arc;
use std::time::Duration;

use anyhow::Context as _;
use dossierflow_runtime::telemetry::Metrics;

use super::channel::{NotifyChannel, Sender};
use super::templates::{TemplateError, Templates};

pub use email::{EmailConfig, EmailSender};
pub use national::{
    NationalBody, NationalPortalConfig, NationalPortalSender, national_body, operation, portal_time,
};
pub use portal_webhook::{EVENT_HEADER_VALUE, PortalWebhookConfig, PortalWebhookSender};
pub use sms::{SmsConfig, SmsSender};
pub use zalo::{ZaloConfig, ZaloSender};

#[cfg(doc)]
use super::channel::Outcome;

/// Provider configuration: one entry per channel, `None` where the channel is off.
#[derive(Debug, Clone)]
pub struct SendersConfig {
    /// SMS gateway.
    pub sms: Option<SmsConfig>,
    /// SMTP server.
    pub email: Option<EmailConfig>,
    /// Zalo-style ZNS API.
    pub zalo: Option<ZaloConfig>,
    /// The one-stop portal's status webhook.
    pub portal_webhook: Option<PortalWebhookConfig>,
    /// The National Public Service Portal.
    pub national_portal: Option<NationalPortalConfig>,
    /// Timeout of one provider request (an HTTP request, or a whole SMTP transaction).
    pub request_timeout: Duration,
}

/// Builds one sender per configured channel, in [`NotifyChannel::ALL`] order.
///
/// Fails on an unusable configuration (a malformed SMTP URL or sender address, the
/// embedded national status map) so that a bad setting stops start-up, not the first send.
pub fn build(
    config: &SendersConfig,
    templates: Arc<Templates>,
    metrics: Arc<Metrics>,
) -> anyhow::Result<Vec<Arc<dyn Sender>>> {
    let client = reqwest::Client::builder()
        .timeout(config.request_timeout)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .context("cannot build the HTTP client of the notification senders")?;
    let mut out: Vec<Arc<dyn Sender>> = Vec::new();
    for channel in NotifyChannel::ALL {
        let sender: Option<Arc<dyn Sender>> = match channel {
            NotifyChannel::NationalPortal => match &config.national_portal {
                Some(c) => Some(Arc::new(NationalPortalSender::new(
                    client.clone(),
                    c.clone(),
                )?)),
                None => None,
            },
            NotifyChannel::PortalWebhook => config.portal_webhook.as_ref().map(|c| {
                Arc::new(PortalWebhookSender::new(client.clone(), c.clone())) as Arc<dyn Sender>
            }),
            NotifyChannel::Sms => config.sms.as_ref().map(|c| {
                Arc::new(SmsSender::new(
                    client.clone(),
                    c.clone(),
                    templates.clone(),
                    metrics.clone(),
                )) as Arc<dyn Sender>
            }),
            NotifyChannel::Email => match &config.email {
                Some(c) => Some(Arc::new(EmailSender::new(
                    c.clone(),
                    templates.clone(),
                    config.request_timeout,
                )?)),
                None => None,
            },
            NotifyChannel::Zalo => config
                .zalo
                .as_ref()
                .map(|c| Arc::new(ZaloSender::new(client.clone(), c.clone())) as Arc<dyn Sender>),
        };
        out.extend(sender);
    }
    Ok(out)
}

/// The channels `config` enables, in [`NotifyChannel::ALL`] order.
pub fn enabled(config: &SendersConfig) -> Vec<NotifyChannel> {
    NotifyChannel::ALL
        .into_iter()
        .filter(|c| match c {
            NotifyChannel::Sms => config.sms.is_some(),
            NotifyChannel::Email => config.email.is_some(),
            NotifyChannel::Zalo => config.zalo.is_some(),
            NotifyChannel::PortalWebhook => config.portal_webhook.is_some(),
            NotifyChannel::NationalPortal => config.national_portal.is_some(),
        })
        .collect()
}

/// The fixed-vocabulary reason for a template that cannot be rendered: the error's kind,
/// without file names or values.
fn template_reason(e: &TemplateError) -> String {
    let kind = match e {
        TemplateError::Parse { .. } => "parse error",
        TemplateError::Unknown(_) => "unknown template",
        TemplateError::MissingVariable { .. } => "missing variable",
        TemplateError::Render { .. } => "render error",
        TemplateError::EmailShape { .. } => "e-mail shape",
    };
    format!("template: {kind}")
}

/// Redacts a secret in `Debug` output: shows only whether it is set.
fn redacted(secret: &str) -> &'static str {
    if secret.is_empty() {
        "<empty>"
    } else {
        "<redacted>"
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config() -> SendersConfig {
        SendersConfig {
            sms: Some(SmsConfig {
                url: "http://127.0.0.1:1/sms/send".into(),
                api_key: "k".into(),
                fold_diacritics: false,
            }),
            email: None,
            zalo: None,
            portal_webhook: None,
            national_portal: Some(NationalPortalConfig {
                url: "http://127.0.0.1:1/dvcqg".into(),
                token: "t".into(),
            }),
            request_timeout: Duration::from_secs(1),
        }
    }

    #[test]
    fn enabled_lists_configured_channels_in_order() {
        assert_eq!(
            enabled(&config()),
            vec![NotifyChannel::NationalPortal, NotifyChannel::Sms]
        );
    }

    #[tokio::test]
    async fn build_makes_one_sender_per_channel() {
        let templates = Arc::new(Templates::embedded().expect("templates"));
        let senders = build(&config(), templates, Metrics::new()).expect("build");
        let channels: Vec<_> = senders.iter().map(|s| s.channel()).collect();
        assert_eq!(channels, enabled(&config()));
    }

    #[test]
    fn template_reasons_carry_no_values() {
        let e = TemplateError::Unknown("secret-name".into());
        assert_eq!(template_reason(&e), "template: unknown template");
    }
}
