//! Channel workers: one task per configured channel, each draining only its own queue, so
//! a provider outage delays nothing on the other channels.
//!
//! A round reserves sends against the channel's daily cap, claims due rows with a lease,
//! sends them concurrently (bounded, and paced by the channel's rate limit), and records
//! the outcomes in groups, one statement each ([`groups`]). Consecutive
//! transient failures raise an operator alert (log at `error`, the
//! `dossier_notification_channel_failing` gauge, and an optional alert webhook) and the
//! first success after them clears it.

use std::sync::Arc;
use std::time::{Duration, Instant};

use dossierflow_runtime::telemetry::{ChannelLabel, ChannelOutcome, Metrics};
use futures::StreamExt;
use governor::{DefaultDirectRateLimiter, Quota, RateLimiter};
use sqlx::PgPool;
use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;

use super::alert::ChannelHealth;
use super::channel::{NotifyChannel, Outcome, Recipient, Sender};
use super::groups;
pub use super::policy::WorkerConfig;
use super::policy::{Next, RetryPolicy, Terminal, next};
use super::queue::{self, Attempted, Claimed};
use super::record::Facts;

/// Most outcomes recorded with one statement.
const RECORD_CHUNK: usize = 64;
/// Longest an outcome waits for others to share its record.
const RECORD_WAIT: Duration = Duration::from_millis(100);

/// Runs one worker per sender until `shutdown`.
pub async fn supervise(
    pool: PgPool,
    senders: Vec<Arc<dyn Sender>>,
    config: WorkerConfig,
    metrics: Arc<Metrics>,
    shutdown: CancellationToken,
) -> anyhow::Result<()> {
    let http = reqwest::Client::builder()
        .timeout(Duration::from_secs(10))
        .build()?;
    let mut tasks = JoinSet::new();
    for sender in senders {
        let channel = sender.channel();
        let worker = Arc::new(Worker {
            channel,
            retry: *config
                .retry_per_channel
                .get(&channel)
                .unwrap_or(&config.retry),
            limiter: config
                .rates
                .get(&channel)
                .map(|r| RateLimiter::direct(Quota::per_second(*r))),
            cap: config.daily_caps.get(&channel).copied(),
            sender,
            pool: pool.clone(),
            config: config.clone(),
            metrics: metrics.clone(),
            health: ChannelHealth::new(channel, &config, http.clone(), metrics.clone()),
        });
        if let Some(cap) = worker.cap {
            metrics
                .notify
                .daily_cap
                .get_or_create(&worker.label())
                .set(cap);
        }
        tracing::info!(channel = %channel, "starting the notification worker of a channel");
        tasks.spawn(worker.run(shutdown.clone()));
    }
    while tasks.join_next().await.is_some() {}
    Ok(())
}

struct Worker {
    channel: NotifyChannel,
    sender: Arc<dyn Sender>,
    retry: RetryPolicy,
    limiter: Option<DefaultDirectRateLimiter>,
    cap: Option<i64>,
    pool: PgPool,
    config: WorkerConfig,
    metrics: Arc<Metrics>,
    health: ChannelHealth,
}

impl Worker {
    fn label(&self) -> ChannelLabel {
        ChannelLabel {
            channel: self.channel.as_str(),
        }
    }

    async fn run(self: Arc<Self>, shutdown: CancellationToken) {
        let mut last_housekeeping = Instant::now() - Duration::from_secs(3600);
        while !shutdown.is_cancelled() {
            let sent = match self.round().await {
                Ok(n) => n,
                Err(e) => {
                    tracing::warn!(channel = %self.channel, error = %e, "notification round failed; retrying");
                    0
                }
            };
            if last_housekeeping.elapsed() >= Duration::from_secs(1) {
                last_housekeeping = Instant::now();
                self.housekeeping().await;
            }
            if sent == 0 {
                tokio::select! {
                    _ = shutdown.cancelled() => break,
                    _ = tokio::time::sleep(self.config.poll) => {}
                }
            }
        }
    }

    /// One round; returns how many rows were attempted.
    async fn round(self: &Arc<Self>) -> anyhow::Result<usize> {
        let channel = self.channel.as_str();
        let day = queue::today();
        let granted = match self.cap {
            Some(cap) => {
                let (granted, used) =
                    queue::reserve(&self.pool, channel, day, self.config.batch, cap).await?;
                self.metrics
                    .notify
                    .daily_used
                    .get_or_create(&self.label())
                    .set(used);
                granted
            }
            None => self.config.batch,
        };
        if granted == 0 {
            return Ok(0);
        }
        let claimed = queue::claim(&self.pool, channel, granted, self.config.lease).await?;
        let mut unused = granted - claimed.len() as i64;
        let attempted = claimed.len();
        // Outcomes are recorded in groups (one statement each): all that finish within
        // RECORD_WAIT of the group's first, up to RECORD_CHUNK. A slow send holds back
        // no other row's record for longer than that.
        let results = futures::stream::iter(claimed)
            .map(|c| {
                let me = self.clone();
                async move { me.attempt(c).await }
            })
            .buffer_unordered(self.config.concurrency.max(1));
        let mut refused = 0i64;
        groups::for_each_group(results, RECORD_CHUNK, RECORD_WAIT, |done| {
            refused += done.iter().filter(|(handed_over, _)| !*handed_over).count() as i64;
            let rows: Vec<Attempted> = done.into_iter().map(|(_, row)| row).collect();
            async move { self.record(&rows).await }
        })
        .await;
        unused += refused;
        if self.cap.is_some() {
            queue::refund(&self.pool, channel, day, unused).await?;
        }
        Ok(attempted)
    }

