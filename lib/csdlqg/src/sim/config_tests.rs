//! Tests of the simulator config's JSON form, merge patch and validation.

use super::*;

#[test]
fn json_uses_milliseconds_and_defaults() {
    let c: SimConfig =
        serde_json::from_str(r#"{"latency_ms":250,"unauthorised_procedures":["X"]}"#).unwrap();
    assert_eq!(c.latency, Duration::from_millis(250));
    assert_eq!(c.failure_rate, 0.0);
    assert_eq!(c.unauthorised_procedures, vec!["X".to_owned()]);
    assert_eq!(c.timeout_hold, Duration::from_secs(30));
    assert_eq!(c.latency_percentiles().1, Duration::from_millis(750));
    let json = serde_json::to_value(&c).unwrap();
    assert_eq!(json["latency_ms"], 250);
    assert_eq!(json["timeout_hold_ms"], 30_000);
    assert!(serde_json::from_str::<SimConfig>(r#"{"latency":1}"#).is_err());
    let windows: SimConfig =
        serde_json::from_str(r#"{"outage_windows":[{"start_ms":100,"end_ms":200}]}"#).unwrap();
    assert!(!windows.outage_at(Duration::from_millis(99)));
    assert!(windows.outage_at(Duration::from_millis(100)));
    assert!(!windows.outage_at(Duration::from_millis(200)));
}

#[test]
fn merge_keeps_missing_fields_merges_nested_and_null_resets() {
    let base = SimConfig {
        latency: Duration::from_millis(40),
        latency_p99: Some(Duration::from_millis(400)),
        error_rates: ErrorRates {
            timeout: 0.1,
            server_error: 0.2,
            too_many_requests: 0.0,
        },
        unauthorised_procedures: vec!["X".into()],
        ..SimConfig::default()
    };
    let patch = serde_json::json!({
        "outage": true,
        "error_rates": { "too_many_requests": 0.3 },
        "latency_p99_ms": null,
        "rate_limit_per_second": 5
    });
    let merged = base.merged(&patch).unwrap();
    assert!(merged.outage);
    assert_eq!(merged.latency, Duration::from_millis(40));
    assert_eq!(merged.latency_p99, None);
    assert_eq!(merged.error_rates.timeout, 0.1);
    assert_eq!(merged.error_rates.too_many_requests, 0.3);
    assert_eq!(merged.rate_limit_per_second, Some(5));
    assert_eq!(merged.unauthorised_procedures, vec!["X".to_owned()]);
    let back = merged
        .merged(&serde_json::json!({ "outage": false }))
        .unwrap();
    assert!(!back.outage);
}

#[test]
fn out_of_range_and_unknown_fields_are_refused() {
    let base = SimConfig::default();
    for patch in [
        serde_json::json!({ "failure_rate": 1.5 }),
        serde_json::json!({ "error_rates": { "timeout": -0.1 } }),
        serde_json::json!({ "latency_ms": 100, "latency_p99_ms": 50 }),
        serde_json::json!({ "outage_windows": [{ "start_ms": 5, "end_ms": 5 }] }),
        serde_json::json!({ "rate_limit_per_second": 0 }),
        serde_json::json!({ "error_rates": { "teapot": 1.0 } }),
        serde_json::json!({ "latency": 1 }),
        serde_json::json!([1, 2]),
    ] {
        assert!(base.merged(&patch).is_err(), "{patch}");
    }
    let nan = SimConfig {
        failure_rate: f64::NAN,
        ..SimConfig::default()
    };
    assert!(nan.validate().is_err());
}
