//! Notification settings (`DOSSIER__NOTIFY__…`): the providers of each channel, retries,
//! rate limits, daily caps, receipts and the operator alert.
//!
//! A channel is on when its provider URL is set; only channels that are on are planned.
//! The national portal and the one-stop portal's webhook are informed of every status
//! change; SMS, e-mail and Zalo reach the citizen as their contact data and preferences
//! allow.

use std::collections::{BTreeMap, HashMap};
use std::num::NonZeroU32;
use std::sync::Arc;
use std::time::Duration;

use clap::Args;
use dossierflow_consumers::notify::channel::NotifyChannel;
use dossierflow_consumers::notify::policy::RetryPolicy;
use dossierflow_consumers::notify::senders::{
    EmailConfig, NationalPortalConfig, PortalWebhookConfig, SendersConfig, SmsConfig, ZaloConfig,
};
use dossierflow_consumers::notify::templates::Templates;
use dossierflow_consumers::notify::worker::{self, WorkerConfig};
use dossierflow_consumers::notify::{Notify, senders};
use dossierflow_runtime::commit_group::CommitGroups;
use dossierflow_runtime::config::KafkaArgs;
use dossierflow_runtime::config::parse_duration;
use dossierflow_runtime::telemetry::Metrics;
use dossierflow_runtime::tokens::BearerDigests;
use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;

