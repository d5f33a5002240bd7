//! System test of the portal's synchronous lookups (`POST /v1/citizen-lookups`) against
//! the real simulator: only the procedure's fields come back, only on a full match;
//! every attempt is audited; an outage gets a typed "continue without prefill" answer
//! within the deadline; officers are rate-limited and clients authenticated.

mod common;

use std::time::{Duration, Instant};

use common::{TestDb, require_broker, start_app, start_sim};
use dossierflow_domain::{BirthDate, Catalog, ProcedureCode};
use dossierflow_producers::generate::population;
use serde_json::{Value, json};
use uuid::Uuid;

const TOKEN: &str = "local-portal-token";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn lookups_disclose_only_the_procedures_fields_and_fail_soft() {
    require_broker();
    let db = TestDb::new();
    let prefix = format!("t{}.", Uuid::new_v4().simple());
    let sim = start_sim(5, 2000, &[]).await;
    let sim_url = sim.url.clone();
    let extra = [
        ("DOSSIER__INTAKE__OFFICER_LOOKUPS_PER_MINUTE", "5"),
        ("DOSSIER__INTAKE__LOOKUP_DEADLINE", "2s"),
    ];
    let app = start_app("intake", &db, &prefix, Some(&sim), &extra).await;
    let url = format!("{}/v1/citizen-lookups", app.api);
    let http = reqwest::Client::new();
    let catalog = Catalog::embedded().expect("catalogue");
    let pop = population(5, 2000, &catalog);
    let lookup = |actor: &str, procedure: &str, i: usize, birth: Option<String>| {
        let p = pop.person(i);
        let body = json!({
            "actor": actor, "unit": "000.01.30.H43", "procedure_code": procedure,
            "full_name": p.name.as_str(), "id_number": p.id.as_str(),
            "birth_date": birth.unwrap_or_else(|| p.birth.to_string()),
        });
        http.post(&url).bearer_auth(TOKEN).json(&body).send()
    };

    // Authentication.
    let r = http.post(&url).json(&json!({})).send().await.expect("post");
    assert_eq!(r.status(), 401);
    assert_eq!(
        r.headers()["www-authenticate"],
        "Bearer",
        "the 401 challenge"
    );
    let r = http
        .post(&url)
        .bearer_auth("wrong")
        .json(&json!({}))
        .send()
        .await
        .expect("post");
    assert_eq!(r.status(), 401);
    assert_eq!(r.headers()["www-authenticate"], "Bearer");
    let body: serde_json::Value = r.json().await.expect("json");
    assert_eq!(body["error"], "unauthenticated", "{body}");

    // One procedure of each class: province department, commune with sensitive fields.
    let classes = ["1.004227", "1.001193", "1.003658"];
    for (n, code) in classes.iter().enumerate() {
        let r = lookup(&format!("MCB-{n}"), code, 10 + n, None)
            .await
            .expect("post");
        assert_eq!(r.status(), 200);
        let body: Value = r.json().await.expect("json");
        assert_eq!(body["outcome"], "verified", "{body}");
        let procedure = catalog
            .procedure(&ProcedureCode::parse(code).expect("code"))
            .expect("procedure");
        let declared: Vec<String> = procedure
            .csdlqg_fields
            .iter()
            .map(|f| dossierflow_csdlqg::minimise::field_name(*f))
            .collect();
        let returned: Vec<&String> = body["fields"].as_object().expect("fields").keys().collect();
        assert!(!returned.is_empty(), "{code}: some fields returned");
        for f in &returned {
            assert!(declared.contains(f), "{code} returned undeclared field {f}");
        }
        // Sensitive fields come back only when the procedure declares them, named.
        for sensitive in ["ethnicity", "religion"] {
            let declared_it = declared.iter().any(|d| d == sensitive);
            assert_eq!(
                body["fields"].get(sensitive).is_some(),
                declared_it,
                "{code}: {sensitive}"
            );
            if declared_it {
                assert!(
                    body["fields"][sensitive]["name"].is_string(),
                    "{code}: {sensitive} named"
                );
            }
        }
    }
    assert!(
        classes.iter().any(|c| catalog
            .procedure(&ProcedureCode::parse(c).expect("code"))
            .is_some_and(|p| p.csdlqg_fields.iter().any(|f| f.is_sensitive()))),
        "one tested procedure declares a sensitive field"
    );

    // A wrong date of birth: a mismatch, and nothing disclosed.
    let p = pop
        .people()
        .iter()
        .position(|p| matches!(p.birth, BirthDate::Full(_)))
        .expect("a full date");
    let BirthDate::Full(d) = pop.person(p).birth else {
        unreachable!()
    };
    let other = if d.format("%d").to_string() == "01" {
        d.succ_opt()
    } else {
        d.pred_opt()
    }
    .expect("day");
    let r = lookup(
        "MCB-X",
        "1.004227",
        p,
        Some(other.format("%d/%m/%Y").to_string()),
    )
    .await
    .expect("post");
    let body: Value = r.json().await.expect("json");
    assert_eq!(body["outcome"], "mismatch", "{body}");
    assert_eq!(body["fields"], json!({}), "nothing disclosed on a mismatch");

    // Invalid input lists every bad field.
    let r = http.post(&url).bearer_auth(TOKEN).json(&json!({"actor": "MCB-1", "unit": "x", "procedure_code": "9.9", "full_name": "A1", "id_number": "12", "birth_date": "x"})).send().await.expect("post");
    assert_eq!(r.status(), 422);
    let body: Value = r.json().await.expect("json");
    assert_eq!(
        body["fields"].as_array().expect("fields").len(),
        5,
        "{body}"
    );

    // The officer's rate limit.
    let mut statuses = vec![];
    for _ in 0..6 {
        statuses.push(
            lookup("MCB-RL", "1.004227", 3, None)
                .await
                .expect("post")
                .status()
                .as_u16(),
        );
    }
    assert_eq!(statuses, [200, 200, 200, 200, 200, 429]);

    // Audited like the pipeline's lookups.
    let pool = db.pool().await;
    let (rows, actors): (i64, i64) = sqlx::query_as(
        "SELECT count(*), count(DISTINCT actor) FROM lookup_audit WHERE channel = 'portal_sync'",
    )
    .fetch_one(&pool)
    .await
    .expect("audit");
    let stats: Value = reqwest::get(format!("{sim_url}/admin/stats"))
        .await
        .expect("stats")
        .json()
        .await
        .expect("json");
    assert_eq!(
        rows,
        stats["requests"].as_i64().expect("requests"),
        "one audit row per CSDLQG call"
    );
    assert!(actors >= 4);

    // An outage: a typed 503 within the deadline, then at once while the circuit is open.
    http.post(format!("{sim_url}/admin/config"))
        .json(&json!({"outage": true}))
        .send()
        .await
        .expect("outage");
    let mut slowest = Duration::ZERO;
    for i in 0..30 {
        let started = Instant::now();
        let r = lookup(&format!("MCB-O{i}"), "1.004227", 100 + i, None)
            .await
            .expect("post");
        slowest = slowest.max(started.elapsed());
        assert_eq!(r.status(), 503);
        let body: Value = r.json().await.expect("json");
        assert_eq!(body["error"], "csdlqg_unavailable");
        assert_eq!(body["continue_without_prefill"], true);
    }
    assert!(
        slowest <= Duration::from_millis(2500),
        "an answer took {slowest:?}, past the 2 s deadline"
    );
    let started = Instant::now();
    let r = lookup("MCB-Z", "1.004227", 200, None).await.expect("post");
    assert_eq!(r.status(), 503);
    assert!(
        started.elapsed() < Duration::from_millis(300),
        "open circuit: answered at once ({:?})",
        started.elapsed()
    );
}
