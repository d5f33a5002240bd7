//! System test of routing, one case per rule, through the real binary, broker, database
//! and simulator: province-level procedure → its executing department; commune-level →
//! the commune of permanent residence; an explicit receiving unit wins; a legacy
//! (pre-July-2025) address is mapped to its current commune; unroutable → manual triage
//! with the reason, never dropped.

mod common;

use std::time::{Duration, Instant};

use common::{TestDb, require_broker, start_app, start_sim};
use dossierflow_domain::{Catalog, Level, UnitScheme};
use dossierflow_producers::generate::population;
use dossierflow_producers::submit::{Outgoing, Sent, submit_all};
use reqwest::Url;
use serde_json::json;
use uuid::Uuid;

const SEED: u64 = 31;
const SIZE: usize = 3_000;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_routing_rule_on_the_real_pipeline() {
    require_broker();
    let db = TestDb::new();
    let prefix = format!("t{}.", Uuid::new_v4().simple());
    let sim = start_sim(SEED, SIZE, &[]).await;
    let app = start_app("run", &db, &prefix, Some(&sim), &[]).await;
    let catalog = Catalog::embedded().expect("catalogue");
    let pop = population(SEED, SIZE, &catalog);
    let province = catalog
        .procedures()
        .iter()
        .find(|p| p.level == Level::Province)
        .expect("province procedure");
    let commune = catalog
        .procedures()
        .iter()
        .find(|p| p.level == Level::Commune)
        .expect("commune procedure");
    let is_current = |code: &str| catalog.unit_in(UnitScheme::Current34, code).is_some();
    let residence = |i: usize| pop.person(i).permanent.commune.clone().expect("commune");
    let current_i = (0..SIZE)
        .find(|&i| is_current(&residence(i)))
        .expect("a current address");
    let legacy_i = (0..SIZE)
        .find(|&i| !is_current(&residence(i)))
        .expect("a legacy address");
    let agency_of = |code: &str| {
        let unit = catalog
            .current_commune(code)
            .expect("maps to a current commune");
        catalog
            .commune_agency(&unit.code)
            .expect("commune agency")
            .id
            .to_string()
    };
    let other_commune = catalog
        .agencies()
        .iter()
        .find(|a| a.level == Level::Commune && a.id.to_string() != agency_of(&residence(current_i)))
        .expect("another commune")
        .id
        .to_string();

    let body = |i: usize, procedure: &str, unit: Option<&str>| {
        let p = pop.person(i);
        let mut b = json!({"procedure_code": procedure,
            "applicant": {"full_name": p.name.as_str(), "id_number": p.id.as_str(), "birth_date": p.birth.to_string()}});
        if let Some(u) = unit {
            b["receiving_unit"] = json!(u);
        }
        Outgoing {
            body: b,
            idempotency_key: Uuid::new_v4().to_string(),
        }
    };
    let department = province.agencies[0].to_string();
    let cases = [
        (
            "province-level → executing department",
            body(current_i, province.code.as_str(), None),
            Some(department.clone()),
        ),
        (
            "commune-level → commune of residence",
            body(current_i, commune.code.as_str(), None),
            Some(agency_of(&residence(current_i))),
        ),
        (
            "explicit receiving unit wins",
            body(current_i, commune.code.as_str(), Some(&other_commune)),
            Some(other_commune.clone()),
        ),
        (
            "legacy address → current commune",
            body(legacy_i, commune.code.as_str(), None),
            Some(agency_of(&residence(legacy_i))),
        ),
        (
            "unroutable → triage",
            body(current_i, commune.code.as_str(), Some(&department)),
            None,
        ),
    ];
    let api = Url::parse(&format!("{}/", app.api)).expect("url");
    let sent = submit_all(&api, cases.iter().map(|c| c.1.clone()).collect(), 5, false)
        .await
        .expect("submit");
    let pool = db.pool().await;
    for ((name, _, want), sent) in cases.iter().zip(sent) {
        let Sent::Accepted(id) = sent else {
            panic!("{name}: {sent:?}")
        };
        let started = Instant::now();
        let (stage, agency) = loop {
            let row: Option<(String, Option<String>)> =
                sqlx::query_as("SELECT stage, agency_id FROM dossier WHERE id = $1 AND stage IN ('routed', 'triage', 'refused')")
                    .bind(id)
                    .fetch_optional(&pool)
                    .await
                    .expect("query");
            if let Some(r) = row {
                break r;
            }
            assert!(
                started.elapsed() < Duration::from_secs(60),
                "{name}: not final"
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        };
        match want {
            Some(agency_id) => {
                assert_eq!(stage, "routed", "{name}");
                assert_eq!(agency.as_deref(), Some(agency_id.as_str()), "{name}");
            }
            None => {
                assert_eq!(stage, "triage", "{name}");
                let (reason,): (serde_json::Value,) = sqlx::query_as(
                    "SELECT payload FROM dossier_event WHERE dossier_id = $1 AND type = 'dossier.triage.v1'",
                )
                .bind(id)
                .fetch_one(&pool)
                .await
                .expect("triage event");
                assert!(
                    reason["reason"]
                        .as_str()
                        .is_some_and(|r| r.contains(&department)),
                    "{name}: {reason}"
                );
            }
        }
    }
}