    /// One attempt; returns whether the provider took the message (for the daily cap)
    /// and the result to record.
    async fn attempt(&self, c: Claimed) -> (bool, Attempted) {
        if let Some(limiter) = &self.limiter {
            limiter.until_ready().await;
        }
        let facts = c
            .facts
            .clone()
            .and_then(|f| serde_json::from_value::<Facts>(f).ok());
        let recipient = Recipient {
            phone: c
                .contact
                .get("phone")
                .and_then(|v| v.as_str())
                .map(Into::into),
            email: c
                .contact
                .get("email")
                .and_then(|v| v.as_str())
                .map(Into::into),
        };
        let message = facts.map(|f| f.message(c.id, c.dossier_id, &c.template, recipient));
        let outcome = match message {
            Some(Ok(m)) => {
                let started = Instant::now();
                let outcome = self.sender.send(&m).await;
                self.metrics
                    .notify
                    .send_duration
                    .get_or_create(&self.label())
                    .observe(started.elapsed().as_secs_f64());
                outcome
            }
            _ => Outcome::Rejected {
                reason: "stored facts missing or unreadable".into(),
            },
        };
        let attempts = u32::try_from(c.attempts).unwrap_or(u32::MAX);
        let step = next(&outcome, attempts, &self.retry, rand::random::<f64>());
        let (result, provider_ref, error) = match &outcome {
            Outcome::Accepted { provider_ref } => ("accepted", provider_ref.as_deref(), None),
            Outcome::Delivered { provider_ref } => ("delivered", provider_ref.as_deref(), None),
            Outcome::Retry { reason, .. } => ("retry", None, Some(reason.as_str())),
            Outcome::Rejected { reason } => ("rejected", None, Some(reason.as_str())),
        };
        self.metrics
            .notify
            .attempts
            .get_or_create(&self.labels(result))
            .inc();
        self.health.observe(&outcome, error);
        let row = Attempted {
            id: c.id,
            next: step,
            provider_ref: provider_ref.map(Into::into),
            error: error.map(Into::into),
        };
        let handed_over = matches!(
            outcome,
            Outcome::Accepted { .. } | Outcome::Delivered { .. }
        );
        (handed_over, row)
    }

    /// Records finished attempts with one statement and one commit. A receipt that came
    /// first wins (the row is no longer `sending`); if the write fails, the leases expire
    /// and the same idempotency keys are sent again.
    async fn record(&self, rows: &[Attempted]) {
        match queue::record_all(&self.pool, rows).await {
            Ok(recorded) => {
                for (row, recorded) in rows.iter().zip(recorded) {
                    if let (true, Next::Final(t)) = (recorded, &row.next) {
                        self.finished(*t);
                    }
                }
            }
            Err(e) => {
                tracing::warn!(channel = %self.channel, outcomes = rows.len(), error = %e,
                    "could not record send outcomes; the leases will expire and the same keys are sent again")
            }
        }
    }

    fn labels(&self, outcome: &'static str) -> ChannelOutcome {
        ChannelOutcome {
            channel: self.channel.as_str(),
            outcome,
        }
    }

    fn finished(&self, t: Terminal) {
        self.metrics
            .notify
            .sends
            .get_or_create(&self.labels(t.label()))
            .inc();
        if t == Terminal::TechnicalFailure {
            tracing::warn!(channel = %self.channel, "a notification ended technical-failure after its retry budget");
        }
    }

    async fn housekeeping(&self) {
        let channel = self.channel.as_str();
        if self.channel.has_receipts() {
            match queue::expire_receipts(&self.pool, channel, self.config.receipt_timeout).await {
                Ok(n) if n > 0 => {
                    for _ in 0..n {
                        self.finished(Terminal::TemporaryFailure);
                    }
                    tracing::warn!(channel, expired = n, "delivery receipts never came");
                }
                Ok(_) => {}
                Err(e) => tracing::warn!(channel, error = %e, "could not expire receipts"),
            }
        }
        if let Ok((depth, age)) = queue::backlog(&self.pool, channel).await {
            let label = self.label();
            self.metrics
                .notify
                .queue_depth
                .get_or_create(&label)
                .set(depth);
            self.metrics
                .notify
                .queue_age
                .get_or_create(&label)
                .set(age as i64);
        }
    }
}
