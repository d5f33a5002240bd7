//! Channel workers against PostgreSQL with a scripted provider (fault injection): the
//! daily cap holds sends back without failing them, the rate limit paces requests, and a
//! send that keeps failing ends `technical-failure` after exactly its attempt budget.

mod common;

use std::collections::HashMap;
use std::num::NonZeroU32;
use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant};

use chrono::Utc;
use dossierflow_consumers::notify::channel::{Message, NotifyChannel, Outcome, Sender};
use dossierflow_consumers::notify::policy::RetryPolicy;
use dossierflow_consumers::notify::record::Facts;
use dossierflow_consumers::notify::worker::{WorkerConfig, supervise};
use dossierflow_runtime::telemetry::Metrics;
use sqlx::PgPool;
use tokio_util::sync::CancellationToken;
use uuid::Uuid;

/// A provider that answers every request the same way and counts them.
struct Scripted {
    answer: Outcome,
    calls: AtomicU32,
}

#[async_trait::async_trait]
impl Sender for Scripted {
    fn channel(&self) -> NotifyChannel {
        NotifyChannel::Email
    }
    async fn send(&self, _message: &Message) -> Outcome {
        self.calls.fetch_add(1, Ordering::SeqCst);
        self.answer.clone()
    }
}

async fn queue(pool: &PgPool, n: usize) {
    let facts = Facts {
        dossier_code: Some("000.00.92.H55-230206-0001".into()),
        procedure_code: "1.001".into(),
        procedure_name: "Đăng ký khai sinh".into(),
        agency_name: None,
        status_code: 2,
        changed_at: Utc::now(),
        submitted_at: Utc::now(),
        due_at: None,
        reason: None,
        supplement_deadline: None,
        new_appointment: None,
        overdue: false,
    };
    let facts = serde_json::to_value(facts).expect("facts");
    for _ in 0..n {
        let dossier = Uuid::now_v7();
        sqlx::query(
            "INSERT INTO dossier (id, procedure_code, status, stage, applicant_id_masked, submitted_at, contact)
             VALUES ($1, '1.001', 2, 'routed', '0251******87', now(), '{\"email\": \"an@example.vn\"}')",
        )
        .bind(dossier)
        .execute(pool)
        .await
        .expect("dossier");
        sqlx::query(
            "INSERT INTO notification (id, dossier_id, status_event_id, channel, status_code, template, facts)
             VALUES ($1, $2, $3, 'email', 2, 'received', $4)",
        )
        .bind(Uuid::now_v7())
        .bind(dossier)
        .bind(Uuid::now_v7())
        .bind(&facts)
        .execute(pool)
        .await
        .expect("notification");
    }
}

async fn states(pool: &PgPool) -> HashMap<String, i64> {
    let rows: Vec<(String, i64)> =
        sqlx::query_as("SELECT state, count(*) FROM notification GROUP BY 1")
            .fetch_all(pool)
            .await
            .expect("states");
    rows.into_iter().collect()
}

/// Runs the worker until `done` holds for the table or `limit` passes.
async fn run_until(
    pool: &PgPool,
    sender: Arc<Scripted>,
    config: WorkerConfig,
    limit: Duration,
    done: impl Fn(&HashMap<String, i64>) -> bool,
) -> Duration {
    let shutdown = CancellationToken::new();
    let task = tokio::spawn(supervise(
        pool.clone(),
        vec![sender as Arc<dyn Sender>],
        config,
        Metrics::new(),
        shutdown.clone(),
    ));
    let started = Instant::now();
    while !done(&states(pool).await) && started.elapsed() < limit {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let took = started.elapsed();
    shutdown.cancel();
    task.await.expect("join").expect("worker");
    took
}

fn config() -> WorkerConfig {
    WorkerConfig {
        poll: Duration::from_millis(10),
        ..WorkerConfig::default()
    }
}

#[tokio::test]
async fn the_daily_cap_holds_sends_back_without_failing_them() {
    let (pool, name) = common::fresh_db("nw_cap").await;
    queue(&pool, 8).await;
    let sender = Arc::new(Scripted {
        answer: Outcome::Delivered { provider_ref: None },
        calls: AtomicU32::new(0),
    });
    let mut c = config();
    c.daily_caps.insert(NotifyChannel::Email, 5);
    run_until(&pool, sender.clone(), c, Duration::from_secs(2), |_| false).await;
    let s = states(&pool).await;
    assert_eq!(
        (s.get("delivered"), s.get("queued")),
        (Some(&5), Some(&3)),
        "{s:?}"
    );
    assert_eq!(sender.calls.load(Ordering::SeqCst), 5);
    let used: i64 =
        sqlx::query_scalar("SELECT used FROM notification_daily_use WHERE channel = 'email'")
            .fetch_one(&pool)
            .await
            .expect("use");
    assert_eq!(used, 5);
    common::drop_db(pool, &name).await;
}

#[tokio::test]
async fn the_rate_limit_paces_provider_requests() {
    let (pool, name) = common::fresh_db("nw_rate").await;
    queue(&pool, 30).await;
    let sender = Arc::new(Scripted {
        answer: Outcome::Delivered { provider_ref: None },
        calls: AtomicU32::new(0),
    });
    let mut c = config();
    c.rates
        .insert(NotifyChannel::Email, NonZeroU32::new(20).expect("rate"));
    let took = run_until(&pool, sender.clone(), c, Duration::from_secs(10), |s| {
        s.get("delivered") == Some(&30)
    })
    .await;
    // A burst of 20, then 20 per second: the last 10 need at least half a second.
    assert!(
        took >= Duration::from_millis(450),
        "30 sends at 20/s took only {took:?}"
    );
    assert_eq!(sender.calls.load(Ordering::SeqCst), 30);
    common::drop_db(pool, &name).await;
}

#[tokio::test]
async fn a_send_that_keeps_failing_ends_technical_failure_after_its_budget() {
    let (pool, name) = common::fresh_db("nw_budget").await;
    queue(&pool, 2).await;
    let answer = Outcome::Retry {
        reason: "SMTP 421".into(),
        retry_after: None,
    };
    let sender = Arc::new(Scripted {
        answer,
        calls: AtomicU32::new(0),
    });
    let mut c = config();
    c.retry = RetryPolicy {
        interval: Duration::from_millis(10),
        max_attempts: 3,
        ..RetryPolicy::default()
    };
    run_until(&pool, sender.clone(), c, Duration::from_secs(10), |s| {
        s.get("technical-failure") == Some(&2)
    })
    .await;
    let s = states(&pool).await;
    assert_eq!(s.get("technical-failure"), Some(&2), "{s:?}");
    assert_eq!(
        sender.calls.load(Ordering::SeqCst),
        6,
        "exactly 3 attempts each"
    );
    let errors: Vec<Option<String>> = sqlx::query_scalar("SELECT last_error FROM notification")
        .fetch_all(&pool)
        .await
        .expect("errors");
    assert!(
        errors.iter().all(|e| e.as_deref() == Some("SMTP 421")),
        "{errors:?}"
    );
    common::drop_db(pool, &name).await;
}
