//! Bounded concurrency and the contracted rate.

use std::time::Duration;

use super::fake::{Fake, Recorder, found, layer, request};
use crate::PopulationRegistry;
use crate::resilience::ResilienceConfig;

#[tokio::test(start_paused = true)]
async fn max_in_flight_is_never_exceeded() {
    let fake = Fake::slow(Vec::new(), found(), Duration::from_millis(20));
    let config = ResilienceConfig {
        max_in_flight: 3,
        ..ResilienceConfig::default()
    };
    let (layer, _) = layer(&fake, config);
    let probe = layer.clone();
    let watcher = tokio::spawn(async move {
        let mut seen = 0;
        for _ in 0..40 {
            seen = seen.max(probe.in_flight());
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        seen
    });
    let lookups = (0..30).map(|i| {
        let layer = layer.clone();
        async move { layer.lookup(&request(&format!("d{i}"))).await }
    });
    let answers = futures::future::join_all(lookups).await;
    assert!(answers.iter().all(Result::is_ok));
    assert_eq!(fake.calls(), 30);
    assert_eq!(fake.peak(), 3, "bounded, and the bound is used");
    assert_eq!(watcher.await.unwrap(), 3);
    assert_eq!(layer.in_flight(), 0);
}

#[tokio::test(start_paused = true)]
async fn the_rate_limit_spaces_calls() {
    let fake = Fake::new(Vec::new(), found());
    let config = ResilienceConfig {
        rate_limit_per_second: 10,
        rate_limit_burst: 2,
        ..ResilienceConfig::default()
    };
    let (layer, rec) = layer(&fake, config);
    let lookups = (0..12).map(|i| {
        let layer = layer.clone();
        async move { layer.lookup(&request(&format!("d{i}"))).await }
    });
    let started = tokio::time::Instant::now();
    futures::future::join_all(lookups).await;
    let mut times = fake.times();
    times.sort();
    // A burst of 2, then one call per 100 ms: the 12th at 1 s.
    assert_eq!(times[1] - times[0], Duration::ZERO);
    for pair in times[2..].windows(2) {
        assert!(
            pair[1] - pair[0] >= Duration::from_millis(99),
            "{:?}",
            pair[1] - pair[0]
        );
    }
    let elapsed = started.elapsed();
    assert!(
        elapsed >= Duration::from_millis(999) && elapsed < Duration::from_millis(1100),
        "{elapsed:?}"
    );
    assert_eq!(Recorder::count(&rec.rate_limited), 10);
}

#[tokio::test(start_paused = true)]
async fn zero_rate_means_unlimited() {
    let fake = Fake::new(Vec::new(), found());
    let (layer, rec) = layer(&fake, ResilienceConfig::default());
    for i in 0..100 {
        layer.lookup(&request(&format!("d{i}"))).await.unwrap();
    }
    assert_eq!(Recorder::count(&rec.rate_limited), 0);
}
