//! End-to-end: `SoapClient` against the real simulator over HTTP on 127.0.0.1.
//!
//! Classification of a refused credential (HTTP 401 from the gateway) is
//! `NotAuthorised { code: "401" }`: not retryable, and not the dossier's fault.

#![allow(clippy::unwrap_used)]

use std::time::{Duration, Instant};

use dossierflow_csdlqg::sim::{Population, SimConfig, SimState, serve};
use dossierflow_csdlqg::{
    LookupError, LookupRequest, MismatchField, Outcome, PopulationRegistry, SoapClient, SoapConfig,
    compare,
};
use dossierflow_domain::{BirthDate, DiacriticPolicy, NationalId};
use reqwest::Url;
use tokio::sync::oneshot;

struct Sim {
    state: SimState,
    base: Url,
    _stop: oneshot::Sender<()>,
}

async fn spawn_sim(config: SimConfig) -> Sim {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let state = SimState::new(Population::synthetic(2026, 300, Vec::new()), config);
    let (stop, stopped) = oneshot::channel::<()>();
    let shutdown = async move {
        let _ = stopped.await;
    };
    tokio::spawn(serve(listener, state.clone(), shutdown));
    let base = Url::parse(&format!("http://{addr}/")).unwrap();
    Sim {
        state,
        base,
        _stop: stop,
    }
}

fn soap_config(base: &Url) -> SoapConfig {
    let mut cfg = SoapConfig::new(base.join("TraCuuThongTinCongDan").unwrap());
    cfg.ma_don_vi = "000.00.92.H55".into();
    cfg.ma_can_bo = "canbo01".into();
    cfg.username = "dvc_phutho".into();
    cfg.secret = "s3cret".into();
    cfg.x_road_client = "VN/GOV/000.00.92.H55/DVC".into();
    cfg.api_key = "test-api-key".into();
    cfg.timeout = Duration::from_secs(5);
    cfg
}

