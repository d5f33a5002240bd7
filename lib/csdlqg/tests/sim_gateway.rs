//! End-to-end: `GatewayClient` (province-gateway JSON) and the simulator's
//! fault knobs, against the real simulator over HTTP on 127.0.0.1 port 0.
//!
//! Every test is bounded: injected timeouts hold for a few hundred
//! milliseconds, never the 30 s default.

#![allow(clippy::unwrap_used)]

use std::time::Duration;

use dossierflow_csdlqg::sim::{Population, SimConfig, SimState, SimStats, serve};
use dossierflow_csdlqg::{
    GatewayClient, GatewayConfig, LookupError, LookupRequest, MismatchField, Outcome,
    PopulationRegistry, compare,
};
use dossierflow_domain::{BirthDate, DiacriticPolicy, NationalId};
use reqwest::Url;
use tokio::sync::oneshot;

const TOKEN: &str = "gateway-test-token";

struct Sim {
    state: SimState,
    base: Url,
    _stop: oneshot::Sender<()>,
}

async fn spawn_sim() -> Sim {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let config = SimConfig {
        bearer_token: Some(TOKEN.into()),
        timeout_hold: Duration::from_millis(200),
        ..SimConfig::default()
    };
    let state = SimState::new(Population::synthetic(2027, 300, Vec::new()), config);
    let (stop, stopped) = oneshot::channel::<()>();
    tokio::spawn(serve(listener, state.clone(), async move {
        let _ = stopped.await;
    }));
    let base = Url::parse(&format!("http://{addr}/")).unwrap();
    Sim {
        state,
        base,
        _stop: stop,
    }
}

fn client_with(sim: &Sim, token: &str) -> GatewayClient {
    let mut cfg = GatewayConfig::new(sim.base.clone(), token);
    cfg.ma_don_vi = "000.00.92.H55".into();
    cfg.ma_can_bo = "canbo01".into();
    cfg.timeout = Duration::from_secs(5);
    GatewayClient::new(cfg).unwrap()
}

fn client(sim: &Sim) -> GatewayClient {
    client_with(sim, TOKEN)
}

fn request_for(sim: &Sim, i: usize) -> LookupRequest {
    let p = sim.state.population().person(i);
    LookupRequest {
        request_id: format!("req-{i}"),
        procedure_code: "1.004227".into(),
        id: p.id.clone(),
        name: p.name.clone(),
        birth: p.birth,
        context: Default::default(),
    }
}

async fn patch(sim: &Sim, json: serde_json::Value) {
    let resp = reqwest::Client::new()
        .post(sim.base.join("admin/config").unwrap())
        .json(&json)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200, "{json}");
}

