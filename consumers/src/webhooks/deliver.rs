//! Delivery workers: one task per agency with a webhook, each polling only its own due
//! rows, so a dead endpoint delays nobody else's deliveries.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use dossierflow_runtime::crypto::Keyring;
use dossierflow_runtime::telemetry::{AgencyLabel, AgencyOutcome, Metrics};
use sqlx::PgPool;
use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;
use uuid::Uuid;

use super::EVENT_HEADER_VALUE;
use super::handle::{Attempt, Backoff, Step, next_step};
use super::secret::open_secret;
use super::sign::signature_header;

/// Settings of the delivery workers.
#[derive(Debug, Clone)]
pub struct DeliveryConfig {
    /// Retry policy of each delivery.
    pub backoff: Backoff,
    /// Timeout of one POST.
    pub request_timeout: Duration,
    /// How long a worker sleeps when none of its rows is due.
    pub poll: Duration,
    /// Rows a worker locks and sends per round.
    pub batch: i64,
    /// How often the agency list is re-read.
    pub discover_every: Duration,
}

/// One agency's webhook configuration.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Endpoint {
    url: String,
    secret: String,
}

/// Runs until `shutdown`: reads the agencies with a webhook at start and every
/// `discover_every`, and keeps exactly one worker per agency (restarted when its URL or
/// secret changes, stopped when its webhook is removed). Secrets are opened with `keys`.
pub async fn supervise(
    pool: PgPool,
    keys: Keyring,
    config: DeliveryConfig,
    metrics: Arc<Metrics>,
    shutdown: CancellationToken,
) -> anyhow::Result<()> {
    let client = reqwest::Client::builder()
        .timeout(config.request_timeout)
        .build()?;
    let mut workers: HashMap<String, (Endpoint, CancellationToken)> = HashMap::new();
    let mut tasks = JoinSet::new();
    loop {
        match endpoints(&pool, &keys).await {
            Ok(found) => {
                workers.retain(|agency, (ep, token)| {
                    let keep = found.get(agency) == Some(ep);
                    if !keep {
                        token.cancel();
                    }
                    keep
                });
                for (agency, ep) in found {
                    if workers.contains_key(&agency) {
                        continue;
                    }
                    tracing::info!(agency = %agency, "starting the webhook worker of an agency");
                    let token = shutdown.child_token();
                    let worker = Worker {
                        agency: agency.clone(),
                        endpoint: ep.clone(),
                        pool: pool.clone(),
                        client: client.clone(),
                        config: config.clone(),
                        metrics: metrics.clone(),
                    };
                    tasks.spawn(worker.run(token.clone()));
                    workers.insert(agency, (ep, token));
                }
            }
            Err(e) => {
                tracing::warn!(error = %e, "could not read the agency webhooks; keeping the current workers")
            }
        }
        tokio::select! {
            _ = shutdown.cancelled() => break,
            _ = tokio::time::sleep(config.discover_every) => {}
            Some(_) = tasks.join_next() => {}
        }
    }
    while tasks.join_next().await.is_some() {}
    Ok(())
}

async fn endpoints(pool: &PgPool, keys: &Keyring) -> sqlx::Result<HashMap<String, Endpoint>> {
    let rows: Vec<(String, String, Option<String>)> = sqlx::query_as(
        "SELECT agency_id, webhook_url, webhook_secret FROM agency_endpoint WHERE webhook_url IS NOT NULL",
    )
    .fetch_all(pool)
    .await?;
    let mut out = HashMap::new();
    for (agency, url, stored) in rows {
        match open_secret(keys, &agency, stored.as_deref().unwrap_or_default()) {
            Ok(secret) => {
                out.insert(agency, Endpoint { url, secret });
            }
            // Its deliveries stay queued until the secret is fixed.
            Err(e) => {
                tracing::warn!(agency = %agency, error = %e, "the webhook secret of an agency does not open; not delivering to it")
            }
        }
    }
    Ok(out)
}

/// A due delivery: id, payload, attempts so far, age in seconds.
type DueRow = (Uuid, serde_json::Value, i32, f64);

struct Worker {
    agency: String,
    endpoint: Endpoint,
    pool: PgPool,
    client: reqwest::Client,
    config: DeliveryConfig,
    metrics: Arc<Metrics>,
}