fn client(sim: &Sim) -> SoapClient {
    SoapClient::new(soap_config(&sim.base)).unwrap()
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

async fn set_config(sim: &Sim, json: serde_json::Value) {
    let resp = reqwest::Client::new()
        .post(sim.base.join("admin/config").unwrap())
        .json(&json)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
}

#[tokio::test]
async fn found_and_verified_by_cccd_and_by_cmnd() {
    let sim = spawn_sim(SimConfig::default()).await;
    let client = client(&sim);
    let req = request_for(&sim, 0);
    let record = client.lookup(&req).await.unwrap().expect("person 0 exists");
    let expected = sim
        .state
        .population()
        .record(sim.state.population().person(0));
    assert!(record == expected, "record differs from the simulator's");
    let mother = record.mother.as_ref().expect("relatives travel over SOAP");
    assert!(mother.id.is_some() && mother.full_name.is_some());
    assert!(record.household_book.is_some());
    assert_eq!(
        compare(&req, Some(&record), DiacriticPolicy::Strict),
        Outcome::Verified
    );

    let (i, person) = (0..sim.state.population().len())
        .map(|i| (i, sim.state.population().person(i)))
        .find(|(_, p)| p.old_id.is_some())
        .expect("someone has a CMND");
    let mut by_cmnd = request_for(&sim, i);
    by_cmnd.id = NationalId::parse(person.old_id.as_deref().unwrap()).unwrap();
    let record = client
        .lookup(&by_cmnd)
        .await
        .unwrap()
        .expect("found by CMND");
    assert_eq!(record.id.as_deref(), Some(person.id.as_str()));
    assert_eq!(
        compare(&by_cmnd, Some(&record), DiacriticPolicy::Strict),
        Outcome::Verified
    );
    assert_eq!(sim.state.requests(), 2);
}

#[tokio::test]
async fn unknown_id_is_not_found() {
    let sim = spawn_sim(SimConfig::default()).await;
    let mut req = request_for(&sim, 1);
    let mut unknown = "079099000000".to_owned();
    for n in 0..1000 {
        unknown = format!("079099{n:06}");
        if sim.state.population().find(&unknown).is_none() {
            break;
        }
    }
    req.id = NationalId::parse(&unknown).unwrap();
    let found = client(&sim).lookup(&req).await.unwrap();
    assert!(found.is_none());
    assert_eq!(
        compare(&req, found.as_ref(), DiacriticPolicy::Strict),
        Outcome::NotFound
    );
}

#[tokio::test]
async fn wrong_birth_date_is_a_mismatch_and_year_only_matches() {
    let sim = spawn_sim(SimConfig::default()).await;
    let client = client(&sim);
    let mut req = request_for(&sim, 2);
    let year = req.birth.year();
    req.birth = BirthDate::YearOnly(year + 1);
    let record = client.lookup(&req).await.unwrap();
    assert_eq!(
        compare(&req, record.as_ref(), DiacriticPolicy::Strict),
        Outcome::Mismatch(vec![MismatchField::BirthDate])
    );
    req.birth = BirthDate::YearOnly(year);
    let record = client.lookup(&req).await.unwrap();
    assert_eq!(
        compare(&req, record.as_ref(), DiacriticPolicy::Strict),
        Outcome::Verified
    );
}

#[tokio::test]
async fn service_unavailable_is_transient_with_retry_after() {
    let sim = spawn_sim(SimConfig::default()).await;
    set_config(&sim, serde_json::json!({ "failure_rate": 1.0 })).await;
    let err = client(&sim)
        .lookup(&request_for(&sim, 3))
        .await
        .unwrap_err();
    assert!(err.is_transient(), "{err:?}");
    assert_eq!(err.retry_after(), Some(Duration::from_secs(1)));
    let stats: serde_json::Value = reqwest::get(sim.base.join("admin/stats").unwrap())
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(stats["requests"], 1);
}

#[tokio::test]
async fn latency_beyond_the_timeout_is_transient() {
    let sim = spawn_sim(SimConfig::default()).await;
    set_config(&sim, serde_json::json!({ "latency_ms": 3000 })).await;
    let mut cfg = soap_config(&sim.base);
    cfg.timeout = Duration::from_millis(200);
    let started = Instant::now();
    let err = SoapClient::new(cfg)
        .unwrap()
        .lookup(&request_for(&sim, 4))
        .await
        .unwrap_err();
    assert!(err.is_transient(), "{err:?}");
    assert!(
        started.elapsed() < Duration::from_millis(1400),
        "{:?}",
        started.elapsed()
    );
}

#[tokio::test]
async fn unlicensed_procedure_is_not_authorised_004() {
    let sim = spawn_sim(SimConfig {
        unauthorised_procedures: vec!["1.004227".into()],
        ..SimConfig::default()
    })
    .await;
    let err = client(&sim)
        .lookup(&request_for(&sim, 5))
        .await
        .unwrap_err();
    match &err {
        LookupError::NotAuthorised { code, .. } => assert_eq!(code, "004"),
        other => panic!("expected NotAuthorised, got {other:?}"),
    }
    assert_eq!(err.class(), "not_authorised");
    let mut other_procedure = request_for(&sim, 5);
    other_procedure.procedure_code = "2.000001".into();
    assert!(
        client(&sim)
            .lookup(&other_procedure)
            .await
            .unwrap()
            .is_some()
    );
}

#[tokio::test]
async fn missing_credentials_are_refused_401_and_classified_not_authorised() {
    let sim = spawn_sim(SimConfig::default()).await;
    let mut cfg = soap_config(&sim.base);
    cfg.api_key = String::new();
    let err = SoapClient::new(cfg)
        .unwrap()
        .lookup(&request_for(&sim, 6))
        .await
        .unwrap_err();
    match &err {
        LookupError::NotAuthorised { code, .. } => assert_eq!(code, "401"),
        other => panic!("expected NotAuthorised 401, got {other:?}"),
    }
    assert!(!err.is_transient());
    let raw = reqwest::Client::new()
        .post(sim.base.clone())
        .header("ApiKey", "k")
        .body("<x/>")
        .send()
        .await
        .unwrap();
    assert_eq!(raw.status(), 401, "no Authorization header");
}

#[tokio::test]
async fn bad_xml_is_400_fault_and_health_is_200() {
    let sim = spawn_sim(SimConfig::default()).await;
    let auth = dossierflow_csdlqg::client::authorization("u", "user", 1, "s");
    let raw = reqwest::Client::new()
        .post(sim.base.join("TraCuuThongTinCongDan").unwrap())
        .header("Authorization", auth)
        .header("ApiKey", "k")
        .body("<soap:Envelope><soap:Body>")
        .send()
        .await
        .unwrap();
    assert_eq!(raw.status(), 400);
    assert!(raw.text().await.unwrap().contains("faultcode"));
    let health = reqwest::get(sim.base.join("health").unwrap())
        .await
        .unwrap();
    assert_eq!(health.status(), 200);
}

#[tokio::test]
async fn refused_connection_is_transient() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = Url::parse(&format!("http://{}/", listener.local_addr().unwrap())).unwrap();
    drop(listener);
    let err = SoapClient::new(soap_config(&base))
        .unwrap()
        .lookup(&LookupRequest {
            request_id: "r".into(),
            procedure_code: "p".into(),
            id: NationalId::parse("001090123456").unwrap(),
            name: dossierflow_domain::CitizenName::parse("Lê Văn Tám").unwrap(),
            birth: BirthDate::YearOnly(1990),
            context: Default::default(),
        })
        .await
        .unwrap_err();
    assert!(err.is_transient(), "{err:?}");
    assert!(!err.to_string().contains("001090123456"));
}