async fn stats(sim: &Sim) -> SimStats {
    reqwest::get(sim.base.join("admin/stats").unwrap())
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

async fn lookup_err(sim: &Sim, i: usize) -> LookupError {
    client(sim).lookup(&request_for(sim, i)).await.unwrap_err()
}

#[tokio::test]
async fn found_not_found_and_mismatch_over_json() {
    let sim = spawn_sim().await;
    let client = client(&sim);
    let req = request_for(&sim, 0);
    let record = client.lookup(&req).await.unwrap().expect("person 0 exists");
    let pop = sim.state.population();
    assert!(record == pop.record(pop.person(0)), "record differs");
    let mother = record.mother.as_ref().expect("relatives travel over JSON");
    assert!(mother.id.is_some() && mother.full_name.is_some());
    assert!(record.household_book.is_some());
    assert_eq!(
        compare(&req, Some(&record), DiacriticPolicy::Strict),
        Outcome::Verified
    );

    let (i, person) = (0..pop.len())
        .map(|i| (i, pop.person(i)))
        .find(|(_, p)| p.old_id.is_some())
        .expect("someone has a CMND");
    let mut by_cmnd = request_for(&sim, i);
    by_cmnd.id = NationalId::parse(person.old_id.as_deref().unwrap()).unwrap();
    let found = client
        .lookup(&by_cmnd)
        .await
        .unwrap()
        .expect("found by CMND");
    assert_eq!(found.id.as_deref(), Some(person.id.as_str()));

    let mut unknown = request_for(&sim, 1);
    let free = (0..1000)
        .map(|n| format!("079099{n:06}"))
        .find(|id| pop.find(id).is_none())
        .unwrap();
    unknown.id = NationalId::parse(&free).unwrap();
    assert!(client.lookup(&unknown).await.unwrap().is_none());

    let mut wrong_year = request_for(&sim, 2);
    wrong_year.birth = BirthDate::YearOnly(wrong_year.birth.year() + 1);
    let record = client.lookup(&wrong_year).await.unwrap();
    assert_eq!(
        compare(&wrong_year, record.as_ref(), DiacriticPolicy::Strict),
        Outcome::Mismatch(vec![MismatchField::BirthDate])
    );
    let s = stats(&sim).await;
    assert_eq!((s.requests, s.json, s.soap), (4, 4, 0));
    assert_eq!((s.ok, s.not_found), (3, 1));
}

#[tokio::test]
async fn wrong_or_missing_token_is_401_and_unlicensed_is_004() {
    let sim = spawn_sim().await;
    let err = client_with(&sim, "wrong")
        .lookup(&request_for(&sim, 3))
        .await
        .unwrap_err();
    assert!(
        matches!(&err, LookupError::NotAuthorised { code, .. } if code == "401"),
        "{err:?}"
    );
    let raw = reqwest::Client::new()
        .post(sim.base.join("v1/tra-cuu-cong-dan").unwrap())
        .json(&serde_json::json!({}))
        .send()
        .await
        .unwrap();
    assert_eq!(raw.status(), 401, "no bearer token");
    let bad = reqwest::Client::new()
        .post(sim.base.join("v1/tra-cuu-cong-dan").unwrap())
        .bearer_auth(TOKEN)
        .json(&serde_json::json!({ "soDinhDanh": "001090123456" }))
        .send()
        .await
        .unwrap();
    assert_eq!(bad.status(), 400);
    assert!(!bad.text().await.unwrap().contains("001090123456"));

    patch(
        &sim,
        serde_json::json!({ "unauthorised_procedures": ["1.004227"] }),
    )
    .await;
    let err = lookup_err(&sim, 4).await;
    assert!(
        matches!(&err, LookupError::NotAuthorised { code, .. } if code == "004"),
        "{err:?}"
    );
    let s = stats(&sim).await;
    assert_eq!((s.unauthorised, s.bad_request), (3, 1));
}

#[tokio::test]
async fn each_error_class_at_rate_one_gives_its_class() {
    let sim = spawn_sim().await;
    patch(
        &sim,
        serde_json::json!({ "error_rates": { "too_many_requests": 1.0 } }),
    )
    .await;
    let err = lookup_err(&sim, 5).await;
    assert!(err.is_transient(), "{err:?}");
    assert_eq!(err.retry_after(), Some(Duration::from_secs(1)));

    patch(
        &sim,
        serde_json::json!({ "error_rates": { "too_many_requests": 0.0, "server_error": 1.0 } }),
    )
    .await;
    let err = lookup_err(&sim, 5).await;
    assert!(
        matches!(&err, LookupError::Transient { reason, .. } if reason == "HTTP 500" || reason == "HTTP 503"),
        "{err:?}"
    );

    patch(
        &sim,
        serde_json::json!({ "error_rates": { "server_error": 0.0, "timeout": 1.0 } }),
    )
    .await;
    let started = std::time::Instant::now();
    let err = lookup_err(&sim, 5).await;
    assert!(
        matches!(&err, LookupError::Transient { reason, .. } if reason == "HTTP 504"),
        "{err:?}"
    );
    assert!(started.elapsed() >= Duration::from_millis(200));

    patch(&sim, serde_json::json!({ "error_rates": null })).await;
    assert!(
        client(&sim)
            .lookup(&request_for(&sim, 5))
            .await
            .unwrap()
            .is_some()
    );
    let s = stats(&sim).await;
    assert_eq!((s.error_429, s.error_5xx, s.timeout, s.ok), (1, 1, 1, 1));
    assert_eq!((s.requests, s.rate_limited), (4, 0));
}

#[tokio::test]
async fn outage_is_switched_on_and_off_through_admin() {
    let sim = spawn_sim().await;
    patch(&sim, serde_json::json!({ "outage": true })).await;
    for i in 0..3 {
        let err = lookup_err(&sim, i).await;
        assert!(
            matches!(&err, LookupError::Transient { reason, retry_after: None } if reason == "HTTP 503"),
            "{err:?}"
        );
    }
    patch(&sim, serde_json::json!({ "outage": false })).await;
    assert!(
        client(&sim)
            .lookup(&request_for(&sim, 0))
            .await
            .unwrap()
            .is_some()
    );
    let s = stats(&sim).await;
    assert_eq!((s.outage, s.during_outage, s.ok, s.requests), (3, 3, 1, 4));
    let config: serde_json::Value = reqwest::get(sim.base.join("admin/config").unwrap())
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        config["timeout_hold_ms"], 200,
        "patches kept the other fields"
    );
}

