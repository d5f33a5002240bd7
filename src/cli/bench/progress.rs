//! Progress lines on stderr while a part runs: one line a second with its counters.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use tokio::task::JoinHandle;

/// Counters printed once a second until dropped.
pub struct Progress {
    task: JoinHandle<()>,
}

/// A shared counter.
pub type Counter = Arc<AtomicU64>;

/// A new counter at zero.
pub fn counter() -> Counter {
    Arc::new(AtomicU64::new(0))
}

impl Progress {
    /// Prints `label` and each named counter (with its rate since the start) every second.
    pub fn start(label: String, counters: Vec<(&'static str, Counter)>) -> Self {
        Self::with_gauges(label, counters, Vec::new())
    }

    /// Like [`Progress::start`], followed by `gauges`: current values, printed without a rate.
    pub fn with_gauges(
        label: String,
        counters: Vec<(&'static str, Counter)>,
        gauges: Vec<(&'static str, Counter)>,
    ) -> Self {
        eprintln!("bench: {label} …");
        let task = tokio::spawn(async move {
            let started = Instant::now();
            let mut tick = tokio::time::interval(Duration::from_secs(1));
            tick.tick().await;
            loop {
                tick.tick().await;
                let secs = started.elapsed().as_secs_f64().max(1e-9);
                let parts: Vec<String> = counters
                    .iter()
                    .map(|(name, c)| {
                        let n = c.load(Ordering::Relaxed);
                        format!("{name} {n} ({:.0}/s)", n as f64 / secs)
                    })
                    .chain(
                        gauges
                            .iter()
                            .map(|(name, g)| format!("{name} {}", g.load(Ordering::Relaxed))),
                    )
                    .collect();
                eprintln!("bench:   {label} {:.0}s: {}", secs, parts.join(", "));
            }
        });
        Self { task }
    }
}

impl Drop for Progress {
    fn drop(&mut self) {
        self.task.abort();
    }
}
