//! `dossierflow notify-sim`: the notification-provider simulators (SMS gateway, Zalo
//! ZNS-style API, national portal, portal status webhook, operator-alert receiver and an
//! SMTP server) as one process, for tests and the demo. See
//! `docs/notification-providers.md` for the protocol and `dossierflow_notify_sim` for
//! the admin endpoints (`/admin/stats`, `/admin/messages`, `/admin/keys`,
//! `/admin/faults`, …).

use std::net::SocketAddr;
use std::time::Duration;

use clap::Args;
use dossierflow_notify_sim::{SimConfig, serve};
use dossierflow_runtime::config::{LogFormat, parse_duration};
use dossierflow_runtime::{shutdown, telemetry};

/// Options of `notify-sim`.
#[derive(Debug, Clone, Args)]
pub struct NotifySimArgs {
    /// HTTP listen address (SMS, Zalo, national portal, portal webhook, alerts, admin).
    #[arg(
        long,
        env = "DOSSIER__NOTIFY_SIM__HTTP_ADDR",
        default_value = "127.0.0.1:8095"
    )]
    http_addr: SocketAddr,
    /// SMTP listen address (plain TCP, no TLS).
    #[arg(
        long,
        env = "DOSSIER__NOTIFY_SIM__SMTP_ADDR",
        default_value = "127.0.0.1:2525"
    )]
    smtp_addr: SocketAddr,
    /// Base URL of the dossierflow intake API receiving SMS and Zalo delivery receipts
    /// (`{url}/v1/notification-receipts/{channel}`); no receipts without it.
    #[arg(long, env = "DOSSIER__NOTIFY_SIM__RECEIPT_URL")]
    receipt_url: Option<String>,
    /// Bearer token of SMS delivery receipts.
    #[arg(long, env = "DOSSIER__NOTIFY_SIM__RECEIPT_TOKEN_SMS")]
    receipt_token_sms: Option<String>,
    /// Bearer token of Zalo delivery receipts.
    #[arg(long, env = "DOSSIER__NOTIFY_SIM__RECEIPT_TOKEN_ZALO")]
    receipt_token_zalo: Option<String>,
    /// API key the SMS gateway requires (`Authorization: Bearer`); none required if unset.
    #[arg(long, env = "DOSSIER__NOTIFY_SIM__SMS_KEY")]
    sms_key: Option<String>,
    /// `access_token` the Zalo API requires; none required if unset.
    #[arg(long, env = "DOSSIER__NOTIFY_SIM__ZALO_TOKEN")]
    zalo_token: Option<String>,
    /// Bearer token the national portal requires; none required if unset.
    #[arg(long, env = "DOSSIER__NOTIFY_SIM__PORTAL_TOKEN")]
    portal_token: Option<String>,
    /// HMAC secret of the portal webhook signature; signatures unchecked if unset.
    #[arg(long, env = "DOSSIER__NOTIFY_SIM__PORTAL_WEBHOOK_SECRET")]
    portal_webhook_secret: Option<String>,
    /// Delay between an SMS/Zalo acceptance and its delivery receipt.
    #[arg(long, env = "DOSSIER__NOTIFY_SIM__RECEIPT_DELAY", default_value = "20ms", value_parser = parse_duration)]
    receipt_delay: Duration,
    /// Log format.
    #[arg(long, env = "DOSSIER__LOG__FORMAT", value_enum, default_value_t = LogFormat::Pretty)]
    log_format: LogFormat,
}

/// Serves the simulators until SIGTERM or SIGINT.
pub async fn run(a: NotifySimArgs) -> anyhow::Result<()> {
    telemetry::init_logging(a.log_format);
    let token = shutdown::on_signals();
    let config = SimConfig {
        receipt_url: a.receipt_url,
        receipt_token_sms: a.receipt_token_sms,
        receipt_token_zalo: a.receipt_token_zalo,
        sms_key: a.sms_key,
        zalo_token: a.zalo_token,
        portal_token: a.portal_token,
        portal_webhook_secret: a.portal_webhook_secret,
        receipt_delay: a.receipt_delay,
        ..SimConfig::default()
    };
    let bind = |addr: SocketAddr| async move {
        tokio::net::TcpListener::bind(addr)
            .await
            .map_err(|e| anyhow::anyhow!("cannot bind {addr}: {e}"))
    };
    let http = bind(a.http_addr).await?;
    let smtp = bind(a.smtp_addr).await?;
    let (http_addr, smtp_addr) = (http.local_addr()?, smtp.local_addr()?);
    println!("notify-sim HTTP listening on http://{http_addr}");
    println!("notify-sim SMTP listening on smtp://{smtp_addr}");
    tracing::info!(http = %http_addr, smtp = %smtp_addr, receipts = config.receipt_url.is_some(),
        "notification provider simulators listening");
    serve(http, smtp, config, token).await
}

/// Dev-only tokens of the in-process simulators (loopback only, demo only).
const DEMO_RECEIPT_SMS: &str = "demo-receipt-sms";
const DEMO_RECEIPT_ZALO: &str = "demo-receipt-zalo";

/// For `run` without any notification provider configured: serves the simulators
/// in-process on loopback ports and points every channel at them, with receipts sent to
/// the intake API at `intake`. Does nothing when any provider URL is set.
pub async fn spawn_for_run(
    n: &mut super::notify::NotifyArgs,
    intake: SocketAddr,
    shutdown: tokio_util::sync::CancellationToken,
) -> anyhow::Result<Option<SocketAddr>> {
    let configured = [
        &n.sms_url,
        &n.smtp_url,
        &n.zalo_url,
        &n.national_portal_url,
        &n.portal_webhook_url,
    ]
    .iter()
    .any(|u| u.is_some());
    if configured {
        return Ok(None);
    }
    let config = SimConfig {
        receipt_url: Some(format!("http://{intake}")),
        receipt_token_sms: Some(DEMO_RECEIPT_SMS.into()),
        receipt_token_zalo: Some(DEMO_RECEIPT_ZALO.into()),
        ..SimConfig::default()
    };
    let (http, smtp) = dossierflow_notify_sim::spawn(config, shutdown).await?;
    let base = format!("http://{http}");
    n.sms_url = Some(format!("{base}/sms/send"));
    n.zalo_url = Some(format!("{base}/zalo/message/template"));
    n.national_portal_url = Some(format!("{base}/dvcqg"));
    n.portal_webhook_url = Some(format!("{base}/portal/webhook"));
    n.smtp_url = Some(format!("smtp://{smtp}"));
    n.notify_receipt_clients = format!(
        "sms:{},zalo:{}",
        dossierflow_runtime::tokens::BearerDigests::digest_hex(DEMO_RECEIPT_SMS),
        dossierflow_runtime::tokens::BearerDigests::digest_hex(DEMO_RECEIPT_ZALO)
    );
    Ok(Some(http))
}
