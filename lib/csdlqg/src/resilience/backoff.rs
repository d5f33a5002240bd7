//! Delays between attempts: capped exponential with full jitter, floored by `Retry-After`.
//!
//! `backon` supplies the capped exponential sequence (`min`, `2·min`, … up to
//! `max`); the layer then draws the actual delay uniformly from `[0, step]`
//! ("full jitter", AWS Architecture Blog, 2015), which spreads a herd of
//! retries better than backon's additive jitter. A server `Retry-After` is a
//! floor: the layer never retries sooner than asked.

use std::hash::{BuildHasher, Hasher};
use std::sync::Mutex;
use std::time::Duration;

use backon::{BackoffBuilder, ExponentialBackoff, ExponentialBuilder};
use rand::rngs::SmallRng;
use rand::{Rng, SeedableRng};

/// The jitter source, shared by all lookups of one layer.
#[derive(Debug)]
pub(crate) struct Jitter {
    rng: Mutex<SmallRng>,
}

impl Jitter {
    /// Seeded from the process's random hash keys (OS randomness, via std).
    pub(crate) fn new() -> Self {
        let seed = std::collections::hash_map::RandomState::new()
            .build_hasher()
            .finish();
        Self {
            rng: Mutex::new(SmallRng::seed_from_u64(seed)),
        }
    }

    /// A uniform draw from `[0, upper]`.
    fn below(&self, upper: Duration) -> Duration {
        let nanos = u64::try_from(upper.as_nanos()).unwrap_or(u64::MAX);
        let mut rng = self
            .rng
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        Duration::from_nanos(rng.random_range(0..=nanos))
    }
}

/// The delay schedule of one lookup.
#[derive(Debug)]
pub(crate) struct Schedule {
    steps: ExponentialBackoff,
    max: Duration,
}

impl Schedule {
    /// Steps `min`, `2·min`, `4·min`, … capped at `max`.
    pub(crate) fn new(min: Duration, max: Duration) -> Self {
        let steps = ExponentialBuilder::default()
            .with_min_delay(min.min(max))
            .with_max_delay(max)
            .with_factor(2.0)
            .without_max_times()
            .build();
        Self { steps, max }
    }

    /// The wait before the next attempt: full jitter over the next step, but
    /// never less than the server's `retry_after`.
    pub(crate) fn next_delay(
        &mut self,
        jitter: &Jitter,
        retry_after: Option<Duration>,
    ) -> Duration {
        let step = self.steps.next().unwrap_or(self.max).min(self.max);
        let drawn = jitter.below(step);
        retry_after.map_or(drawn, |floor| drawn.max(floor))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn steps_double_up_to_the_cap_with_full_jitter() {
        let jitter = Jitter::new();
        let (min, max) = (Duration::from_millis(100), Duration::from_millis(450));
        let mut seen_small = false;
        for _ in 0..200 {
            let mut s = Schedule::new(min, max);
            let delays: Vec<_> = (0..5).map(|_| s.next_delay(&jitter, None)).collect();
            let caps = [100, 200, 400, 450, 450].map(Duration::from_millis);
            for (d, cap) in delays.iter().zip(caps) {
                assert!(*d <= cap, "{d:?} > {cap:?}");
            }
            seen_small |= delays[2] < Duration::from_millis(200);
        }
        assert!(seen_small, "full jitter reaches below half the step");
    }

    #[test]
    fn retry_after_is_a_floor() {
        let jitter = Jitter::new();
        let mut s = Schedule::new(Duration::from_millis(100), Duration::from_secs(5));
        let d = s.next_delay(&jitter, Some(Duration::from_secs(2)));
        assert_eq!(d, Duration::from_secs(2));
    }
}
