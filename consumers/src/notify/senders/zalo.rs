//! Zalo-style template message client (channel `zalo`), in the shape of Zalo's ZNS API:
//! `POST {url}` with `access_token` and `Idempotency-Key` headers and the body
//! `{"phone": "84…", "template_id", "template_data", "tracking_id"}`.
//!
//! The text lives in the ZNS template at the provider, so nothing is rendered here; the
//! template must still be one of ours, and its variables are sent as plain strings. The
//! HTTP answer is `200` with an `error` code: `0` is `Accepted` (a receipt follows), a
//! negative code is `Rejected("ZNS <code>")`; `429`, `5xx`, timeouts and connection errors
//! are retried.

use std::collections::BTreeMap;

use async_trait::async_trait;
use dossierflow_domain::PhoneNumber;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::super::channel::{Message, NotifyChannel, Outcome, Sender, template_data};
use super::super::templates::Templates;
use super::{http, redacted};

/// Settings of the Zalo-style API.
#[derive(Clone)]
pub struct ZaloConfig {
    /// Send endpoint, e.g. `http://127.0.0.1:8090/zalo/message/template`.
    pub url: String,
    /// Sent as the `access_token` header.
    pub access_token: String,
    /// Our template name → the provider's ZNS template id; a name not listed is sent as is.
    pub template_ids: BTreeMap<String, String>,
}

impl std::fmt::Debug for ZaloConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ZaloConfig")
            .field("url", &self.url)
            .field("access_token", &redacted(&self.access_token))
            .field("template_ids", &self.template_ids)
            .finish()
    }
}

/// The JSON body of a ZNS send.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub(crate) struct ZaloRequest {
    /// Recipient, `84xxxxxxxxx`.
    pub phone: String,
    /// The provider's template id.
    pub template_id: String,
    /// Template variables as strings.
    pub template_data: BTreeMap<String, String>,
    /// The notification id.
    pub tracking_id: Uuid,
}

#[derive(Deserialize)]
pub(super) struct Answer {
    error: i64,
    data: Option<AnswerData>,
}

#[derive(Deserialize)]
pub(super) struct AnswerData {
    msg_id: Option<String>,
}

fn rejected(reason: &str) -> Outcome {
    Outcome::Rejected {
        reason: reason.to_owned(),
    }
}

/// The request body for `msg`, or `Rejected` when it cannot be sent (no or an invalid
/// phone number, a template not in our set).
pub(crate) fn zalo_request(
    msg: &Message,
    template_ids: &BTreeMap<String, String>,
) -> Result<ZaloRequest, Outcome> {
    let phone = msg
        .recipient
        .phone
        .as_deref()
        .ok_or_else(|| rejected("no phone number"))?;
    let phone = PhoneNumber::parse(phone).map_err(|_| rejected("invalid phone number"))?;
    if !Templates::names().any(|n| n == msg.template) {
        return Err(rejected("template: unknown template"));
    }
    let template_id = template_ids
        .get(&msg.template)
        .cloned()
        .unwrap_or_else(|| msg.template.clone());
    Ok(ZaloRequest {
        phone: phone.e164().trim_start_matches('+').to_owned(),
        template_id,
        template_data: template_data(&msg.context),
        tracking_id: msg.id,
    })
}

/// The outcome of a `200` answer's `error` code.
pub(super) fn outcome(answer: Answer) -> Outcome {
    match answer.error {
        0 => Outcome::Accepted {
            provider_ref: answer.data.and_then(|d| d.msg_id),
        },
        code if code < 0 => rejected(&format!("ZNS {code}")),
        // Not in the protocol: do not give the message up on an unknown code.
        code => Outcome::Retry {
            reason: format!("ZNS {code}"),
            retry_after: None,
        },
    }
}

/// The Zalo-style API client.
pub struct ZaloSender {
    client: reqwest::Client,
    config: ZaloConfig,
}

impl ZaloSender {
    /// A sender using `client` (which carries the request timeout).
    pub fn new(client: reqwest::Client, config: ZaloConfig) -> Self {
        Self { client, config }
    }
}

#[async_trait]
impl Sender for ZaloSender {
    fn channel(&self) -> NotifyChannel {
        NotifyChannel::Zalo
    }

    async fn send(&self, msg: &Message) -> Outcome {
        let body = match zalo_request(msg, &self.config.template_ids) {
            Ok(b) => b,
            Err(outcome) => return outcome,
        };
        let request = self
            .client
            .post(&self.config.url)
            .header("access_token", &self.config.access_token)
            .header("Idempotency-Key", msg.id.to_string())
            .json(&body);
        let response = match http::send(request).await {
            Ok(r) => r,
            Err(outcome) => return outcome,
        };
        match http::read_json::<Answer>(response).await {
            Ok(answer) => outcome(answer),
            Err(outcome) => outcome,
        }
    }
}

#[cfg(test)]
mod tests {

    use super::*;

    fn message() -> Message {
        super::super::test_support::message(9)
    }

    #[test]
    fn body_uses_84_number_and_mapped_template_id() {
        let ids = BTreeMap::from([("received".to_owned(), "231456".to_owned())]);
        let req = zalo_request(&message(), &ids).expect("request");
        assert_eq!(req.phone, "84912345678");
        assert_eq!(req.template_id, "231456");
        assert_eq!(req.template_data["procedure_name"], "Đăng ký khai sinh");
        assert_eq!(req.template_data["due_date"], "27/03/2023");
        assert_eq!(req.tracking_id, Uuid::from_u128(9));
        let req = zalo_request(&message(), &BTreeMap::new()).expect("request");
        assert_eq!(req.template_id, "received");
    }

    #[test]
    fn unknown_templates_and_missing_numbers_are_rejected() {
        let mut m = message();
        m.template = "birthday".into();
        let got = zalo_request(&m, &BTreeMap::new());
        assert_eq!(got, Err(rejected("template: unknown template")));
        m.recipient.phone = None;
        let got = zalo_request(&m, &BTreeMap::new());
        assert_eq!(got, Err(rejected("no phone number")));
    }

    #[test]
    fn error_codes_classify() {
        let ok = Answer {
            error: 0,
            data: Some(AnswerData {
                msg_id: Some("z1".into()),
            }),
        };
        assert_eq!(
            outcome(ok),
            Outcome::Accepted {
                provider_ref: Some("z1".into())
            }
        );
        let bad = Answer {
            error: -108,
            data: None,
        };
        assert_eq!(outcome(bad), rejected("ZNS -108"));
    }
}
