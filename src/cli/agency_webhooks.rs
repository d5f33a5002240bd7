//! `dossierflow agency-webhook`: configure an agency's webhook, and the settings of the
//! webhook delivery workers (`DOSSIER__WEBHOOK__…`).
//!
//! The secret is stored in `agency_endpoint.webhook_secret` sealed with the data keyring
//! (`DOSSIER__CRYPTO__KEYS`, bound to the agency id); the delivery workers open it with
//! the same keyring, so both must be configured with the same keys.

use std::sync::Arc;
use std::time::Duration;

use clap::Args;
use dossierflow_consumers::webhooks::{Backoff, DeliveryConfig, Webhooks, seal_secret, supervise};
use dossierflow_domain::AgencyId;
use dossierflow_runtime::commit_group::CommitGroups;
use dossierflow_runtime::config::{CryptoArgs, DbArgs, LogFormat, parse_duration};
use dossierflow_runtime::crypto::Keyring;
use dossierflow_runtime::telemetry::{self, Metrics};
use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;

/// Options of `agency-webhook`.
#[derive(Debug, Args)]
pub struct AgencyWebhookArgs {
    /// The agency's e-identifier (QCVN 102), e.g. `000.00.13.H43`.
    #[arg(long)]
    agency: String,
    /// Where dossiers are POSTed (`https://…`; `http://` only for tests and demos).
    #[arg(long)]
    url: String,
    /// Environment variable holding the HMAC secret; a random one is generated and
    /// printed once when absent.
    #[arg(long)]
    secret_env: Option<String>,
    #[command(flatten)]
    db: DbArgs,
    #[command(flatten)]
    crypto: CryptoArgs,
}

/// Stores (or replaces) the agency's webhook URL and secret.
pub async fn configure(a: AgencyWebhookArgs) -> anyhow::Result<()> {
    telemetry::init_logging(LogFormat::Pretty);
    let agency =
        AgencyId::parse(&a.agency).map_err(|e| anyhow::anyhow!("--agency {}: {e}", a.agency))?;
    let url = reqwest::Url::parse(&a.url).map_err(|e| anyhow::anyhow!("--url: {e}"))?;
    if !matches!(url.scheme(), "https" | "http") {
        anyhow::bail!("--url must be an https:// (or, for tests, http://) URL");
    }
    let (secret, generated) = match &a.secret_env {
        Some(var) => match std::env::var(var) {
            Ok(s) if !s.is_empty() => (s, false),
            _ => anyhow::bail!("environment variable {var} (from --secret-env) is empty or unset"),
        },
        // Two v4 UUIDs: 244 random bits from the OS generator.
        None => (
            format!(
                "{}{}",
                uuid::Uuid::new_v4().simple(),
                uuid::Uuid::new_v4().simple()
            ),
            true,
        ),
    };
    let sealed = seal_secret(&a.crypto.keyring()?, agency.as_str(), &secret)?;
    let pool = dossierflow_runtime::db::connect_and_migrate(&a.db).await?;
    sqlx::query(
        "INSERT INTO agency_endpoint (agency_id, webhook_url, webhook_secret, updated_at)
         VALUES ($1, $2, $3, now())
         ON CONFLICT (agency_id) DO UPDATE
         SET webhook_url = EXCLUDED.webhook_url, webhook_secret = EXCLUDED.webhook_secret,
             updated_at = now()",
    )
    .bind(agency.as_str())
    .bind(url.as_str())
    .bind(&sealed)
    .execute(&pool)
    .await?;
    println!("webhook of agency {} set to {url}", agency.as_str());
    if generated {
        println!("secret (shown once, give it to the agency): {secret}");
    }
    Ok(())
}

/// Settings of webhook delivery (`DOSSIER__WEBHOOK__…`).
#[derive(Debug, Clone, Args)]
pub struct WebhookArgs {
    /// Delay after a delivery's first failure (doubles per attempt, with jitter).
    #[arg(long = "webhook-backoff-base", env = "DOSSIER__WEBHOOK__BACKOFF_BASE", default_value = "1s", value_parser = parse_duration)]
    pub backoff_base: Duration,
    /// Largest delay between two attempts of a delivery.
    #[arg(long = "webhook-backoff-cap", env = "DOSSIER__WEBHOOK__BACKOFF_CAP", default_value = "60s", value_parser = parse_duration)]
    pub backoff_cap: Duration,
    /// Attempts after which a delivery is dead.
    #[arg(
        long = "webhook-max-attempts",
        env = "DOSSIER__WEBHOOK__MAX_ATTEMPTS",
        default_value_t = 20
    )]
    pub max_attempts: u32,
    /// Age after which a failing delivery is dead.
    #[arg(long = "webhook-max-age", env = "DOSSIER__WEBHOOK__MAX_AGE", default_value = "24h", value_parser = parse_duration)]
    pub max_age: Duration,
    /// Timeout of one POST.
    #[arg(long = "webhook-timeout", env = "DOSSIER__WEBHOOK__TIMEOUT", default_value = "10s", value_parser = parse_duration)]
    pub timeout: Duration,
    /// How long an agency's worker sleeps when nothing is due.
    #[arg(long = "webhook-poll", env = "DOSSIER__WEBHOOK__POLL", default_value = "250ms", value_parser = parse_duration)]
    pub poll: Duration,
    /// Deliveries an agency's worker sends per round.
    #[arg(
        long = "webhook-batch",
        env = "DOSSIER__WEBHOOK__BATCH",
        default_value_t = 10
    )]
    pub batch: i64,
    /// How often the list of agencies with a webhook is re-read.
    #[arg(long = "webhook-discover-every", env = "DOSSIER__WEBHOOK__DISCOVER_EVERY", default_value = "30s", value_parser = parse_duration)]
    pub discover_every: Duration,
}

impl WebhookArgs {
    fn config(&self) -> DeliveryConfig {
        DeliveryConfig {
            backoff: Backoff {
                base: self.backoff_base,
                cap: self.backoff_cap,
                max_attempts: self.max_attempts.max(1),
                max_age: self.max_age,
            },
            request_timeout: self.timeout,
            poll: self.poll,
            batch: self.batch.max(1),
            discover_every: self.discover_every,
        }
    }
}

/// The enqueue stage and the delivery supervisor: the stage goes through the caller's
/// `spawn_stage`; the supervisor is spawned here.
pub fn start(
    args: &WebhookArgs,
    tasks: &mut JoinSet<anyhow::Result<()>>,
    commits: CommitGroups,
    keys: Keyring,
    metrics: Arc<Metrics>,
    shutdown: CancellationToken,
) -> Webhooks {
    tasks.spawn(supervise(
        commits.pool().clone(),
        keys,
        args.config(),
        metrics,
        shutdown,
    ));
    Webhooks { commits }
}
