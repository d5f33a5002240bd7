//! The agency and citizen side of the workload: every agency pulls its routed dossiers
//! (opening their sealed citizen data) and moves them to processing then completed; the
//! citizen looks dossiers up by code with right and wrong ownership proofs; then the
//! notifications finish and the in-process provider simulators give back what they got.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use futures::StreamExt;
use reqwest::{Client, StatusCode};
use serde_json::{Value, json};
use sqlx::PgPool;
use uuid::Uuid;

use crate::common::TestDb;
use crate::feed;

/// What the agency side did.
pub struct Agencies {
    pub agencies: usize,
    pub pulled: usize,
    pub status_updates: usize,
    pub by_code: usize,
}

/// Waits until every accepted dossier reached a final stage.
pub async fn wait_final(pool: &PgPool, n: usize) {
    feed::wait_routed(pool, n as i64).await;
}

/// Pulls, status updates and by-code lookups.
pub async fn drive(
    api: &str,
    db: &TestDb,
    pool: &PgPool,
    bodies: &HashMap<Uuid, Value>,
) -> Agencies {
    let http = Client::new();
    let rows: Vec<(Uuid, String, String)> = sqlx::query_as(
        "SELECT id, agency_id, dossier_code FROM dossier
          WHERE stage = 'routed' AND agency_id IS NOT NULL AND dossier_code IS NOT NULL
          ORDER BY dossier_code",
    )
    .fetch_all(pool)
    .await
    .expect("routed dossiers");
    assert!(!rows.is_empty(), "some dossiers are routed");
    let mut tokens: HashMap<String, String> = HashMap::new();
    for (_, agency, _) in &rows {
        if !tokens.contains_key(agency) {
            tokens.insert(agency.clone(), feed::issue_token(db, agency));
        }
    }
    let mut pulled = 0;
    for (agency, token) in &tokens {
        let page = feed::pull_all(&http, api, agency, token).await;
        assert!(
            page.iter().any(|d| d["citizen_data"].is_object())
                || page
                    .iter()
                    .all(|d| d["citizen_fields"].as_array().is_none_or(Vec::is_empty)),
            "sealed citizen data is opened for {agency}"
        );
        pulled += page.len();
    }

    let updates: Vec<(String, String)> = rows
        .iter()
        .map(|(_, agency, code)| (code.clone(), tokens[agency].clone()))
        .collect();
    let n_updates = updates.len() * 2;
    let _: Vec<()> = futures::stream::iter(updates)
        .map(|(code, token)| {
            let http = http.clone();
            async move {
                for (status, reason) in [
                    ("processing", "hồ sơ đủ điều kiện"),
                    ("completed", "đã trả kết quả"),
                ] {
                    let body = json!({ "status": status, "reason": reason, "officer": "CB-PII" });
                    let r = feed::status_update(&http, api, &code, &token, body, None).await;
                    assert_eq!(r.status(), StatusCode::OK, "{status} for {code}");
                }
            }
        })
        .buffer_unordered(8)
        .collect()
        .await;

    // By code: the right last 4 digits, the phone, a wrong proof, and the full ID given
    // as a proof by mistake (not a valid proof form: it must not end up anywhere).
    let mut by_code = 0;
    for (id, _, code) in rows.iter().take(12) {
        let applicant = &bodies[id]["applicant"];
        let full = applicant["id_number"].as_str().expect("id");
        let last4 = &full[full.len() - 4..];
        let wrong = format!(
            "{:04}",
            (last4.parse::<u32>().expect("digits") + 1) % 10_000
        );
        let mut proofs = vec![
            (last4.to_owned(), true),
            (wrong, false),
            (full.to_owned(), false),
        ];
        if let Some(phone) = applicant["phone"].as_str() {
            proofs.push((phone.to_owned(), true));
        }
        for (proof, ok) in proofs {
            let r = http
                .get(format!("{api}/v1/dossiers/by-code/{code}"))
                .header("X-Ownership-Proof", &proof)
                .send()
                .await
                .expect("get by code");
            let want = if ok {
                StatusCode::OK
            } else {
                StatusCode::NOT_FOUND
            };
            assert_eq!(r.status(), want, "by-code {code}, proof right: {ok}");
            by_code += 1;
        }
    }
    Agencies {
        agencies: tokens.len(),
        pulled,
        status_updates: n_updates,
        by_code,
    }
}

/// Waits until notifications exist for the completed (status 9) dossiers, none is still queued, in
/// flight or awaiting a receipt, and their number holds still for 5 s.
pub async fn wait_notifications(pool: &PgPool, routed: usize) -> i64 {
    let limit = Duration::from_secs(240);
    let started = Instant::now();
    let mut last = (-1, Instant::now());
    loop {
        let (total, open, completed): (i64, i64, i64) = sqlx::query_as(
            "SELECT count(*),
                    count(*) FILTER (WHERE state IN ('queued', 'sending', 'sent')),
                    count(DISTINCT dossier_id) FILTER (WHERE channel = 'national_portal'
                        AND status_code = 9)
               FROM notification",
        )
        .fetch_one(pool)
        .await
        .expect("notification states");
        if total != last.0 {
            last = (total, Instant::now());
        }
        if open == 0 && completed as usize >= routed && last.1.elapsed() > Duration::from_secs(5) {
            return total;
        }
        assert!(
            started.elapsed() < limit,
            "notifications not finished after {limit:?}: {total} in all, {open} open, \
             {completed}/{routed} completed dossiers notified to the national portal"
        );
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
}

/// The in-process provider simulators' address, from the `run` log.
pub fn providers_addr(log: &str) -> Option<String> {
    let line = log
        .lines()
        .find(|l| l.contains("serving the provider simulators in-process"))?;
    let after = line.split("addr=").nth(1)?;
    Some(
        after
            .split_whitespace()
            .next()?
            .trim_matches('"')
            .to_owned(),
    )
}

/// Every message the provider simulators received, one JSON document a line, per channel.
pub async fn provider_messages(addr: &str) -> Vec<(String, String, usize)> {
    let http = Client::new();
    let mut out = vec![];
    for channel in ["sms", "email", "zalo", "national_portal", "portal_webhook"] {
        let messages: Vec<Value> = http
            .get(format!(
                "http://{addr}/admin/messages?channel={channel}&limit=1000"
            ))
            .send()
            .await
            .expect("provider messages")
            .error_for_status()
            .expect("200")
            .json()
            .await
            .expect("json");
        let text: Vec<String> = messages.iter().map(Value::to_string).collect();
        out.push((channel.to_owned(), text.join("\n"), messages.len()));
    }
    out
}
