//! A rolling window of two counters, kept in a fixed ring of time buckets.
//!
//! Both the circuit breaker (successes, failures) and the retry budget (first
//! attempts, retries) need "how many of each over the last N seconds". Memory
//! is bounded by the bucket count, whatever the call rate. Time is
//! `tokio::time::Instant`, so paused-clock tests drive it deterministically.

use std::time::Duration;

use tokio::time::Instant;

/// Buckets per window: the window slides in steps of `window / BUCKETS`.
const BUCKETS: usize = 10;

/// Two counts (`a`, `b`) summed over a sliding window.
#[derive(Debug)]
pub(crate) struct Rolling {
    origin: Instant,
    width: Duration,
    /// `(bucket index since origin, a, b)`; a slot is stale when its index is old.
    slots: [(u64, u64, u64); BUCKETS],
}

impl Rolling {
    /// A window of `window` (at least 10 ms) starting now.
    pub(crate) fn new(window: Duration) -> Self {
        let width = (window / BUCKETS as u32).max(Duration::from_millis(1));
        Self {
            origin: Instant::now(),
            width,
            slots: [(u64::MAX, 0, 0); BUCKETS],
        }
    }

    fn index(&self, now: Instant) -> u64 {
        let elapsed = now.saturating_duration_since(self.origin).as_nanos();
        u64::try_from(elapsed / self.width.as_nanos().max(1)).unwrap_or(u64::MAX - 1)
    }

    /// Adds to the counts of the current bucket.
    pub(crate) fn add(&mut self, now: Instant, a: u64, b: u64) {
        let index = self.index(now);
        let slot = &mut self.slots[(index % BUCKETS as u64) as usize];
        if slot.0 != index {
            *slot = (index, 0, 0);
        }
        slot.1 += a;
        slot.2 += b;
    }

    /// Sums of `a` and `b` over the buckets still inside the window.
    pub(crate) fn totals(&self, now: Instant) -> (u64, u64) {
        let current = self.index(now);
        self.slots
            .iter()
            .filter(|(index, _, _)| {
                *index != u64::MAX && *index <= current && current - index < BUCKETS as u64
            })
            .fold((0, 0), |(a, b), (_, sa, sb)| (a + sa, b + sb))
    }

    /// Forgets everything counted so far.
    pub(crate) fn clear(&mut self) {
        self.slots = [(u64::MAX, 0, 0); BUCKETS];
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn counts_slide_out_of_the_window() {
        let mut w = Rolling::new(Duration::from_secs(10));
        w.add(Instant::now(), 3, 1);
        tokio::time::advance(Duration::from_secs(5)).await;
        w.add(Instant::now(), 2, 0);
        assert_eq!(w.totals(Instant::now()), (5, 1));
        tokio::time::advance(Duration::from_millis(5500)).await;
        assert_eq!(w.totals(Instant::now()), (2, 0));
        tokio::time::advance(Duration::from_secs(5)).await;
        assert_eq!(w.totals(Instant::now()), (0, 0));
        w.add(Instant::now(), 1, 1);
        w.clear();
        assert_eq!(w.totals(Instant::now()), (0, 0));
    }
}
