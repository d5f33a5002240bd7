//! The layer over the real SOAP client and simulator: 30 % of requests answer
//! `503 Retry-After: 1`, yet every lookup succeeds and few extra calls are made.

use std::sync::Arc;
use std::time::Duration;

use reqwest::Url;
use tokio::sync::oneshot;

use super::fake::Recorder;
use crate::resilience::{ResilienceConfig, Resilient};
use crate::sim::{Population, SimConfig, SimState, serve};
use crate::{LookupError, LookupRequest, PopulationRegistry, SoapClient, SoapConfig};

async fn spawn_sim(config: SimConfig) -> (SimState, Url, oneshot::Sender<()>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let state = SimState::new(Population::synthetic(2026, 300, Vec::new()), config);
    let (stop, stopped) = oneshot::channel::<()>();
    let shutdown = async move {
        let _ = stopped.await;
    };
    tokio::spawn(serve(listener, state.clone(), shutdown));
    (state, Url::parse(&format!("http://{addr}/")).unwrap(), stop)
}

fn soap_client(base: &Url) -> SoapClient {
    let mut cfg = SoapConfig::new(base.join("TraCuuThongTinCongDan").unwrap());
    cfg.ma_don_vi = "000.00.92.H55".into();
    cfg.ma_can_bo = "canbo01".into();
    cfg.username = "dvc_phutho".into();
    cfg.secret = "s3cret".into();
    cfg.x_road_client = "VN/GOV/000.00.92.H55/DVC".into();
    cfg.api_key = "test-api-key".into();
    cfg.timeout = Duration::from_secs(5);
    SoapClient::new(cfg).unwrap()
}

/// Looks up until answered, waiting out an open circuit as the verify stage
/// does (it pauses its partitions for `retry_in`).
async fn lookup_until_answered(
    layer: &Resilient<SoapClient>,
    req: &LookupRequest,
) -> Option<crate::CitizenRecord> {
    loop {
        match layer.lookup(req).await {
            Ok(found) => return found,
            Err(LookupError::CircuitOpen { retry_in }) => tokio::time::sleep(retry_in).await,
            Err(other) => panic!("lookup failed: {other}"),
        }
    }
}

#[tokio::test]
async fn all_lookups_succeed_against_a_flaky_simulator() {
    let sim = SimConfig {
        failure_rate: 0.3,
        ..SimConfig::default()
    };
    let (state, base, _stop) = spawn_sim(sim).await;
    let config = ResilienceConfig {
        attempts: 8,
        max_in_flight: 8,
        ..ResilienceConfig::default()
    };
    let recorder = Arc::new(Recorder::default());
    let layer = Resilient::new(soap_client(&base), config, recorder.clone());
    // Calls per lookup are geometric: 1 / (1 − 0.3) ≈ 1.43 on average, so the
    // 1.5 bound needs enough lookups to average out (the simulator's seeded
    // draws give 1.56 over the first 100 lookups, 36 % failures).
    let lookups = 300;
    let all = (0..lookups).map(|i| {
        let (layer, state) = (layer.clone(), state.clone());
        async move {
            let p = state.population().person(i);
            let req = LookupRequest {
                request_id: format!("sim-{i}"),
                procedure_code: "1.004227".into(),
                id: p.id.clone(),
                name: p.name.clone(),
                birth: p.birth,
                context: Default::default(),
            };
            lookup_until_answered(&layer, &req).await
        }
    });
    let answers = futures::future::join_all(all).await;
    assert!(answers.iter().all(Option::is_some), "every person is found");
    let calls = state.requests();
    assert!(
        calls as f64 <= 1.5 * lookups as f64,
        "{calls} calls for {lookups} lookups"
    );
    assert!(
        calls > lookups as u64,
        "some requests failed and were retried"
    );
    let events = recorder.attempts.lock().unwrap().clone();
    assert_eq!(events.len() as u64, calls, "one event per call");
    let failed = events.iter().filter(|e| e.2 == "transient").count() as u64;
    assert_eq!(
        calls - failed,
        lookups as u64,
        "no call beyond one success per lookup"
    );
    eprintln!(
        "{calls} calls for {lookups} lookups ({failed} answered 503); breaker: {:?}; budget exhausted: {}",
        recorder.transitions.lock().unwrap(),
        Recorder::count(&recorder.budget_exhausted)
    );
}