#[tokio::test]
async fn scheduled_outage_window_applies_by_uptime() {
    let sim = spawn_sim().await;
    let now = u64::try_from(sim.state.uptime().as_millis()).unwrap();
    let window = serde_json::json!([{ "start_ms": 0, "end_ms": now + 60_000 }]);
    patch(&sim, serde_json::json!({ "outage_windows": window })).await;
    assert!(lookup_err(&sim, 0).await.is_transient());
    patch(&sim, serde_json::json!({ "outage_windows": [] })).await;
    assert!(
        client(&sim)
            .lookup(&request_for(&sim, 0))
            .await
            .unwrap()
            .is_some()
    );
}

#[tokio::test]
async fn rate_limit_answers_429_with_retry_after() {
    let sim = spawn_sim().await;
    patch(&sim, serde_json::json!({ "rate_limit_per_second": 2 })).await;
    let client = client(&sim);
    let mut limited = 0;
    for i in 0..6 {
        match client.lookup(&request_for(&sim, i)).await {
            Ok(_) => {}
            Err(e) => {
                assert!(e.is_transient(), "{e:?}");
                assert_eq!(e.retry_after(), Some(Duration::from_secs(1)));
                limited += 1;
            }
        }
    }
    // Six quick requests span at most two one-second windows.
    assert!(limited >= 2, "{limited} of 6 limited");
    let s = stats(&sim).await;
    assert_eq!(s.rate_limited, limited);
    assert_eq!(s.error_429, limited);
    let reset = reqwest::Client::new()
        .delete(sim.base.join("admin/stats").unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(reset.status(), 204);
    assert_eq!(stats(&sim).await, SimStats::default());
}

#[tokio::test]
async fn bad_admin_config_is_refused_and_put_replaces() {
    let sim = spawn_sim().await;
    let resp = reqwest::Client::new()
        .post(sim.base.join("admin/config").unwrap())
        .json(&serde_json::json!({ "error_rates": { "timeout": 2.0 } }))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 422);
    let resp = reqwest::Client::new()
        .put(sim.base.join("admin/config").unwrap())
        .json(&serde_json::json!({ "latency_ms": 5 }))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    let config = sim.state.config();
    assert_eq!(config.latency, Duration::from_millis(5));
    assert_eq!(config.bearer_token, None, "PUT reset the other fields");
    assert_eq!(config.timeout_hold, Duration::from_secs(30));
}
