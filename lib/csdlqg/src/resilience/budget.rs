//! A retry budget, in the manner of Finagle's `RetryBudget` and tower's `TpsBudget`.
//!
//! Each first attempt deposits; each retry withdraws. Over the sliding window,
//! retries may not exceed `ratio × first attempts + min_per_sec × window`. The
//! floor lets a quiet service still retry; the ratio stops a failure storm
//! from multiplying load on a registry that is already struggling.

use std::sync::Mutex;
use std::time::Duration;

use tokio::time::Instant;

use super::rolling::Rolling;

/// Shared retry allowance.
#[derive(Debug)]
pub(crate) struct RetryBudget {
    ratio: f64,
    reserve: f64,
    /// `(first attempts, retries)` over the window.
    window: Mutex<Rolling>,
}

impl RetryBudget {
    pub(crate) fn new(ratio: f64, min_per_sec: u32, window: Duration) -> Self {
        Self {
            ratio: ratio.max(0.0),
            reserve: f64::from(min_per_sec) * window.as_secs_f64(),
            window: Mutex::new(Rolling::new(window)),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Rolling> {
        self.window
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Records a first attempt.
    pub(crate) fn deposit(&self) {
        self.lock().add(Instant::now(), 1, 0);
    }

    /// Takes one retry from the budget; `false` when it is exhausted.
    pub(crate) fn withdraw(&self) -> bool {
        let now = Instant::now();
        let mut window = self.lock();
        let (firsts, retries) = window.totals(now);
        let allowed = self.ratio * firsts as f64 + self.reserve;
        if (retries + 1) as f64 > allowed {
            return false;
        }
        window.add(now, 0, 1);
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn ratio_plus_floor_then_refill() {
        let budget = RetryBudget::new(0.2, 1, Duration::from_secs(10));
        for _ in 0..100 {
            budget.deposit();
        }
        let granted = (0..100).filter(|_| budget.withdraw()).count();
        assert_eq!(granted, 20 + 10);
        tokio::time::advance(Duration::from_secs(11)).await;
        assert!(budget.withdraw(), "the window slid: the floor is back");
    }

    #[tokio::test(start_paused = true)]
    async fn zero_floor_and_no_traffic_means_no_retries() {
        let budget = RetryBudget::new(0.2, 0, Duration::from_secs(10));
        assert!(!budget.withdraw());
        for _ in 0..5 {
            budget.deposit();
        }
        assert!(budget.withdraw());
        assert!(!budget.withdraw());
    }
}
