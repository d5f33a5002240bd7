//! The circuit breaker: opening, failing fast, half-open probes.

use std::time::Duration;

use super::fake::{Fake, Recorder, found, layer, request, transient};
use crate::resilience::BreakerState::{Closed, HalfOpen, Open};
use crate::resilience::{BreakerConfig, ResilienceConfig};
use crate::{LookupError, PopulationRegistry};

/// One attempt per lookup, so each lookup is one breaker outcome.
fn single_attempt() -> ResilienceConfig {
    ResilienceConfig {
        attempts: 1,
        breaker: BreakerConfig {
            failure_ratio: 0.5,
            min_calls: 10,
            window: Duration::from_secs(10),
            open_for: Duration::from_secs(5),
            half_open_probes: 1,
            consecutive_failures: 0,
        },
        ..ResilienceConfig::default()
    }
}

#[tokio::test(start_paused = true)]
async fn opens_after_min_calls_failures_and_then_fails_fast() {
    let fake = Fake::new(Vec::new(), transient("down"));
    let (layer, rec) = layer(&fake, single_attempt());
    for i in 0..9 {
        let err = layer.lookup(&request(&format!("d{i}"))).await.unwrap_err();
        assert_eq!(err.class(), "transient");
        assert_eq!(layer.breaker_state(), Closed, "below min_calls");
    }
    layer.lookup(&request("d9")).await.unwrap_err();
    assert_eq!(layer.breaker_state(), Open);
    assert_eq!(layer.open_remaining(), Some(Duration::from_secs(5)));
    for i in 0..20 {
        let err = layer.lookup(&request(&format!("e{i}"))).await.unwrap_err();
        assert_eq!(
            err,
            LookupError::CircuitOpen {
                retry_in: Duration::from_secs(5)
            }
        );
        assert!(err.is_transient());
    }
    assert_eq!(
        fake.calls(),
        10,
        "an open breaker does not call the registry"
    );
    assert_eq!(*rec.transitions.lock().unwrap(), [(Closed, Open)]);
    assert_eq!(rec.attempts.lock().unwrap().len(), 10);
}

#[tokio::test(start_paused = true)]
async fn successes_keep_it_closed_below_the_ratio() {
    let mut script = Vec::new();
    for _ in 0..20 {
        script.extend([transient("x"), found(), found()]);
    }
    let fake = Fake::new(script, found());
    let (layer, _) = layer(&fake, single_attempt());
    for i in 0..60 {
        let _ = layer.lookup(&request(&format!("d{i}"))).await;
    }
    assert_eq!(layer.breaker_state(), Closed);
    assert_eq!(fake.calls(), 60);
}

async fn open_it(
    fake: &std::sync::Arc<Fake>,
    layer: &crate::resilience::Resilient<std::sync::Arc<Fake>>,
) {
    for i in 0..10 {
        let _ = layer.lookup(&request(&format!("o{i}"))).await;
    }
    assert_eq!(layer.breaker_state(), Open);
    assert_eq!(fake.calls(), 10);
}

#[tokio::test(start_paused = true)]
async fn a_successful_half_open_probe_closes_it() {
    let fake = Fake::new(Vec::new(), transient("down"));
    let (layer, rec) = layer(&fake, single_attempt());
    open_it(&fake, &layer).await;
    tokio::time::advance(Duration::from_secs(3)).await;
    assert_eq!(layer.open_remaining(), Some(Duration::from_secs(2)));
    tokio::time::advance(Duration::from_secs(2)).await;
    assert_eq!(
        (layer.breaker_state(), layer.open_remaining()),
        (HalfOpen, None)
    );
    fake.set_fallback(found());
    assert!(layer.lookup(&request("probe")).await.unwrap().is_some());
    assert_eq!(layer.breaker_state(), Closed);
    assert_eq!(
        *rec.transitions.lock().unwrap(),
        [(Closed, Open), (Open, HalfOpen), (HalfOpen, Closed)]
    );
    assert!(layer.lookup(&request("after")).await.is_ok());
    assert_eq!(fake.calls(), 12);
}