/// Options of the notify stage, its channel workers and the receipt endpoint.
#[derive(Debug, Clone, Args)]
pub struct NotifyArgs {
    /// SMS gateway endpoint (`POST`, see docs/notification-providers.md); SMS is off without it.
    #[arg(long, env = "DOSSIER__NOTIFY__SMS_URL")]
    pub sms_url: Option<String>,
    /// SMS gateway API key (Bearer).
    #[arg(
        long,
        env = "DOSSIER__NOTIFY__SMS_KEY",
        default_value = "",
        hide_env_values = true
    )]
    pub sms_key: String,
    /// Strip Vietnamese diacritics from SMS so they fit GSM-7 (fewer, cheaper segments).
    #[arg(long, env = "DOSSIER__NOTIFY__SMS_FOLD_DIACRITICS")]
    pub sms_fold_diacritics: bool,
    /// SMTP server: `smtp://host:port` (plain, local only), `smtps://host:port` or
    /// `smtp://host:port?tls=required`; e-mail is off without it.
    #[arg(long, env = "DOSSIER__NOTIFY__SMTP_URL")]
    pub smtp_url: Option<String>,
    /// Sender address of e-mails.
    #[arg(
        long,
        env = "DOSSIER__NOTIFY__SMTP_FROM",
        default_value = "Dich vu cong <no-reply@dossierflow.invalid>"
    )]
    pub smtp_from: String,
    /// SMTP user name.
    #[arg(long, env = "DOSSIER__NOTIFY__SMTP_USERNAME")]
    pub smtp_username: Option<String>,
    /// SMTP password.
    #[arg(long, env = "DOSSIER__NOTIFY__SMTP_PASSWORD", hide_env_values = true)]
    pub smtp_password: Option<String>,
    /// Zalo-style template message (ZNS) endpoint; Zalo is off without it.
    #[arg(long, env = "DOSSIER__NOTIFY__ZALO_URL")]
    pub zalo_url: Option<String>,
    /// ZNS access token.
    #[arg(
        long,
        env = "DOSSIER__NOTIFY__ZALO_TOKEN",
        default_value = "",
        hide_env_values = true
    )]
    pub zalo_token: String,
    /// ZNS template ids per message template, `received=231245,overdue=231250`
    /// (default: the template name).
    #[arg(long, env = "DOSSIER__NOTIFY__ZALO_TEMPLATE_IDS", default_value = "")]
    pub zalo_template_ids: String,
    /// National Public Service Portal sync base URL (`…/DongBoHoSoMC` and
    /// `…/CapNhatTienDoHoSoMC` are appended); the sync is off without it.
    #[arg(long, env = "DOSSIER__NOTIFY__NATIONAL_PORTAL_URL")]
    pub national_portal_url: Option<String>,
    /// National portal bearer token.
    #[arg(
        long,
        env = "DOSSIER__NOTIFY__NATIONAL_PORTAL_TOKEN",
        default_value = "",
        hide_env_values = true
    )]
    pub national_portal_token: String,
    /// The one-stop portal's status webhook; off without it.
    #[arg(long, env = "DOSSIER__NOTIFY__PORTAL_WEBHOOK_URL")]
    pub portal_webhook_url: Option<String>,
    /// HMAC secret of the portal webhook's signature.
    #[arg(
        long,
        env = "DOSSIER__NOTIFY__PORTAL_WEBHOOK_SECRET",
        default_value = "",
        hide_env_values = true
    )]
    pub portal_webhook_secret: String,
    /// Timeout of one provider request.
    #[arg(long, env = "DOSSIER__NOTIFY__TIMEOUT", default_value = "10s", value_parser = parse_duration)]
    pub notify_timeout: Duration,
    /// Pause between two attempts of a failing send (GOV.UK Notify: 5 minutes).
    #[arg(long, env = "DOSSIER__NOTIFY__RETRY_INTERVAL", default_value = "5m", value_parser = parse_duration)]
    pub notify_retry_interval: Duration,
    /// Attempts before a send ends `technical-failure` (GOV.UK Notify: 48).
    #[arg(long, env = "DOSSIER__NOTIFY__MAX_ATTEMPTS", default_value_t = 48)]
    pub notify_max_attempts: u32,
    /// Per-channel retry policies overriding the two above, `sms=30s:96,email=5m:48`.
    #[arg(long, env = "DOSSIER__NOTIFY__RETRY", default_value = "")]
    pub notify_retry: String,
    /// Provider requests per second per channel, `sms=50,email=20` (absent: unlimited).
    #[arg(long, env = "DOSSIER__NOTIFY__RATE", default_value = "")]
    pub notify_rate: String,
    /// Sends per day (Vietnamese calendar day) per channel, `sms=250000,email=250000`.
    #[arg(long, env = "DOSSIER__NOTIFY__DAILY_CAP", default_value = "")]
    pub notify_daily_cap: String,
    /// Provider requests in flight per channel.
    #[arg(long, env = "DOSSIER__NOTIFY__CONCURRENCY", default_value_t = 8)]
    pub notify_concurrency: usize,
    /// How long to wait for an SMS/Zalo delivery receipt before `temporary-failure`.
    #[arg(long, env = "DOSSIER__NOTIFY__RECEIPT_TIMEOUT", default_value = "72h", value_parser = parse_duration)]
    pub notify_receipt_timeout: Duration,
    /// Receipt senders' token digests, `sms:<sha256hex>,zalo:<sha256hex>`
    /// (`printf %s TOKEN | sha256sum`); receipts are refused without them.
    #[arg(long, env = "DOSSIER__NOTIFY__RECEIPT_CLIENTS", default_value = "")]
    pub notify_receipt_clients: String,
    /// Consecutive transient failures of a channel that raise the operator alert.
    #[arg(long, env = "DOSSIER__NOTIFY__ALERT_AFTER", default_value_t = 10)]
    pub notify_alert_after: u32,
    /// Where operator alerts are POSTed (JSON), besides the log and the metric.
    #[arg(long, env = "DOSSIER__NOTIFY__ALERT_URL")]
    pub notify_alert_url: Option<String>,
}

/// Parses `key=value[,key=value…]` with channel names as keys.
fn per_channel<T>(
    flag: &str,
    spec: &str,
    value: impl Fn(&str) -> Result<T, String>,
) -> anyhow::Result<HashMap<NotifyChannel, T>> {
    let mut out = HashMap::new();
    for entry in spec.split(',').map(str::trim).filter(|e| !e.is_empty()) {
        let (k, v) = entry
            .split_once('=')
            .ok_or_else(|| anyhow::anyhow!("{flag}: {entry:?} is not channel=value"))?;
        let channel = NotifyChannel::parse(k.trim()).ok_or_else(|| {
            anyhow::anyhow!(
                "{flag}: unknown channel {k:?} (sms, email, zalo, portal_webhook, national_portal)"
            )
        })?;
        let v = value(v.trim()).map_err(|e| anyhow::anyhow!("{flag}: {k}: {e}"))?;
        out.insert(channel, v);
    }
    Ok(out)
}

