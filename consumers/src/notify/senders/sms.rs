//! SMS gateway client (channel `sms`): `POST {url}` with a Bearer key and the notification
//! id as `Idempotency-Key`; body `{"to", "text", "encoding", "segments", "reference"}`.
//!
//! The text is the `Channel::Sms` form of the message template, optionally folded to GSM-7
//! (`fold_diacritics`, for gateways billing per segment). `202` (or `200`, a repeated key)
//! is `Accepted` with the gateway's `message_id`; a delivery receipt follows. The segments
//! of accepted messages are counted in `dossier_sms_segments{encoding}`.

use std::sync::Arc;

use async_trait::async_trait;
use dossierflow_domain::PhoneNumber;
use dossierflow_runtime::notify_metrics::EncodingLabel;
use dossierflow_runtime::telemetry::Metrics;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::super::channel::{Message, NotifyChannel, Outcome, Sender};
use super::super::sms::{SmsEncoding, SmsSegments, fold_to_gsm, segments};
use super::super::templates::{Channel, Templates};
use super::{http, redacted, template_reason};

/// Settings of the SMS gateway.
#[derive(Clone)]
pub struct SmsConfig {
    /// Send endpoint, e.g. `http://127.0.0.1:8090/sms/send`.
    pub url: String,
    /// API key, sent as `Authorization: Bearer <key>`.
    pub api_key: String,
    /// Strip Vietnamese diacritics so texts fit GSM-7 (fewer segments, less readable).
    pub fold_diacritics: bool,
}

impl std::fmt::Debug for SmsConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SmsConfig")
            .field("url", &self.url)
            .field("api_key", &redacted(&self.api_key))
            .field("fold_diacritics", &self.fold_diacritics)
            .finish()
    }
}

/// The JSON body of a send request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub(crate) struct SmsRequest {
    /// Recipient, `+84xxxxxxxxx`.
    pub to: String,
    /// Message text.
    pub text: String,
    /// `gsm7` or `ucs2`.
    pub encoding: &'static str,
    /// Segments computed for `text`.
    pub segments: u32,
    /// The notification id.
    pub reference: Uuid,
}

#[derive(Deserialize)]
pub(super) struct Accepted {
    pub(super) message_id: Option<String>,
}

/// Label value of an SMS encoding.
fn encoding_name(e: SmsEncoding) -> &'static str {
    match e {
        SmsEncoding::Gsm7 => "gsm7",
        SmsEncoding::Ucs2 => "ucs2",
    }
}

fn rejected(reason: &str) -> Outcome {
    Outcome::Rejected {
        reason: reason.to_owned(),
    }
}

/// The request body for `msg`, or the `Rejected` outcome when it cannot be sent (no or an
/// invalid phone number, a template that does not render).
pub(crate) fn sms_request(
    msg: &Message,
    templates: &Templates,
    fold: bool,
) -> Result<(SmsRequest, SmsSegments), Outcome> {
    let phone = msg
        .recipient
        .phone
        .as_deref()
        .ok_or_else(|| rejected("no phone number"))?;
    let phone = PhoneNumber::parse(phone).map_err(|_| rejected("invalid phone number"))?;
    let rendered = templates
        .render(&msg.template, Channel::Sms, &msg.context)
        .map_err(|e| rejected(&template_reason(&e)))?;
    let text = if fold {
        fold_to_gsm(&rendered.body)
    } else {
        rendered.body
    };
    let cost = segments(&text);
    let request = SmsRequest {
        to: phone.e164(),
        text,
        encoding: encoding_name(cost.encoding),
        segments: cost.segments,
        reference: msg.id,
    };
    Ok((request, cost))
}

/// The SMS gateway client.
pub struct SmsSender {
    client: reqwest::Client,
    config: SmsConfig,
    templates: Arc<Templates>,
    metrics: Arc<Metrics>,
}

impl SmsSender {
    /// A sender using `client` (which carries the request timeout).
    pub fn new(
        client: reqwest::Client,
        config: SmsConfig,
        templates: Arc<Templates>,
        metrics: Arc<Metrics>,
    ) -> Self {
        Self {
            client,
            config,
            templates,
            metrics,
        }
    }
}

#[async_trait]
impl Sender for SmsSender {
    fn channel(&self) -> NotifyChannel {
        NotifyChannel::Sms
    }

    async fn send(&self, msg: &Message) -> Outcome {
        let (body, cost) = match sms_request(msg, &self.templates, self.config.fold_diacritics) {
            Ok(r) => r,
            Err(outcome) => return outcome,
        };
        let request = self
            .client
            .post(&self.config.url)
            .bearer_auth(&self.config.api_key)
            .header("Idempotency-Key", msg.id.to_string())
            .json(&body);
        let response = match http::send(request).await {
            Ok(r) => r,
            Err(outcome) => return outcome,
        };
        // The gateway accepted the message: a malformed body only loses its message id
        // (receipts are matched by our reference).
        let provider_ref = http::read_json::<Accepted>(response)
            .await
            .ok()
            .and_then(|a| a.message_id);
        self.metrics
            .notify
            .sms_segments
            .get_or_create(&EncodingLabel {
                encoding: encoding_name(cost.encoding),
            })
            .inc_by(u64::from(cost.segments));
        Outcome::Accepted { provider_ref }
    }
}

#[cfg(test)]
mod tests {

    use super::*;

    fn message() -> Message {
        super::super::test_support::message(7)
    }

    fn templates() -> Templates {
        Templates::embedded().expect("templates")
    }

    #[test]
    fn body_has_e164_number_text_and_segments() {
        let (req, cost) = sms_request(&message(), &templates(), false).expect("request");
        assert_eq!(req.to, "+84912345678");
        assert!(req.text.contains("Đăng ký khai sinh"), "{}", req.text);
        assert_eq!(req.encoding, "ucs2");
        assert_eq!(req.segments, cost.segments);
        assert!(req.segments >= 2);
        assert_eq!(req.reference, Uuid::from_u128(7));
    }

    #[test]
    fn folding_makes_gsm7() {
        let (req, _) = sms_request(&message(), &templates(), true).expect("request");
        assert_eq!(req.encoding, "gsm7");
        assert!(req.text.contains("Dang ky khai sinh"), "{}", req.text);
    }

    #[test]
    fn unsendable_messages_are_rejected_without_values() {
        let mut m = message();
        m.recipient.phone = None;
        let got = sms_request(&m, &templates(), false).map(|_| ());
        assert_eq!(got, Err(rejected("no phone number")));
        m.recipient.phone = Some("12345".into());
        let got = sms_request(&m, &templates(), false).map(|_| ());
        assert_eq!(got, Err(rejected("invalid phone number")));
        let mut m = message();
        m.context.due_date = None;
        let got = sms_request(&m, &templates(), false).map(|_| ());
        assert_eq!(got, Err(rejected("template: missing variable")));
    }
}
