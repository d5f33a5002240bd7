//! The intake side of the workload: generated dossiers (with refusals and mismatches), a
//! replayed and a conflicting idempotency key, invalid submissions carrying full IDs,
//! and the portal's synchronous citizen lookups. Every ID used is recorded as a needle.

use std::collections::HashMap;

use dossierflow_csdlqg::sim::{Person, Population};
use dossierflow_domain::Catalog;
use dossierflow_producers::generate::{Mix, generate, population};
use dossierflow_producers::submit::{Outgoing, Sent, submit_all};
use reqwest::{Client, Url};
use serde_json::{Value, json};
use uuid::Uuid;

use crate::scan::Needles;

pub const SEED: u64 = 8_808;
pub const POPULATION: usize = 1_000;
const DOSSIERS: usize = 150;
const PORTAL_TOKEN: &str = "local-portal-token";

/// What the intake workload left behind.
pub struct Submitted {
    /// Accepted dossier id → its body.
    pub bodies: HashMap<Uuid, Value>,
    /// Submissions answered with a client error (planted invalid ones included).
    pub rejected: usize,
    /// Synchronous lookups made.
    pub lookups: usize,
}

fn record(needles: &mut Needles, applicant: &Value) {
    if let Some(id) = applicant["id_number"].as_str() {
        needles.id(id);
    }
    if let (Some(name), Some(birth)) = (
        applicant["full_name"].as_str(),
        applicant["birth_date"].as_str(),
    ) {
        needles.name_birth(name, birth);
    }
}

/// Every full ID of a population record: the CCCD, the old CMND and the relatives'.
fn person_ids(needles: &mut Needles, p: &Person) {
    let relatives = [
        &p.father,
        &p.mother,
        &p.spouse,
        &p.representative,
        &p.head_of_household,
    ];
    let ids = relatives
        .into_iter()
        .flatten()
        .flat_map(|r| [r.id.as_deref(), r.old_id.as_deref()])
        .chain([Some(p.id.as_str()), p.old_id.as_deref()])
        .flatten();
    for id in ids {
        needles.id(id);
    }
}

/// Six digits that differ per run, so planted IDs collide with nothing stored before.
fn serial() -> String {
    format!("{:06}", Uuid::new_v4().as_u128() % 1_000_000)
}

async fn post(http: &Client, url: &str, key: &str, body: &Value) -> (u16, Value, bool) {
    let r = http
        .post(url)
        .bearer_auth(crate::common::PORTAL_TOKEN)
        .header("Idempotency-Key", key)
        .json(body)
        .send()
        .await
        .expect("post a submission");
    let replayed = r.headers().contains_key("idempotent-replayed");
    let status = r.status().as_u16();
    (status, r.json().await.unwrap_or(Value::Null), replayed)
}

