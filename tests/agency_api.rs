//! System test of the agency API and the citizen lookup by code, against the real binary,
//! broker and PostgreSQL: tokens issued with `dossierflow agency-token`; an agency pulls
//! only its own routed dossiers, page by page; another agency's token is refused (403);
//! a legal status update is applied once (idempotent) and notified; an illegal one is a
//! 409 naming both statuses; the by-code lookup answers only with a right ownership proof
//! and otherwise exactly like an unknown code.

#[path = "agency_api/by_code.rs"]
mod by_code;
mod common;
#[path = "agency_api/feed.rs"]
mod feed;

use std::collections::{HashMap, HashSet};

use common::{TestDb, require_broker, start_app, start_sim};
use dossierflow_domain::Catalog;
use dossierflow_producers::generate::{Mix, generate, population};
use dossierflow_producers::submit::{Outgoing, Sent, submit_all};
use reqwest::{Client, StatusCode, Url};
use serde_json::{Value, json};
use uuid::Uuid;

const SEED: u64 = 91;
const POPULATION: usize = 1_000;
const DOSSIERS: usize = 40;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn agencies_pull_their_dossiers_and_report_status() {
    require_broker();
    let db = TestDb::new();
    let prefix = format!("t{}.", Uuid::new_v4().simple());
    let sim = start_sim(SEED, POPULATION, &[]).await;
    let app = start_app("run", &db, &prefix, Some(&sim), &[]).await;
    let api = app.api.clone();
    let http = Client::new();

    let catalog = Catalog::embedded().expect("catalogue");
    let pop = population(SEED, POPULATION, &catalog);
    let generated = generate(
        &pop,
        &catalog,
        DOSSIERS,
        SEED,
        Mix {
            unknown: 0.0,
            wrong_birth: 0.0,
        },
    );
    let items = generated
        .iter()
        .map(|g| Outgoing {
            body: g.body.clone(),
            idempotency_key: g.idempotency_key.clone(),
        })
        .collect();
    let sent = submit_all(
        &Url::parse(&format!("{api}/")).expect("url"),
        items,
        8,
        false,
    )
    .await
    .expect("submit");
    let bodies: HashMap<Uuid, &Value> = sent
        .iter()
        .zip(&generated)
        .map(|(s, g)| match s {
            Sent::Accepted(id) => (*id, &g.body),
            other => panic!("not accepted: {other:?}"),
        })
        .collect();
    let pool = db.pool().await;
    feed::wait_routed(&pool, DOSSIERS as i64).await;

    let per_agency: Vec<(String, i64)> = sqlx::query_as(
        "SELECT agency_id, count(*) FROM dossier WHERE stage = 'routed' GROUP BY 1 ORDER BY 2 DESC, 1",
    )
    .fetch_all(&pool)
    .await
    .expect("agencies");
    assert!(
        per_agency.len() >= 2,
        "dossiers must reach two agencies: {per_agency:?}"
    );
    let (a, b) = (per_agency[0].0.clone(), per_agency[1].0.clone());
    assert!(
        per_agency[0].1 >= 3,
        "agency A needs several dossiers to paginate"
    );
    let (token_a, token_b) = (feed::issue_token(&db, &a), feed::issue_token(&db, &b));

    // Pull: A reads exactly its own dossiers, in pages, each once.
    let pulled = feed::pull_all(&http, &api, &a, &token_a).await;
    let ids: Vec<Uuid> = pulled
        .iter()
        .map(|d| d["id"].as_str().expect("id").parse().expect("uuid"))
        .collect();
    let want: HashSet<Uuid> =
        sqlx::query_scalar("SELECT id FROM dossier WHERE agency_id = $1 AND stage = 'routed'")
            .bind(&a)
            .fetch_all(&pool)
            .await
            .expect("ids")
            .into_iter()
            .collect();
    assert_eq!(ids.len(), want.len(), "no dossier repeated or missing");
    assert_eq!(ids.iter().copied().collect::<HashSet<_>>(), want);
    // Every disclosure was logged first: A's dossiers, field names only, nobody else's.
    let logged: Vec<(String, Vec<Uuid>, Vec<String>)> =
        sqlx::query_as("SELECT agency_id, dossier_ids, field_names FROM data_access_log")
            .fetch_all(&pool)
            .await
            .expect("access log");
    let logged_ids: HashSet<Uuid> = logged
        .iter()
        .flat_map(|(_, ids, _)| ids.iter().copied())
        .collect();
    assert!(logged.iter().all(|(agency, _, _)| agency == &a));
    assert_eq!(
        logged_ids, want,
        "each disclosed dossier is in the access log"
    );
    assert!(
        logged
            .iter()
            .flat_map(|(_, _, f)| f)
            .all(|f| f.chars().all(|c| c.is_ascii_lowercase() || c == '_'))
    );
    for d in &pulled {
        for field in [
            "dossier_code",
            "procedure_code",
            "received_at",
            "due_at",
            "status",
        ] {
            assert!(!d[field].is_null(), "{field} missing in {d}");
        }
        if !d["citizen_fields"].as_array().expect("fields").is_empty() {
            assert!(
                d["citizen_data"].is_object(),
                "sealed citizen data is opened: {d}"
            );
        }
    }

    // Authorisation.
    let pull_b = format!("{api}/v1/agencies/{b}/dossiers");
    let r = http
        .get(&pull_b)
        .bearer_auth(&token_a)
        .send()
        .await
        .expect("get");
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    let r = http
        .get(format!("{api}/v1/agencies/000.00.00.Z99/dossiers"))
        .bearer_auth(&token_a)
        .send()
        .await
        .expect("get");
    assert_eq!(r.status(), StatusCode::FORBIDDEN, "unknown agency");
    let r = http.get(&pull_b).send().await.expect("get");
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(
        r.headers()["www-authenticate"],
        "Bearer",
        "the 401 challenge"
    );
    let r = http
        .get(&pull_b)
        .bearer_auth("not-a-token")
        .send()
        .await
        .expect("get");
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(
        http.get(&pull_b)
            .bearer_auth(&token_b)
            .send()
            .await
            .expect("get")
            .status(),
        StatusCode::OK
    );

    let code_of = |d: &Value| d["dossier_code"].as_str().expect("code").to_owned();
    let code_a = code_of(&pulled[0]);
    let id_a: Uuid = pulled[0]["id"].as_str().expect("id").parse().expect("uuid");
    let code_b: String =
        sqlx::query_scalar("SELECT dossier_code FROM dossier WHERE agency_id = $1 LIMIT 1")
            .bind(&b)
            .fetch_one(&pool)
            .await
            .expect("B's dossier");
    let processing =
        json!({ "status": "processing", "reason": "accepted for processing", "officer": "CB-01" });
    let r = feed::status_update(&http, &api, &code_b, &token_a, processing.clone(), None).await;
    assert_eq!(
        r.status(),
        StatusCode::FORBIDDEN,
        "A cannot update B's dossier"
    );

    // Legal transition, applied once under a repeated Idempotency-Key.
    let first = feed::status_update(
        &http,
        &api,
        &code_a,
        &token_a,
        processing.clone(),
        Some("k-1"),
    )
    .await;
    assert_eq!(first.status(), StatusCode::OK);
    let first: Value = first.json().await.expect("json");
    assert_eq!(first["status_code"], 4);
    assert_eq!(first["previous_code"], 2);
    let again = feed::status_update(
        &http,
        &api,
        &code_a,
        &token_a,
        processing.clone(),
        Some("k-1"),
    )
    .await;
    assert_eq!(again.status(), StatusCode::OK);
    assert_eq!(
        again.json::<Value>().await.expect("json"),
        first,
        "same key, same result"
    );
    let events: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM dossier_event WHERE dossier_id = $1 AND type = 'dossier.status.v1' AND (payload->>'status_code')::int = 4",
    )
    .bind(id_a)
    .fetch_one(&pool)
    .await
    .expect("events");
    assert_eq!(events, 1, "one status event, not two");
    let officer: String =
        sqlx::query_scalar("SELECT officer FROM status_change WHERE dossier_id = $1")
            .bind(id_a)
            .fetch_one(&pool)
            .await
            .expect("status_change");
    assert_eq!(officer, "CB-01");
    feed::wait_notified(&pool, id_a).await;

    // Illegal transition.
    let back = json!({ "status": "received", "officer": "CB-01" });
    let r = feed::status_update(&http, &api, &code_a, &token_a, back, None).await;
    assert_eq!(r.status(), StatusCode::CONFLICT);
    let message = r.json::<Value>().await.expect("json")["message"]
        .as_str()
        .expect("message")
        .to_owned();
    assert!(
        message.contains("processing") && message.contains("received"),
        "{message}"
    );
    assert!(
        common::metric(
            &app.admin,
            "dossier_agency_status_updates_total{outcome=\"duplicate\"}"
        )
        .await
            >= 1.0
    );

    by_code::check_by_code(&http, &api, &code_a, bodies[&id_a]).await;
}