impl Worker {
    async fn run(self, token: CancellationToken) {
        while !token.is_cancelled() {
            let sent = match self.round().await {
                Ok(n) => n,
                Err(e) => {
                    tracing::warn!(agency = %self.agency, error = %e, "webhook delivery round failed; retrying");
                    0
                }
            };
            self.report_age().await;
            if sent == 0 {
                tokio::select! {
                    _ = token.cancelled() => break,
                    _ = tokio::time::sleep(self.config.poll) => {}
                }
            }
        }
    }

    /// Locks up to `batch` due rows of this agency, sends each, records the outcomes.
    async fn round(&self) -> anyhow::Result<usize> {
        let mut tx = self.pool.begin().await?;
        let due: Vec<DueRow> = sqlx::query_as(
            "SELECT id, payload, attempts, EXTRACT(EPOCH FROM now() - created_at)::float8
             FROM webhook_delivery
             WHERE agency_id = $1 AND state = 'pending' AND next_attempt_at <= now()
             ORDER BY next_attempt_at LIMIT $2 FOR UPDATE SKIP LOCKED",
        )
        .bind(&self.agency)
        .bind(self.config.batch)
        .fetch_all(&mut *tx)
        .await?;
        for (id, payload, attempts, age) in &due {
            let (outcome, error) = self.send(*id, payload).await;
            let attempts = u32::try_from(*attempts).unwrap_or(0).saturating_add(1);
            let age = Duration::from_secs_f64(age.max(0.0));
            let jitter = rand::random::<f64>();
            let step = next_step(outcome, attempts, age, &self.config.backoff, jitter);
            let (state, delay, label) = match step {
                Step::Delivered => ("delivered", Duration::ZERO, "delivered"),
                Step::RetryIn(d) => ("pending", d, "failed"),
                Step::Dead => ("dead", Duration::ZERO, "dead_lettered"),
            };
            sqlx::query(
                "UPDATE webhook_delivery SET attempts = attempts + 1, state = $2, last_error = $3,
                   next_attempt_at = now() + make_interval(secs => $4),
                   delivered_at = CASE WHEN $2 = 'delivered' THEN now() END
                 WHERE id = $1",
            )
            .bind(id)
            .bind(state)
            .bind(error)
            .bind(delay.as_secs_f64())
            .execute(&mut *tx)
            .await?;
            if let Step::Dead = step {
                tracing::warn!(agency = %self.agency, delivery = %id, attempts, "webhook delivery dead after its retry budget");
            }
            self.metrics
                .webhook_deliveries
                .get_or_create(&AgencyOutcome {
                    agency: self.agency.clone(),
                    outcome: label,
                })
                .inc();
        }
        tx.commit().await?;
        Ok(due.len())
    }

    /// One signed POST; the error text never contains the body.
    async fn send(&self, id: Uuid, payload: &serde_json::Value) -> (Attempt, Option<String>) {
        let body = match serde_json::to_vec(payload) {
            Ok(b) => b,
            Err(e) => return (Attempt::Failed, Some(format!("encoding: {e}"))),
        };
        let t = chrono::Utc::now().timestamp();
        let signature = signature_header(self.endpoint.secret.as_bytes(), t, &body);
        let res = self
            .client
            .post(&self.endpoint.url)
            .header("content-type", "application/json")
            .header("x-dossierflow-signature", signature)
            .header("idempotency-key", id.to_string())
            .header("x-dossierflow-event", EVENT_HEADER_VALUE)
            .body(body)
            .send()
            .await;
        match res {
            Ok(r) if r.status().is_success() => (Attempt::Delivered, None),
            Ok(r) => (
                Attempt::Failed,
                Some(format!("HTTP {}", r.status().as_u16())),
            ),
            Err(e) if e.is_timeout() => (Attempt::Failed, Some("timeout".into())),
            Err(e) if e.is_connect() => (Attempt::Failed, Some("connection failed".into())),
            Err(_) => (Attempt::Failed, Some("request failed".into())),
        }
    }

    async fn report_age(&self) {
        let age: Result<(Option<f64>,), _> = sqlx::query_as(
            "SELECT EXTRACT(EPOCH FROM now() - min(created_at))::float8 FROM webhook_delivery
             WHERE agency_id = $1 AND state = 'pending'",
        )
        .bind(&self.agency)
        .fetch_one(&self.pool)
        .await;
        if let Ok((age,)) = age {
            self.metrics
                .webhook_queue_age
                .get_or_create(&AgencyLabel {
                    agency: self.agency.clone(),
                })
                .set(age.unwrap_or(0.0) as i64);
        }
    }
}