/// Submits everything; returns the accepted bodies and counts.
pub async fn submit(api: &str, needles: &mut Needles) -> Submitted {
    let http = Client::new();
    let catalog = Catalog::embedded().expect("catalogue");
    let pop = population(SEED, POPULATION, &catalog);
    let mix = Mix {
        unknown: 0.1,
        wrong_birth: 0.1,
    };
    let generated = generate(&pop, &catalog, DOSSIERS, SEED, mix);
    for g in &generated {
        record(needles, &g.body["applicant"]);
        // The population's own record travels back from CSDLQG: its date counts too.
        let id = g.body["applicant"]["id_number"].as_str().expect("id");
        if let Some(p) = pop.find(id) {
            needles.name_birth(p.name.as_str(), &p.birth.to_string());
            person_ids(needles, p);
        }
    }
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
    .expect("submit the generated dossiers");
    let mut bodies = HashMap::new();
    let mut rejected = 0;
    for (s, g) in sent.iter().zip(&generated) {
        match s {
            Sent::Accepted(id) => {
                bodies.insert(*id, g.body.clone());
            }
            Sent::Rejected(..) => rejected += 1,
            Sent::Failed(e) => panic!("a generated submission failed: {e}"),
        }
    }
    assert!(
        bodies.len() * 10 >= DOSSIERS * 9,
        "most generated dossiers are accepted: {}/{DOSSIERS}",
        bodies.len()
    );

    // The same key and body again: the first answer, replayed; another body: refused.
    let url = format!("{api}/v1/dossiers");
    let (first, second) = (&generated[0], &generated[1]);
    let (status, _, replayed) = post(&http, &url, &first.idempotency_key, &first.body).await;
    assert_eq!((status, replayed), (202, true), "a replayed submission");
    let (status, answer, _) = post(&http, &url, &first.idempotency_key, &second.body).await;
    assert_eq!(status, 422, "a key reused with another body: {answer}");
    assert_eq!(answer["error"], "idempotency_key_reused");
    rejected += 1;

    // Invalid submissions, each carrying a full ID (planted, never valid as submitted).
    let procedure = first.body["procedure_code"].clone();
    let s = serial();
    let invalid = [
        // Unknown province prefix 999.
        (format!("999190{s}"), "05/03/1990", Some("0912345678")),
        // Valid prefix, but the CCCD's birth year (1990) contradicts the declared 1975.
        (format!("001090{s}"), "05/03/1975", Some("0912345678")),
        // An impossible date of birth.
        (format!("001190{s}"), "31/02/1990", Some("0912345678")),
        // A phone that is not a Vietnamese mobile number.
        (format!("001191{s}"), "05/03/1991", Some("12345")),
        // 11 digits: neither a CMND nor a CCCD.
        (format!("00119{s}"), "05/03/1991", None),
    ];
    for (n, (id, birth, phone)) in invalid.iter().enumerate() {
        let name = format!("Trần Thị Kiểm Tra {n}");
        let mut applicant = json!({ "full_name": name, "id_number": id, "birth_date": birth });
        if let Some(p) = phone {
            applicant["phone"] = json!(p);
        }
        record(needles, &applicant);
        let body = json!({ "procedure_code": procedure, "applicant": applicant });
        let (status, answer, _) = post(&http, &url, &format!("pii-invalid-{s}-{n}"), &body).await;
        assert_eq!(status, 422, "invalid submission {n}: {answer}");
        rejected += 1;
    }

    let lookups = lookup(api, &pop, needles).await;
    Submitted {
        bodies,
        rejected,
        lookups,
    }
}

/// `POST /v1/citizen-lookups`: verified, mismatch, not found and invalid, each with a
/// full ID in the body.
async fn lookup(api: &str, pop: &Population, needles: &mut Needles) -> usize {
    let http = Client::new();
    let url = format!("{api}/v1/citizen-lookups");
    let mut cases = vec![];
    for i in [3usize, 17, 42, 99] {
        let p = pop.person(i);
        person_ids(needles, p);
        cases.push((
            p.name.as_str().to_owned(),
            p.id.as_str().to_owned(),
            p.birth.to_string(),
            "verified_or_mismatch",
        ));
    }
    // People with a full date of birth, with another day of it: a mismatch.
    let full: Vec<_> = pop
        .people()
        .iter()
        .filter(|p| p.birth.to_string().len() == 10)
        .take(2)
        .collect();
    for p in full {
        let birth = p.birth.to_string();
        let day = if birth.starts_with("01/") { "02" } else { "01" };
        cases.push((
            p.name.as_str().to_owned(),
            p.id.as_str().to_owned(),
            format!("{day}{}", &birth[2..]),
            "verified_or_mismatch",
        ));
        needles.name_birth(p.name.as_str(), &birth);
    }
    let s = serial();
    cases.push((
        "Lê Văn Không Có".into(),
        format!("001088{s}"),
        "10/10/1988".into(),
        "not_found",
    ));
    cases.push((
        "Lê Văn Sai Ngày".into(),
        format!("001088{s}").replace("001088", "001089"),
        "40/13/1989".into(),
        "invalid",
    ));
    for (n, (name, id, birth, want)) in cases.iter().enumerate() {
        needles.id(id);
        needles.name_birth(name, birth);
        let body = json!({
            "actor": format!("MCB-PII-{n}"), "unit": "000.01.30.H43",
            "procedure_code": "1.004227", "full_name": name, "id_number": id,
            "birth_date": birth,
        });
        let r = http
            .post(&url)
            .bearer_auth(PORTAL_TOKEN)
            .json(&body)
            .send()
            .await
            .expect("post a citizen lookup");
        let status = r.status().as_u16();
        let answer: Value = r.json().await.unwrap_or(Value::Null);
        match *want {
            "invalid" => assert_eq!(status, 422, "lookup {n}: {answer}"),
            "not_found" => {
                assert_eq!(status, 200, "lookup {n}: {answer}");
                assert_eq!(answer["outcome"], "not_found", "lookup {n}");
            }
            _ => assert_eq!(status, 200, "lookup {n}: {answer}"),
        }
    }
    cases.len()
}
