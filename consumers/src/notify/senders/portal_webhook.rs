//! The provincial one-stop portal's status webhook (channel `portal_webhook`): a signed
//! `POST {url}` like the agency webhooks, `X-Dossierflow-Signature: t=<unix>,v1=<hex
//! HMAC-SHA256(secret, "<t>.<body>")>`, `X-Dossierflow-Event: dossier.status.v1` and the
//! notification id as `Idempotency-Key`.
//!
//! The body is the information-poor status JSON (ids, code, status, dates, reason): no
//! personal data. `2xx` is `Delivered`; `4xx` except `408`/`429` is `Rejected`; anything
//! else is retried.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use serde::Serialize;
use uuid::Uuid;

use super::super::channel::{Message, NotifyChannel, Outcome, Sender};
use super::{http, redacted};
use crate::webhooks::signature_header;

/// Value of the `X-Dossierflow-Event` header.
pub const EVENT_HEADER_VALUE: &str = "dossier.status.v1";

/// Settings of the portal webhook.
#[derive(Clone)]
pub struct PortalWebhookConfig {
    /// Endpoint.
    pub url: String,
    /// HMAC secret shared with the portal.
    pub secret: String,
}

impl std::fmt::Debug for PortalWebhookConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PortalWebhookConfig")
            .field("url", &self.url)
            .field("secret", &redacted(&self.secret))
            .finish()
    }
}

/// The webhook body.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub(crate) struct StatusBody {
    dossier_id: Uuid,
    dossier_code: Option<String>,
    status_code: u8,
    status: &'static str,
    changed_at: DateTime<Utc>,
    due_at: Option<DateTime<Utc>>,
    reason: Option<String>,
    notification_id: Uuid,
}

/// The body for `msg`.
pub(crate) fn status_body(msg: &Message) -> StatusBody {
    StatusBody {
        dossier_id: msg.dossier_id,
        dossier_code: msg.dossier_code.clone(),
        status_code: msg.status.code(),
        status: msg.status.as_str(),
        changed_at: msg.changed_at,
        due_at: msg.due_at,
        reason: msg.reason.clone(),
        notification_id: msg.id,
    }
}

/// The portal webhook client.
pub struct PortalWebhookSender {
    client: reqwest::Client,
    config: PortalWebhookConfig,
}

impl PortalWebhookSender {
    /// A sender using `client` (which carries the request timeout).
    pub fn new(client: reqwest::Client, config: PortalWebhookConfig) -> Self {
        Self { client, config }
    }
}

#[async_trait]
impl Sender for PortalWebhookSender {
    fn channel(&self) -> NotifyChannel {
        NotifyChannel::PortalWebhook
    }

    async fn send(&self, msg: &Message) -> Outcome {
        let body = match serde_json::to_vec(&status_body(msg)) {
            Ok(b) => b,
            Err(_) => {
                return Outcome::Rejected {
                    reason: "cannot encode body".to_owned(),
                };
            }
        };
        let signature =
            signature_header(self.config.secret.as_bytes(), Utc::now().timestamp(), &body);
        let request = self
            .client
            .post(&self.config.url)
            .header(reqwest::header::CONTENT_TYPE, "application/json")
            .header("X-Dossierflow-Signature", signature)
            .header("X-Dossierflow-Event", EVENT_HEADER_VALUE)
            .header("Idempotency-Key", msg.id.to_string())
            .body(body);
        match http::send(request).await {
            Ok(_) => Outcome::Delivered { provider_ref: None },
            Err(outcome) => outcome,
        }
    }
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;
    use dossierflow_domain::Status;

    use super::super::super::channel::Recipient;
    use super::super::super::templates::MessageContext;
    use super::*;

    #[test]
    fn body_is_the_status_json() {
        let at = Utc
            .with_ymd_and_hms(2023, 3, 6, 7, 27, 45)
            .single()
            .expect("date");
        let msg = Message {
            id: Uuid::from_u128(5),
            dossier_id: Uuid::from_u128(1),
            dossier_code: Some("000.00.92.H55-230206-0001".into()),
            procedure_code: "1.001193".into(),
            status: Status::Received,
            changed_at: at,
            submitted_at: at,
            due_at: None,
            reason: None,
            template: String::new(),
            context: MessageContext::default(),
            recipient: Recipient::default(),
        };
        let json = serde_json::to_value(status_body(&msg)).expect("json");
        assert_eq!(
            json,
            serde_json::json!({
                "dossier_id": Uuid::from_u128(1),
                "dossier_code": "000.00.92.H55-230206-0001",
                "status_code": 2,
                "status": "received",
                "changed_at": "2023-03-06T07:27:45Z",
                "due_at": null,
                "reason": null,
                "notification_id": Uuid::from_u128(5),
            })
        );
    }
}
