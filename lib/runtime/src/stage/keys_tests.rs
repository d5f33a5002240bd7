//! Tests of per-key order: same key in entry order, other keys free, chains forgotten.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use super::KeyOrder;

fn key(k: &str) -> Vec<u8> {
    KeyOrder::chain_key("t", 0, Some(k.as_bytes()))
}

#[tokio::test]
async fn records_of_one_key_run_in_entry_order_even_when_later_ones_are_faster() {
    let order = Arc::new(KeyOrder::default());
    let log = Arc::new(Mutex::new(Vec::new()));
    let mut tasks = Vec::new();
    // Earlier records sleep longer: without the chain, they would finish last.
    for i in 0..5u64 {
        let mut turn = order.enter(key("dossier-1"));
        let log = log.clone();
        tasks.push(tokio::spawn(async move {
            assert!(turn.ready().await);
            tokio::time::sleep(Duration::from_millis(50 - i * 10)).await;
            log.lock().expect("log").push(i);
            turn.finish();
        }));
    }
    for t in tasks {
        t.await.expect("task");
    }
    assert_eq!(*log.lock().expect("log"), vec![0, 1, 2, 3, 4]);
    assert_eq!(order.keys_in_flight(), 0, "finished chains are forgotten");
}

#[tokio::test]
async fn different_keys_do_not_wait_for_each_other() {
    let order = Arc::new(KeyOrder::default());
    let mut slow = order.enter(key("a"));
    slow.ready().await;
    let mut other = order.enter(key("b"));
    // `b` is ready while `a` is still in flight.
    tokio::time::timeout(Duration::from_millis(200), other.ready())
        .await
        .expect("a record of another key is not held back");
    let mut same = order.enter(key("a"));
    let held = tokio::time::timeout(Duration::from_millis(100), same.ready()).await;
    assert!(
        held.is_err(),
        "a record of the same key waits for the earlier one"
    );
    slow.finish();
    let ok = tokio::time::timeout(Duration::from_millis(200), same.ready())
        .await
        .expect("released when the earlier record finishes");
    assert!(ok, "the earlier record was handled");
    assert_eq!(order.keys_in_flight(), 2);
    other.finish();
    same.finish();
    assert_eq!(order.keys_in_flight(), 0);
}

#[tokio::test]
async fn an_abandoned_record_makes_the_later_records_of_its_key_abandon_too() {
    let order = Arc::new(KeyOrder::default());
    let first = order.enter(key("a"));
    let mut second = order.enter(key("a"));
    let mut third = order.enter(key("a"));
    let mut unrelated = order.enter(key("b"));
    drop(first); // shutdown: not handled, its offset not stored
    assert!(
        !second.ready().await,
        "the second must not overtake the first"
    );
    drop(second);
    assert!(!third.ready().await, "abandonment passes down the chain");
    assert!(unrelated.ready().await);
}

#[test]
fn records_without_a_key_chain_by_partition_and_topics_are_separate() {
    assert_eq!(
        KeyOrder::chain_key("t", 3, None),
        KeyOrder::chain_key("t", 3, None)
    );
    assert_ne!(
        KeyOrder::chain_key("t", 3, None),
        KeyOrder::chain_key("t", 4, None)
    );
    assert_ne!(
        KeyOrder::chain_key("t", 0, Some(b"k")),
        KeyOrder::chain_key("u", 0, Some(b"k"))
    );
}
