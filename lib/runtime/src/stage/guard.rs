//! Bad-deploy protection: a stage that would dead-letter most of what it reads stops
//! instead of emptying its input into the dead-letter topic.
//!
//! A release that cannot decode a new event version, or rejects every record because of
//! a bug, would otherwise dead-letter the whole backlog in seconds. The guard keeps the
//! outcomes of the last `window` records; when a dead letter would make at least
//! `min_records` of them and more than `max_ratio` dead-lettered, the record is **not**
//! dead-lettered, its offset is not stored, and the stage stops with an error, so the
//! process exits non-zero and the records wait in Kafka for a fixed release.

use std::collections::VecDeque;
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};

use tokio_util::sync::CancellationToken;

/// Limits of the guard.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct DeadLetterLimit {
    /// Records remembered.
    pub window: usize,
    /// Fewer records than this never trip the guard.
    pub min_records: usize,
    /// Largest share of dead letters tolerated (1.0 disables the guard).
    pub max_ratio: f64,
}

impl Default for DeadLetterLimit {
    fn default() -> Self {
        Self {
            window: 100,
            min_records: 20,
            max_ratio: 0.5,
        }
    }
}

/// The outcomes of a stage's recent records.
#[derive(Debug)]
pub struct DeadLetterGuard {
    limit: DeadLetterLimit,
    recent: Mutex<VecDeque<bool>>,
    tripped: AtomicBool,
    stop: CancellationToken,
}

impl DeadLetterGuard {
    /// A guard with no history.
    pub fn new(limit: DeadLetterLimit) -> Self {
        Self {
            limit,
            recent: Mutex::new(VecDeque::with_capacity(limit.window)),
            tripped: AtomicBool::new(false),
            stop: CancellationToken::new(),
        }
    }

    fn push(&self, recent: &mut VecDeque<bool>, dead: bool) {
        if recent.len() >= self.limit.window.max(1) {
            recent.pop_front();
        }
        recent.push_back(dead);
    }

    /// Records a record handled without a dead letter.
    pub fn ok(&self) {
        let mut recent = self.recent.lock().unwrap_or_else(|e| e.into_inner());
        self.push(&mut recent, false);
    }

    /// Asks to dead-letter one more record: `true` allows it (and counts it); `false`
    /// means the stage must stop (and stays stopped).
    pub fn allow_dead_letter(&self) -> bool {
        if self.tripped.load(Ordering::SeqCst) {
            return false;
        }
        let mut recent = self.recent.lock().unwrap_or_else(|e| e.into_inner());
        let window = self.limit.window.max(1);
        let kept = recent.len().min(window - 1);
        let dead = recent.iter().rev().take(kept).filter(|d| **d).count() + 1;
        let total = kept + 1;
        if total >= self.limit.min_records && dead as f64 / total as f64 > self.limit.max_ratio {
            self.tripped.store(true, Ordering::SeqCst);
            self.stop.cancel();
            return false;
        }
        self.push(&mut recent, true);
        true
    }

    /// Cancelled when the guard trips: the stage's consumer loops end on it.
    pub fn stop_token(&self) -> CancellationToken {
        self.stop.clone()
    }

    /// Whether the guard stopped the stage.
    pub fn tripped(&self) -> bool {
        self.tripped.load(Ordering::SeqCst)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn guard(window: usize, min_records: usize, max_ratio: f64) -> DeadLetterGuard {
        DeadLetterGuard::new(DeadLetterLimit {
            window,
            min_records,
            max_ratio,
        })
    }

    #[test]
    fn a_burst_of_dead_letters_trips_after_the_minimum() {
        let g = guard(20, 10, 0.5);
        let allowed = (0..30).take_while(|_| g.allow_dead_letter()).count();
        assert_eq!(
            allowed, 9,
            "the 10th dead letter in a row would be 10 of 10"
        );
        assert!(g.tripped());
        g.ok();
        assert!(!g.allow_dead_letter(), "a tripped guard stays tripped");
    }

    #[test]
    fn scattered_dead_letters_among_good_records_never_trip() {
        let g = guard(100, 20, 0.5);
        for i in 0..1_000 {
            if i % 3 == 0 {
                assert!(g.allow_dead_letter(), "record {i}");
            } else {
                g.ok();
            }
        }
        assert!(!g.tripped());
    }

    #[test]
    fn only_the_window_counts_and_a_ratio_of_one_disables_it() {
        let g = guard(10, 5, 0.5);
        for _ in 0..10 {
            g.ok();
        }
        // Each dead letter adds one to the last ten: the sixth would make 6 of 10 > 0.5.
        assert!(g.allow_dead_letter() && g.allow_dead_letter() && g.allow_dead_letter());
        assert!(g.allow_dead_letter() && g.allow_dead_letter());
        assert!(!g.allow_dead_letter());
        let off = guard(10, 1, 1.0);
        assert!((0..100).all(|_| off.allow_dead_letter()));
    }
}
