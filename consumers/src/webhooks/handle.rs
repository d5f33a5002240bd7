//! The pure core of webhook delivery: the delivery id and what to do after an attempt.

use std::time::Duration;

use uuid::Uuid;

/// Namespace of delivery ids (UUID v5 of the routed event id).
const DELIVERY_NS: Uuid = Uuid::from_u128(0x5e1d_7c1a_0b5d_4c7e_9a51_6f0d_2e3b_a9c1);

/// The delivery id (= `Idempotency-Key`) of a routed event: the same on every retry and
/// on every re-delivery of the event.
pub fn delivery_id(event_id: Uuid) -> Uuid {
    Uuid::new_v5(&DELIVERY_NS, event_id.as_bytes())
}

/// Retry policy of one delivery.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Backoff {
    /// Delay after the first failure.
    pub base: Duration,
    /// Largest delay between two attempts.
    pub cap: Duration,
    /// Attempts after which a delivery is dead.
    pub max_attempts: u32,
    /// Age after which a failing delivery is dead.
    pub max_age: Duration,
}

impl Default for Backoff {
    fn default() -> Self {
        Self {
            base: Duration::from_secs(1),
            cap: Duration::from_secs(60),
            max_attempts: 20,
            max_age: Duration::from_secs(24 * 3600),
        }
    }
}

impl Backoff {
    /// Delay before the next attempt after `attempts` failures (1-based), "equal jitter":
    /// half the exponential delay plus `jitter` (in `[0, 1)`) times the other half, so
    /// retries of many rows spread out but never come sooner than half the delay.
    pub fn delay(&self, attempts: u32, jitter: f64) -> Duration {
        let exp = 2u32.saturating_pow(attempts.saturating_sub(1).min(30));
        let full = self.base.saturating_mul(exp).min(self.cap);
        let half = full / 2;
        half + half.mul_f64(jitter.clamp(0.0, 1.0))
    }
}

/// What happened to one attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Attempt {
    /// The endpoint answered 2xx.
    Delivered,
    /// Anything else: non-2xx, timeout, connection refused.
    Failed,
}

/// The next state of a delivery after an attempt.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Step {
    /// Mark delivered.
    Delivered,
    /// Try again after this delay.
    RetryIn(Duration),
    /// Give up: the attempt or age budget is spent.
    Dead,
}

/// Decides the next step: `attempts` counts this attempt, `age` is since the delivery was
/// queued, `jitter` in `[0, 1)`.
pub fn next_step(
    outcome: Attempt,
    attempts: u32,
    age: Duration,
    policy: &Backoff,
    jitter: f64,
) -> Step {
    match outcome {
        Attempt::Delivered => Step::Delivered,
        Attempt::Failed if attempts >= policy.max_attempts || age >= policy.max_age => Step::Dead,
        Attempt::Failed => Step::RetryIn(policy.delay(attempts, jitter)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const S: fn(u64) -> Duration = Duration::from_secs;

    #[test]
    fn backoff_doubles_up_to_the_cap_with_bounded_jitter() {
        let p = Backoff::default();
        let cases = [
            (1, 0.0, 500),
            (1, 0.999, 999),
            (2, 0.0, 1_000),
            (3, 0.5, 3_000),
        ];
        for (attempts, jitter, ms) in cases {
            let d = p.delay(attempts, jitter).as_millis();
            assert!(d.abs_diff(ms) <= 1, "attempt {attempts}: {d} ms, want {ms}");
        }
        for attempts in [7, 20, 1_000, u32::MAX] {
            let d = p.delay(attempts, 0.999);
            assert!(d <= S(60) && d >= S(30), "attempt {attempts}: {d:?}");
        }
    }

    #[test]
    fn steps_follow_the_budgets() {
        let p = Backoff::default();
        let cases = [
            (Attempt::Delivered, 25, S(90_000), "delivered"),
            (Attempt::Failed, 1, S(0), "retry"),
            (Attempt::Failed, 19, S(3_600), "retry"),
            (Attempt::Failed, 20, S(3_600), "dead"),
            (Attempt::Failed, 2, S(24 * 3_600), "dead"),
        ];
        for (outcome, attempts, age, want) in cases {
            let got = match next_step(outcome, attempts, age, &p, 0.3) {
                Step::Delivered => "delivered",
                Step::RetryIn(_) => "retry",
                Step::Dead => "dead",
            };
            assert_eq!(got, want, "{outcome:?} after {attempts} attempts, {age:?}");
        }
    }

    #[test]
    fn delivery_ids_are_stable_per_event() {
        let e = Uuid::now_v7();
        assert_eq!(delivery_id(e), delivery_id(e));
        assert_ne!(delivery_id(e), delivery_id(Uuid::now_v7()));
    }
}
