//! E-mail client (channel `email`): SMTP (RFC 5321) with `lettre`.
//!
//! The URL picks the transport security, as `lettre`'s connection URLs do:
//!
//! | URL | security |
//! |---|---|
//! | `smtps://host:port` | implicit TLS (SMTPS); **use in production** |
//! | `smtp://host:port?tls=required` | STARTTLS, required; **or this in production** |
//! | `smtp://host:port` | none: plain text, for the local simulator only |
//!
//! Credentials come from `username`/`password` (or the URL's user info). The message is
//! `text/plain; charset=utf-8` with the `Channel::Email` template's UTF-8 subject and body,
//! `Message-ID: <{id}@dossierflow>` and `X-Dossierflow-Notification: {id}` carrying the
//! idempotency key. `250` after `DATA` is `Delivered`; a 4xx reply, a timeout or a
//! connection failure is retried; a 5xx reply is `Rejected("SMTP <code>")`. One whole
//! transaction is bounded by the request timeout.

use std::sync::{Arc, OnceLock};
use std::time::Duration;

use anyhow::{Context as _, anyhow};
use async_trait::async_trait;
use lettre::message::Mailbox;
use lettre::message::header::{ContentType, HeaderName, HeaderValue};
use lettre::transport::smtp::authentication::Credentials;
use lettre::transport::smtp::{AsyncSmtpTransportBuilder, Error as SmtpError};
use lettre::{AsyncSmtpTransport, AsyncTransport, Tokio1Executor};

use super::super::channel::{Message, NotifyChannel, Outcome, Sender};
use super::super::templates::{Channel, Templates};
use super::template_reason;

/// Name of the header carrying the notification id.
const NOTIFICATION_HEADER: &str = "X-Dossierflow-Notification";

/// Settings of the SMTP server.
#[derive(Clone)]
pub struct EmailConfig {
    /// `smtps://host:port` or `smtp://host:port?tls=required` in production;
    /// `smtp://host:port` (no TLS) only for the local simulator.
    pub url: String,
    /// Sender address, e.g. `Cổng DVC <no-reply@dichvucong.example.vn>`.
    pub from: String,
    /// SMTP user, if the server requires authentication.
    pub username: Option<String>,
    /// SMTP password.
    pub password: Option<String>,
}

impl std::fmt::Debug for EmailConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The URL may carry credentials in its user info: not shown.
        f.debug_struct("EmailConfig")
            .field("from", &self.from)
            .field("username", &self.username)
            .field("password", &self.password.as_ref().map(|_| "<redacted>"))
            .finish_non_exhaustive()
    }
}

fn rejected(reason: &str) -> Outcome {
    Outcome::Rejected {
        reason: reason.to_owned(),
    }
}

fn retry(reason: String) -> Outcome {
    Outcome::Retry {
        reason,
        retry_after: None,
    }
}

/// The e-mail for `msg` from `from`, or `Rejected` when it cannot be sent (no or an invalid
/// address, a template that does not render).
pub(crate) fn email_message(
    msg: &Message,
    from: &Mailbox,
    templates: &Templates,
) -> Result<lettre::Message, Outcome> {
    let to = msg
        .recipient
        .email
        .as_deref()
        .ok_or_else(|| rejected("no e-mail address"))?;
    let to: Mailbox = to.parse().map_err(|_| rejected("invalid e-mail address"))?;
    let rendered = templates
        .render(&msg.template, Channel::Email, &msg.context)
        .map_err(|e| rejected(&template_reason(&e)))?;
    let mut email = lettre::Message::builder()
        .from(from.clone())
        .to(to)
        .subject(rendered.subject.unwrap_or_default())
        .message_id(Some(message_id(msg)))
        .header(ContentType::TEXT_PLAIN)
        .body(rendered.body)
        .map_err(|_| rejected("cannot build e-mail"))?;
    email.headers_mut().insert_raw(HeaderValue::new(
        HeaderName::new_from_ascii_str(NOTIFICATION_HEADER),
        msg.id.to_string(),
    ));
    Ok(email)
}

/// `<{id}@dossierflow>`.
fn message_id(msg: &Message) -> String {
    format!("<{}@dossierflow>", msg.id)
}

/// The outcome of a failed SMTP transaction.
fn failure(e: &SmtpError) -> Outcome {
    match e.status() {
        Some(code) if e.is_permanent() => rejected(&format!("SMTP {code}")),
        Some(code) => retry(format!("SMTP {code}")),
        None if e.is_timeout() => retry("timeout".to_owned()),
        None if e.is_client() => retry("request failed".to_owned()),
        None => retry("connection failed".to_owned()),
    }
}

