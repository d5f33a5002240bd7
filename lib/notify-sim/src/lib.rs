//! Simulators of the notification providers dossierflow sends to, as real network
//! servers on loopback, implementing the provider side of
//! `docs/notification-providers.md`:
//!
//! * one HTTP listener (axum) with the SMS gateway (`POST /sms/send`), the Zalo ZNS-style
//!   template API (`POST /zalo/message/template`), the national portal
//!   (`POST /dvcqg/DongBoHoSoMC`, `POST /dvcqg/CapNhatTienDoHoSoMC`), the one-stop
//!   portal's status webhook (`POST /portal/webhook`), the operator-alert receiver
//!   (`POST /alerts`), `GET /health` and the `/admin/...` endpoints (stats, stored
//!   messages, accepted idempotency keys, alerts, fault injection);
//! * one plain-TCP SMTP server (an RFC 5321 subset) for the e-mail channel.
//!
//! Every channel treats a repeated idempotency key as the same message. SMS and Zalo
//! acceptances are followed by a delivery receipt POSTed to the intake API when
//! [`SimConfig::receipt_url`] is set. Faults (`fail`, `reject`, `timeout`, added
//! latency) are set per channel with `POST /admin/faults`.
//!
//! Nothing here logs message texts, recipients or bodies.

mod admin;
mod http;
mod mime;
mod portal;
mod receipts;
mod smtp;
mod smtp_session;
mod state;

use std::net::SocketAddr;
use std::time::Duration;

use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;

pub use state::{Channel, FaultMode, ReceiptStatus};

/// Configuration of the simulators.
#[derive(Debug, Clone)]
pub struct SimConfig {
    /// Base URL of the dossierflow intake API receiving delivery receipts; no receipts
    /// are sent when `None`.
    pub receipt_url: Option<String>,
    /// Bearer token of SMS receipts.
    pub receipt_token_sms: Option<String>,
    /// Bearer token of Zalo receipts.
    pub receipt_token_zalo: Option<String>,
    /// API key the SMS gateway requires (`Authorization: Bearer`), if any.
    pub sms_key: Option<String>,
    /// `access_token` the Zalo API requires, if any.
    pub zalo_token: Option<String>,
    /// Bearer token the national portal requires, if any.
    pub portal_token: Option<String>,
    /// HMAC secret of the portal webhook's `X-Dossierflow-Signature`, if any.
    pub portal_webhook_secret: Option<String>,
    /// Delay between an acceptance and its delivery receipt.
    pub receipt_delay: Duration,
    /// Pause between receipt attempts.
    pub receipt_retry_pause: Duration,
    /// Receipt retries after the first attempt (on 5xx or connection errors).
    pub receipt_retries: u32,
    /// How long the `timeout` fault holds a request or an SMTP connection.
    pub timeout_hold: Duration,
    /// An SMTP connection idle this long is closed.
    pub smtp_idle_timeout: Duration,
    /// Most concurrent SMTP connections.
    pub smtp_max_connections: usize,
    /// Host name in the SMTP greeting and EHLO answer.
    pub smtp_hostname: String,
}

impl Default for SimConfig {
    fn default() -> Self {
        SimConfig {
            receipt_url: None,
            receipt_token_sms: None,
            receipt_token_zalo: None,
            sms_key: None,
            zalo_token: None,
            portal_token: None,
            portal_webhook_secret: None,
            receipt_delay: Duration::from_millis(20),
            receipt_retry_pause: Duration::from_millis(500),
            receipt_retries: 10,
            timeout_hold: Duration::from_secs(30),
            smtp_idle_timeout: Duration::from_secs(60),
            smtp_max_connections: 256,
            smtp_hostname: "notify-sim.dossierflow.test".to_owned(),
        }
    }
}

/// Serves the HTTP simulators on `http` and the SMTP server on `smtp` until `shutdown`
/// is cancelled.
pub async fn serve(
    http: TcpListener,
    smtp: TcpListener,
    config: SimConfig,
    shutdown: CancellationToken,
) -> anyhow::Result<()> {
    let sim = state::Shared::new(config, shutdown.clone())?;
    let app = http::router(sim.clone());
    let smtp_task = tokio::spawn(smtp::serve(smtp, sim));
    let served = axum::serve(http, app)
        .with_graceful_shutdown(shutdown.clone().cancelled_owned())
        .await;
    // The SMTP server stops on the same token; make sure it does when HTTP failed.
    shutdown.cancel();
    let smtp_result = smtp_task.await;
    served?;
    smtp_result??;
    Ok(())
}

/// Binds `127.0.0.1:0` for HTTP and for SMTP, runs [`serve`] in a background task and
/// returns the two addresses (HTTP, SMTP).
pub async fn spawn(
    config: SimConfig,
    shutdown: CancellationToken,
) -> anyhow::Result<(SocketAddr, SocketAddr)> {
    let http = TcpListener::bind("127.0.0.1:0").await?;
    let smtp = TcpListener::bind("127.0.0.1:0").await?;
    let addrs = (http.local_addr()?, smtp.local_addr()?);
    tokio::spawn(async move {
        if let Err(e) = serve(http, smtp, config, shutdown).await {
            tracing::error!(error = %e, "notification provider simulator stopped");
        }
    });
    Ok(addrs)
}

#[cfg(test)]
#[path = "test_support.rs"]
mod test_support;
