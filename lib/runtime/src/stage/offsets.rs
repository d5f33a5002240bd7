//! Which offset may be stored while several records of a partition are in flight.
//!
//! With concurrent handling, record 7 may finish before record 5. The stored offset must
//! never pass the lowest unfinished record, or a crash would skip it: the tracker keeps
//! the in-flight offsets of each partition and answers, on each completion, the highest
//! offset below which everything is done.

use std::collections::{BTreeSet, HashMap};

#[derive(Default)]
struct Partition {
    in_flight: BTreeSet<i64>,
    max_done: Option<i64>,
    stored: Option<i64>,
    /// The first offset handled: nothing below it is ours to store.
    first: Option<i64>,
}

/// In-flight offsets per (topic, partition).
#[derive(Default)]
pub struct OffsetTracker {
    partitions: HashMap<(String, i32), Partition>,
}

impl OffsetTracker {
    /// Records that `offset` is being handled.
    pub fn start(&mut self, topic: &str, partition: i32, offset: i64) {
        let p = self
            .partitions
            .entry((topic.to_owned(), partition))
            .or_default();
        p.in_flight.insert(offset);
        p.first = Some(p.first.map_or(offset, |f| f.min(offset)));
    }

    /// Records that `offset` is done. Returns the offset to store (every record at or below
    /// it is done) when that moved forward.
    pub fn finish(&mut self, topic: &str, partition: i32, offset: i64) -> Option<i64> {
        let p = self.partitions.get_mut(&(topic.to_owned(), partition))?;
        p.in_flight.remove(&offset);
        p.max_done = Some(p.max_done.map_or(offset, |m| m.max(offset)));
        let safe = match p.in_flight.first() {
            Some(&lowest) => lowest - 1,
            None => p.max_done?,
        };
        if p.stored.is_some_and(|s| s >= safe) || p.first.is_none_or(|f| safe < f) {
            return None;
        }
        p.stored = Some(safe);
        Some(safe)
    }

    /// Records handled now and not finished, over all partitions.
    pub fn in_flight(&self) -> usize {
        self.partitions.values().map(|p| p.in_flight.len()).sum()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn out_of_order_completion_never_passes_the_lowest_unfinished() {
        let mut t = OffsetTracker::default();
        for o in 5..=8 {
            t.start("a", 0, o);
        }
        assert_eq!(t.finish("a", 0, 7), None, "5 and 6 still running");
        assert_eq!(t.finish("a", 0, 6), None);
        assert_eq!(t.finish("a", 0, 5), Some(7), "5, 6, 7 done; 8 running");
        assert_eq!(t.finish("a", 0, 8), Some(8));
        assert_eq!(t.in_flight(), 0);
    }

    #[test]
    fn partitions_are_independent_and_unfinished_records_hold_back() {
        let mut t = OffsetTracker::default();
        t.start("a", 0, 10);
        t.start("a", 1, 3);
        t.start("a", 0, 11);
        assert_eq!(t.finish("a", 1, 3), Some(3));
        assert_eq!(
            t.finish("a", 0, 11),
            None,
            "10 is still running: nothing new to store"
        );
        assert_eq!(t.in_flight(), 1);
        assert_eq!(t.finish("a", 0, 10), Some(11));
    }

    #[test]
    fn nothing_is_stored_twice_or_backwards() {
        let mut t = OffsetTracker::default();
        t.start("a", 0, 0);
        assert_eq!(t.finish("a", 0, 0), Some(0));
        t.start("a", 0, 1);
        t.start("a", 0, 2);
        assert_eq!(t.finish("a", 0, 2), None, "would be 0 again");
        assert_eq!(t.finish("a", 0, 1), Some(2));
        assert_eq!(t.finish("b", 0, 1), None, "unknown partition");
    }
}