/// The SMTP client. The connection pool is created on the first send (it needs the Tokio
/// runtime).
pub struct EmailSender {
    builder: AsyncSmtpTransportBuilder,
    transport: OnceLock<AsyncSmtpTransport<Tokio1Executor>>,
    from: Mailbox,
    templates: Arc<Templates>,
    timeout: Duration,
}

impl EmailSender {
    /// Checks the URL and the sender address; `timeout` bounds each SMTP command and each
    /// whole transaction.
    pub fn new(
        config: EmailConfig,
        templates: Arc<Templates>,
        timeout: Duration,
    ) -> anyhow::Result<Self> {
        let mut builder = AsyncSmtpTransport::<Tokio1Executor>::from_url(&config.url)
            // lettre's error names the problem, not the URL (which may hold a password).
            .map_err(|e| anyhow!("e-mail: unusable SMTP URL: {e}"))?
            .timeout(Some(timeout));
        match (config.username, config.password) {
            (Some(user), Some(password)) => {
                builder = builder.credentials(Credentials::new(user, password));
            }
            (None, None) => {}
            _ => return Err(anyhow!("e-mail: set both the SMTP username and password")),
        }
        let from: Mailbox = config
            .from
            .parse()
            .context("e-mail: the sender address is not a valid mailbox")?;
        Ok(Self {
            builder,
            transport: OnceLock::new(),
            from,
            templates,
            timeout,
        })
    }

    fn transport(&self) -> &AsyncSmtpTransport<Tokio1Executor> {
        self.transport.get_or_init(|| self.builder.clone().build())
    }
}

#[async_trait]
impl Sender for EmailSender {
    fn channel(&self) -> NotifyChannel {
        NotifyChannel::Email
    }

    async fn send(&self, msg: &Message) -> Outcome {
        let email = match email_message(msg, &self.from, &self.templates) {
            Ok(e) => e,
            Err(outcome) => return outcome,
        };
        match tokio::time::timeout(self.timeout, self.transport().send(email)).await {
            Err(_) => retry("timeout".to_owned()),
            Ok(Ok(_)) => Outcome::Delivered {
                provider_ref: Some(message_id(msg)),
            },
            Ok(Err(e)) => failure(&e),
        }
    }
}

#[cfg(test)]
mod tests {
    use uuid::Uuid;

    use super::*;

    fn message() -> Message {
        super::super::test_support::message(3)
    }

    fn from() -> Mailbox {
        "no-reply@dichvucong.example.vn".parse().expect("mailbox")
    }

    #[test]
    fn message_has_ids_and_utf8_headers() {
        let templates = Templates::embedded().expect("templates");
        let email = email_message(&message(), &from(), &templates).expect("email");
        let raw = String::from_utf8(email.formatted()).expect("utf-8");
        let id = Uuid::from_u128(3);
        assert!(
            raw.contains(&format!("Message-ID: <{id}@dossierflow>")),
            "{raw}"
        );
        assert!(
            raw.contains(&format!("X-Dossierflow-Notification: {id}")),
            "{raw}"
        );
        assert!(
            raw.contains("Content-Type: text/plain; charset=utf-8"),
            "{raw}"
        );
        assert!(raw.contains("To: an.nguyen@example.vn"), "{raw}");
        assert!(raw.contains("Subject: =?utf-8?"), "{raw}");
    }

    #[test]
    fn unsendable_messages_are_rejected() {
        let templates = Templates::embedded().expect("templates");
        let mut m = message();
        m.recipient.email = None;
        let got = email_message(&m, &from(), &templates).map(|_| ());
        assert_eq!(got, Err(rejected("no e-mail address")));
        m.recipient.email = Some("not an address".into());
        let got = email_message(&m, &from(), &templates).map(|_| ());
        assert_eq!(got, Err(rejected("invalid e-mail address")));
    }

    #[test]
    fn bad_configuration_fails_at_build() {
        let templates = Arc::new(Templates::embedded().expect("templates"));
        let config = |url: &str, from: &str| EmailConfig {
            url: url.into(),
            from: from.into(),
            username: None,
            password: None,
        };
        let t = Duration::from_secs(1);
        assert!(
            EmailSender::new(
                config("smtp://127.0.0.1:2525", "a@b.vn"),
                templates.clone(),
                t
            )
            .is_ok()
        );
        assert!(EmailSender::new(config("http://x", "a@b.vn"), templates.clone(), t).is_err());
        assert!(EmailSender::new(config("smtp://127.0.0.1:2525", "nope"), templates, t).is_err());
    }
}