#[tokio::test(start_paused = true)]
async fn a_failed_half_open_probe_reopens_it() {
    let fake = Fake::new(Vec::new(), transient("down"));
    let (layer, rec) = layer(&fake, single_attempt());
    open_it(&fake, &layer).await;
    tokio::time::advance(Duration::from_secs(5)).await;
    assert_eq!(layer.lookup(&request("probe")).await, transient("down"));
    assert_eq!(layer.breaker_state(), Open);
    assert_eq!(layer.open_remaining(), Some(Duration::from_secs(5)));
    let err = layer.lookup(&request("refused")).await.unwrap_err();
    assert_eq!(err.class(), "circuit_open");
    assert_eq!(fake.calls(), 11);
    assert_eq!(
        *rec.transitions.lock().unwrap(),
        [(Closed, Open), (Open, HalfOpen), (HalfOpen, Open)]
    );
}

#[tokio::test(start_paused = true)]
async fn half_open_lets_only_the_probes_through() {
    let fake = Fake::slow(Vec::new(), transient("down"), Duration::from_millis(50));
    let (layer, _) = layer(&fake, single_attempt());
    open_it(&fake, &layer).await;
    tokio::time::advance(Duration::from_secs(5)).await;
    fake.set_fallback(found());
    let lookups = (0..5).map(|i| {
        let layer = layer.clone();
        async move { layer.lookup(&request(&format!("h{i}"))).await }
    });
    let answers = futures::future::join_all(lookups).await;
    let passed = answers.iter().filter(|a| a.is_ok()).count();
    let refused = answers
        .iter()
        .filter(|a| matches!(a, Err(LookupError::CircuitOpen { .. })))
        .count();
    assert_eq!((passed, refused), (1, 4));
    assert_eq!(fake.calls(), 11);
    assert_eq!(layer.breaker_state(), Closed);
}

#[tokio::test(start_paused = true)]
async fn a_lookup_meeting_an_open_breaker_mid_retries_stops() {
    let fake = Fake::new(Vec::new(), transient("down"));
    let config = ResilienceConfig {
        attempts: 4,
        breaker: BreakerConfig {
            min_calls: 2,
            ..single_attempt().breaker
        },
        ..ResilienceConfig::default()
    };
    let (layer, rec) = layer(&fake, config);
    let err = layer.lookup(&request("d")).await.unwrap_err();
    assert!(matches!(err, LookupError::CircuitOpen { .. }), "{err:?}");
    assert_eq!(fake.calls(), 2, "the third attempt was never made");
    assert_eq!(rec.attempt_numbers(), [1, 2]);
    assert_eq!(Recorder::count(&rec.retried), 1);
}

#[tokio::test(start_paused = true)]
async fn a_cancelled_probe_frees_its_slot() {
    let fake = Fake::slow(Vec::new(), transient("down"), Duration::from_millis(50));
    let (layer, _) = layer(&fake, single_attempt());
    open_it(&fake, &layer).await;
    tokio::time::advance(Duration::from_secs(5)).await;
    fake.set_fallback(found());
    let probing = layer.clone();
    let probe = tokio::spawn(async move { probing.lookup(&request("probe")).await });
    tokio::time::sleep(Duration::from_millis(10)).await;
    assert_eq!(layer.in_flight(), 1);
    probe.abort();
    let _ = probe.await;
    assert_eq!(layer.in_flight(), 0);
    assert!(
        layer.lookup(&request("next")).await.is_ok(),
        "the slot was freed"
    );
    assert_eq!(layer.breaker_state(), Closed);
}

#[tokio::test(start_paused = true)]
async fn a_run_of_failures_opens_it_even_after_many_successes() {
    let fake = Fake::new(vec![], found());
    let config = ResilienceConfig {
        breaker: BreakerConfig {
            consecutive_failures: 5,
            ..single_attempt().breaker
        },
        ..single_attempt()
    };
    let (layer, _) = layer(&fake, config);
    for _ in 0..100 {
        layer.lookup(&request("ok")).await.unwrap();
    }
    fake.set_fallback(transient("down"));
    for _ in 0..5 {
        let _ = layer.lookup(&request("x")).await;
    }
    assert_eq!(
        layer.breaker_state(),
        Open,
        "5 in a row trip it although 100 of 105 succeeded"
    );
    let calls = fake.calls();
    assert!(matches!(
        layer.lookup(&request("y")).await,
        Err(LookupError::CircuitOpen { .. })
    ));
    assert_eq!(fake.calls(), calls, "open: the registry is not called");
}
