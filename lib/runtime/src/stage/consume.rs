//! One consumer loop: the main topic (level 0) or one retry topic (level ≥ 1).

use std::sync::{Arc, Mutex};
use std::time::Duration;

use dossierflow_schemas::Event;
use rdkafka::Message;
use rdkafka::consumer::{CommitMode, Consumer, StreamConsumer};
use rdkafka::message::OwnedMessage;
use tokio::sync::Semaphore;
use tokio::task::JoinSet;
use tracing::Instrument;

use super::keys::KeyOrder;
use super::offsets::OffsetTracker;
use super::process::process;
use super::{Stage, StageContext, retry_topic};
use crate::lag::LagContext;
use crate::telemetry::StageLabel;

/// A stage's consumer, with the context that feeds the lag metrics.
type StageConsumer = StreamConsumer<LagContext>;

/// Runs the loop of `level` until shutdown.
pub(super) async fn run<S: Stage>(
    stage: Arc<S>,
    ctx: StageContext,
    level: usize,
) -> anyhow::Result<()> {
    let (topic, group, concurrency) = if level == 0 {
        (
            ctx.kafka.topic(S::Input::TYPE),
            ctx.kafka.group(S::NAME),
            stage.concurrency().unwrap_or(ctx.concurrency).max(1),
        )
    } else {
        // Retry topics are FIFO by due time: one record at a time keeps them in order.
        let t = retry_topic(&ctx.kafka, S::Input::TYPE, S::NAME, level);
        (t, ctx.kafka.group(&format!("{}-retry-{level}", S::NAME)), 1)
    };
    let lag = LagContext::new(S::NAME, level == 0, ctx.metrics.clone());
    let consumer = crate::kafka::stage_consumer(
        &ctx.brokers,
        &ctx.kafka.security,
        &group,
        ctx.kafka.stats_interval,
        lag,
    )?;
    let consumer = Arc::new(consumer);
    consumer
        .subscribe(&[&topic])
        .map_err(|e| anyhow::anyhow!("cannot subscribe to {topic}: {e}"))?;
    tracing::info!(stage = S::NAME, %topic, %group, concurrency, "stage consumer started");
    let tracker = Arc::new(Mutex::new(OffsetTracker::default()));
    let permits = Arc::new(Semaphore::new(concurrency));
    let order = Arc::new(KeyOrder::default());
    let label = StageLabel { stage: S::NAME };
    let mut tasks = JoinSet::new();
    let mut paused = false;
    let stop = ctx.guard.stop_token();
    loop {
        while let Some(done) = tasks.try_join_next() {
            if let Err(e) = done {
                tracing::error!(stage = S::NAME, error = %e, "record task failed");
            }
        }
        if let Some(wait) = stage.paused_for() {
            if !paused {
                tracing::warn!(stage = S::NAME, %topic, ?wait, "dependency unavailable: pausing consumption");
            }
            pause(&consumer, true);
            paused = true;
            ctx.metrics.stage_paused.get_or_create(&label).set(1);
            tokio::select! {
                _ = ctx.shutdown.cancelled() => break,
                _ = stop.cancelled() => break,
                _ = tokio::time::sleep(wait.clamp(Duration::from_millis(50), Duration::from_millis(500))) => {}
                // Keep polling (group membership); a record that still arrives waits in its task.
                m = consumer.recv(), if permits.available_permits() > 0 => {
                    dispatch(&stage, &ctx, &consumer, &tracker, &permits, &order, &mut tasks, m, level).await;
                }
            }
            continue;
        }
        if paused {
            tracing::info!(stage = S::NAME, %topic, "dependency available again: resuming consumption");
            pause(&consumer, false);
            paused = false;
            ctx.metrics.stage_paused.get_or_create(&label).set(0);
        }
        let msg = tokio::select! {
            _ = ctx.shutdown.cancelled() => break,
            _ = stop.cancelled() => break,
            m = consumer.recv() => m,
        };
        dispatch(
            &stage, &ctx, &consumer, &tracker, &permits, &order, &mut tasks, msg, level,
        )
        .await;
    }
    // Shutdown: records in flight finish or give up (their offsets stay unstored).
    let drain = async { while tasks.join_next().await.is_some() {} };
    if tokio::time::timeout(Duration::from_secs(6), drain)
        .await
        .is_err()
    {
        tasks.abort_all();
    }
    if let Err(e) = consumer.commit_consumer_state(CommitMode::Sync) {
        tracing::debug!(stage = S::NAME, error = %e, "final commit");
    }
    tracing::info!(stage = S::NAME, %topic, "stage consumer stopped");
    Ok(())
}

fn pause(consumer: &StageConsumer, on: bool) {
    if let Ok(assignment) = consumer.assignment() {
        let result = if on {
            consumer.pause(&assignment)
        } else {
            consumer.resume(&assignment)
        };
        if let Err(e) = result {
            tracing::debug!(error = %e, on, "pause/resume");
        }
    }
}

#[allow(clippy::too_many_arguments)]
async fn dispatch<S: Stage>(
    stage: &Arc<S>,
    ctx: &StageContext,
    consumer: &Arc<StageConsumer>,
    tracker: &Arc<Mutex<OffsetTracker>>,
    permits: &Arc<Semaphore>,
    order: &Arc<KeyOrder>,
    tasks: &mut JoinSet<()>,
    msg: Result<rdkafka::message::BorrowedMessage<'_>, rdkafka::error::KafkaError>,
    level: usize,
) {
    let msg: OwnedMessage = match msg {
        Ok(m) => m.detach(),
        Err(e) => {
            tracing::warn!(stage = S::NAME, error = %e, "consumer error; continuing");
            tokio::time::sleep(Duration::from_millis(200)).await;
            return;
        }
    };
    let Ok(permit) = permits.clone().acquire_owned().await else {
        return;
    };
    let now_ms = chrono::Utc::now().timestamp_millis();
    consumer
        .context()
        .record_taken(msg.timestamp().to_millis(), now_ms);
    let (topic, partition, offset) = (msg.topic().to_owned(), msg.partition(), msg.offset());
    lock(tracker).start(&topic, partition, offset);
    // Taken here, in offset order: a later record of the same dossier waits for this one.
    let mut turn = order.enter(KeyOrder::chain_key(&topic, partition, msg.key()));
    let (stage, ctx, consumer, tracker) = (
        stage.clone(),
        ctx.clone(),
        consumer.clone(),
        tracker.clone(),
    );
    let span = tracing::info_span!("message", stage = S::NAME, %topic, partition, offset);
    tasks.spawn(
        async move {
            // An earlier record of this dossier was abandoned (shutdown): it comes back
            // after the restart, and this one must come after it again.
            let done = turn.ready().await && process(&*stage, &ctx, &msg, level).await;
            drop(permit);
            if !done {
                return; // shutdown: leave it unfinished so its offset is never passed
            }
            turn.finish();
            let store = lock(&tracker).finish(&topic, partition, offset);
            if let Some(o) = store
                && let Err(e) = consumer.store_offset(&topic, partition, o)
            {
                // After a rebalance the partition may be gone: its new owner re-handles.
                tracing::debug!(error = %e, "cannot store offset");
            }
        }
        .instrument(span),
    );
}

fn lock(t: &Mutex<OffsetTracker>) -> std::sync::MutexGuard<'_, OffsetTracker> {
    // A poisoned tracker only means a task panicked mid-update; its data is still usable.
    t.lock().unwrap_or_else(|p| p.into_inner())
}