impl NotifyArgs {
    /// The providers of the channels that are on.
    pub fn senders(&self) -> anyhow::Result<SendersConfig> {
        let mut template_ids = BTreeMap::new();
        for entry in self
            .zalo_template_ids
            .split(',')
            .map(str::trim)
            .filter(|e| !e.is_empty())
        {
            let (name, id) = entry.split_once('=').ok_or_else(|| {
                anyhow::anyhow!("--zalo-template-ids: {entry:?} is not template=id")
            })?;
            template_ids.insert(name.trim().to_owned(), id.trim().to_owned());
        }
        Ok(SendersConfig {
            sms: self.sms_url.clone().map(|url| SmsConfig {
                url,
                api_key: self.sms_key.clone(),
                fold_diacritics: self.sms_fold_diacritics,
            }),
            email: self.smtp_url.clone().map(|url| EmailConfig {
                url,
                from: self.smtp_from.clone(),
                username: self.smtp_username.clone(),
                password: self.smtp_password.clone(),
            }),
            zalo: self.zalo_url.clone().map(|url| ZaloConfig {
                url,
                access_token: self.zalo_token.clone(),
                template_ids,
            }),
            portal_webhook: self
                .portal_webhook_url
                .clone()
                .map(|url| PortalWebhookConfig {
                    url,
                    secret: self.portal_webhook_secret.clone(),
                }),
            national_portal: self
                .national_portal_url
                .clone()
                .map(|url| NationalPortalConfig {
                    url,
                    token: self.national_portal_token.clone(),
                }),
            request_timeout: self.notify_timeout,
        })
    }

    /// The channel workers' settings.
    pub fn workers(&self) -> anyhow::Result<WorkerConfig> {
        let retry = RetryPolicy {
            interval: self.notify_retry_interval,
            max_attempts: self.notify_max_attempts.max(1),
            ..RetryPolicy::default()
        };
        let retry_per_channel = per_channel("--notify-retry", &self.notify_retry, |v| {
            let (interval, attempts) = v
                .split_once(':')
                .ok_or_else(|| format!("{v:?} is not interval:attempts"))?;
            Ok(RetryPolicy {
                interval: parse_duration(interval)?,
                max_attempts: attempts
                    .parse::<u32>()
                    .map_err(|_| format!("{attempts:?} is not a number of attempts"))?
                    .max(1),
                ..retry
            })
        })?;
        let rates = per_channel("--notify-rate", &self.notify_rate, |v| {
            v.parse::<NonZeroU32>()
                .map_err(|_| format!("{v:?} is not a positive number per second"))
        })?;
        let daily_caps = per_channel("--notify-daily-cap", &self.notify_daily_cap, |v| {
            v.parse::<i64>()
                .ok()
                .filter(|n| *n >= 0)
                .ok_or_else(|| format!("{v:?} is not a number of sends"))
        })?;
        Ok(WorkerConfig {
            retry,
            retry_per_channel,
            concurrency: self.notify_concurrency.max(1),
            rates,
            daily_caps,
            receipt_timeout: self.notify_receipt_timeout,
            alert_after: self.notify_alert_after.max(1),
            alert_url: self.notify_alert_url.clone(),
            ..WorkerConfig::default()
        })
    }

    /// The receipt senders' tokens.
    pub fn receipt_auth(&self) -> anyhow::Result<Arc<BearerDigests>> {
        BearerDigests::parse(&self.notify_receipt_clients)
            .map(Arc::new)
            .map_err(|e| anyhow::anyhow!("--notify-receipt-clients: {e}"))
    }
}

/// Starts the channel workers in `tasks` and returns the notify stage to run, planning
/// only the channels that have a provider.
pub fn start(
    args: &NotifyArgs,
    kafka: &KafkaArgs,
    tasks: &mut JoinSet<anyhow::Result<()>>,
    commits: CommitGroups,
    metrics: &Arc<Metrics>,
    shutdown: &CancellationToken,
) -> anyhow::Result<Notify> {
    let config = args.senders()?;
    let templates = Arc::new(Templates::embedded()?);
    let built = senders::build(&config, templates, metrics.clone())?;
    let enabled = senders::enabled(&config);
    if enabled.is_empty() {
        tracing::warn!("no notification channel is configured: status changes are not notified");
    }
    tasks.spawn(worker::supervise(
        commits.pool().clone(),
        built,
        args.workers()?,
        metrics.clone(),
        shutdown.clone(),
    ));
    Ok(Notify {
        commits,
        kafka: kafka.clone(),
        metrics: metrics.clone(),
        enabled,
    })
}
