//! Retries: which errors, how many, how long apart, under which ids, within which budget.

use std::time::Duration;

use tokio::time::Instant;

use super::fake::{Fake, Recorder, found, layer, no_breaker, request, transient, transient_after};
use crate::resilience::ResilienceConfig;
use crate::{LookupError, PopulationRegistry};

#[tokio::test(start_paused = true)]
async fn transient_failures_are_retried_until_success() {
    let fake = Fake::new(vec![transient("a"), transient("b")], found());
    let (layer, rec) = layer(&fake, ResilienceConfig::default());
    let answer = layer.lookup(&request("dossier-1")).await.unwrap();
    assert!(answer.is_some());
    assert_eq!(fake.calls(), 3);
    assert_eq!(Recorder::count(&rec.retried), 2);
}

#[tokio::test(start_paused = true)]
async fn attempts_carry_suffixed_request_ids_and_one_event_each() {
    let fake = Fake::new(
        vec![transient("a"), transient("b"), transient("c")],
        found(),
    );
    let (layer, rec) = layer(&fake, ResilienceConfig::default());
    layer.lookup(&request("0190a1b2c3d4")).await.unwrap();
    let ids = [
        "0190a1b2c3d4-1",
        "0190a1b2c3d4-2",
        "0190a1b2c3d4-3",
        "0190a1b2c3d4-4",
    ];
    assert_eq!(fake.ids(), ids);
    let events = rec.attempts.lock().unwrap().clone();
    let expected: Vec<_> = ids
        .iter()
        .zip(1..)
        .map(|(id, n)| (id.to_string(), n, if n < 4 { "transient" } else { "found" }))
        .collect();
    assert_eq!(events, expected);
}

#[tokio::test(start_paused = true)]
async fn after_all_attempts_the_last_transient_error_is_returned() {
    let script = ["one", "two", "three", "four"].map(transient).to_vec();
    let fake = Fake::new(script, found());
    let (layer, rec) = layer(&fake, ResilienceConfig::default());
    let err = layer.lookup(&request("d")).await.unwrap_err();
    assert_eq!(err, LookupError::transient("four"));
    assert_eq!(fake.calls(), 4);
    assert_eq!(rec.attempt_numbers(), [1, 2, 3, 4]);
}

#[tokio::test(start_paused = true)]
async fn backoff_stays_under_the_exponential_cap() {
    let fake = Fake::new(Vec::new(), transient("down"));
    let config = ResilienceConfig {
        breaker: no_breaker(),
        ..ResilienceConfig::default()
    };
    let (layer, _) = layer(&fake, config);
    let started = Instant::now();
    layer.lookup(&request("d")).await.unwrap_err();
    // Full jitter over steps of 100, 200 and 400 ms: at most 700 ms in all.
    assert!(
        started.elapsed() <= Duration::from_millis(700),
        "{:?}",
        started.elapsed()
    );
}

#[tokio::test(start_paused = true)]
async fn retry_after_is_waited_out() {
    let fake = Fake::new(
        vec![transient_after("busy", Duration::from_secs(2))],
        found(),
    );
    let (layer, _) = layer(&fake, ResilienceConfig::default());
    let started = Instant::now();
    layer.lookup(&request("d")).await.unwrap();
    let times = fake.times();
    assert_eq!(times.len(), 2);
    let gap = times[1] - times[0];
    // Retry-After is a floor; the jittered 100 ms step falls below it.
    assert_eq!(gap, Duration::from_secs(2));
    assert_eq!(started.elapsed(), Duration::from_secs(2));
}

#[tokio::test(start_paused = true)]
async fn retry_after_beyond_max_backoff_returns_at_once() {
    let fake = Fake::new(
        vec![transient_after("busy", Duration::from_secs(60))],
        found(),
    );
    let (layer, _) = layer(&fake, ResilienceConfig::default());
    let started = Instant::now();
    let err = layer.lookup(&request("d")).await.unwrap_err();
    assert_eq!(err.retry_after(), Some(Duration::from_secs(60)));
    assert_eq!((fake.calls(), started.elapsed()), (1, Duration::ZERO));
}

#[tokio::test(start_paused = true)]
async fn permanent_refused_and_not_found_are_not_retried() {
    let refused = Err(LookupError::NotAuthorised {
        code: "004".into(),
        reason: "procedure not licensed".into(),
    });
    for answer in [Err(LookupError::permanent("HTTP 400")), refused, Ok(None)] {
        let fake = Fake::new(vec![answer.clone()], found());
        let (layer, rec) = layer(&fake, ResilienceConfig::default());
        assert_eq!(layer.lookup(&request("d")).await, answer);
        assert_eq!(fake.calls(), 1);
        assert_eq!(Recorder::count(&rec.retried), 0);
    }
}

#[tokio::test(start_paused = true)]
async fn an_overlong_base_request_id_is_refused_without_a_call() {
    let fake = Fake::new(Vec::new(), found());
    let (layer, _) = layer(&fake, ResilienceConfig::default());
    let err = layer.lookup(&request(&"x".repeat(37))).await.unwrap_err();
    assert_eq!(err.class(), "permanent");
    assert_eq!(fake.calls(), 0);
    assert!(layer.lookup(&request(&"x".repeat(36))).await.is_ok());
}

#[tokio::test(start_paused = true)]
async fn the_budget_stops_retries_in_a_failure_storm() {
    let fake = Fake::new(Vec::new(), transient("down"));
    let config = ResilienceConfig {
        retry_budget_ratio: 0.2,
        retry_budget_min_per_sec: 1,
        retry_budget_window: Duration::from_secs(10),
        breaker: no_breaker(),
        ..ResilienceConfig::default()
    };
    let (layer, rec) = layer(&fake, config);
    let lookups = 200;
    let all = (0..lookups).map(|i| {
        let layer = layer.clone();
        async move { layer.lookup(&request(&format!("d{i}"))).await }
    });
    let answers = futures::future::join_all(all).await;
    assert!(
        answers
            .iter()
            .all(|a| a.as_ref().is_err_and(LookupError::is_transient))
    );
    // Without the budget: 800 calls. With it: firsts × (1 + ratio) + floor × window.
    let bound = lookups as f64 * 1.2 + 10.0;
    assert!(
        fake.calls() as f64 <= bound,
        "{} calls > {bound}",
        fake.calls()
    );
    assert!(
        fake.calls() > lookups,
        "the floor and ratio still allow some retries"
    );
    assert!(Recorder::count(&rec.budget_exhausted) > 0);
}
