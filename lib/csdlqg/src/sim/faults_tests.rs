//! Tests of latency and error draws, the rate window and the counters.

use rand::SeedableRng;

use super::*;
use crate::sim::ErrorRates;

fn rng() -> StdRng {
    StdRng::seed_from_u64(7)
}

#[test]
fn latency_has_the_median_and_p99_asked_for() {
    let config = SimConfig {
        latency: Duration::from_millis(100),
        latency_p99: Some(Duration::from_millis(500)),
        ..SimConfig::default()
    };
    let mut rng = rng();
    let mut draws: Vec<Duration> = (0..20_000)
        .map(|_| draw_latency(&mut rng, &config))
        .collect();
    draws.sort();
    let median = draws[draws.len() / 2].as_millis();
    let p99 = draws[draws.len() * 99 / 100].as_millis();
    assert!((90..=110).contains(&median), "median {median} ms");
    assert!((420..=600).contains(&p99), "p99 {p99} ms");
    assert_eq!(
        draw_latency(&mut rng, &SimConfig::default()),
        Duration::ZERO
    );
}

#[test]
fn each_error_class_at_rate_one_always_fires() {
    let mut rng = rng();
    let with = |rates: ErrorRates, failure_rate: f64| SimConfig {
        error_rates: rates,
        failure_rate,
        ..SimConfig::default()
    };
    for _ in 0..200 {
        let timeout = with(
            ErrorRates {
                timeout: 1.0,
                ..ErrorRates::default()
            },
            0.0,
        );
        assert_eq!(draw_error(&mut rng, &timeout), Some(Injected::Timeout));
        let server = with(
            ErrorRates {
                server_error: 1.0,
                ..ErrorRates::default()
            },
            0.0,
        );
        assert!(matches!(
            draw_error(&mut rng, &server),
            Some(Injected::ServerError(500 | 503))
        ));
        let busy = with(
            ErrorRates {
                too_many_requests: 1.0,
                ..ErrorRates::default()
            },
            0.0,
        );
        assert_eq!(draw_error(&mut rng, &busy), Some(Injected::TooManyRequests));
        let legacy = with(ErrorRates::default(), 1.0);
        assert_eq!(
            draw_error(&mut rng, &legacy),
            Some(Injected::ServerError(503))
        );
        assert_eq!(draw_error(&mut rng, &SimConfig::default()), None);
    }
}

#[test]
fn rate_window_admits_the_limit_then_reopens() {
    let start = Instant::now();
    let mut window = RateWindow::new();
    for _ in 0..3 {
        assert_eq!(window.admit(3, start), Ok(()));
    }
    assert_eq!(window.admit(3, start), Err(1));
    assert_eq!(window.admit(3, start + Duration::from_millis(1100)), Ok(()));
}

#[test]
fn counters_snapshot_and_reset() {
    let counters = Counters::default();
    counters.arrived(true);
    counters.arrived(false);
    counters.answered(Outcome::Ok);
    counters.answered(Outcome::Outage);
    counters.during_outage();
    let stats = counters.snapshot();
    assert_eq!((stats.requests, stats.json, stats.soap), (2, 1, 1));
    assert_eq!((stats.ok, stats.outage, stats.during_outage), (1, 1, 1));
    assert_eq!(stats.not_found, 0);
    counters.reset();
    assert_eq!(counters.snapshot(), SimStats::default());
}
