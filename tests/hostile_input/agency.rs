//! The agencies' endpoints (`POST /v1/dossiers/{code}/status`,
//! `GET /v1/agencies/{id}/dossiers`) and the providers' delivery receipts.

use reqwest::Client;
use serde_json::{Value, json};
use sqlx::PgPool;
use uuid::Uuid;

use crate::common::TestDb;
use crate::{MAX_BODY, SMS_RECEIPT_TOKEN, field_codes, rejected};

/// A routed dossier: its id, code and agency.
async fn routed(pool: &PgPool) -> (Uuid, String, String) {
    sqlx::query_as(
        "SELECT id, dossier_code, agency_id FROM dossier WHERE stage = 'routed' ORDER BY id LIMIT 1",
    )
    .fetch_one(pool)
    .await
    .expect("a routed dossier")
}

pub async fn check_status_updates(http: &Client, api: &str, db: &TestDb, pool: &PgPool) {
    let (id, code, agency) = routed(pool).await;
    let token = crate::feed::issue_token(db, &agency);
    let url = format!("{api}/v1/dossiers/{code}/status");
    let send = |url: String, body: String, ctype: Option<&str>, key: Option<String>| {
        let mut req = http.post(url).bearer_auth(&token).body(body);
        if let Some(c) = ctype {
            req = req.header("content-type", c);
        }
        if let Some(k) = key {
            req = req.header("Idempotency-Key", k);
        }
        req.send()
    };
    let ok = json!({"status": "processing", "officer": "CB-01"}).to_string();
    let json_ct = Some("application/json");

    let r = http.post(&url).body("{").send().await.expect("post");
    rejected(r, 401, "unauthenticated", "no token, broken body").await;
    let r = send(url.clone(), ok.clone(), Some("text/plain"), None).await;
    rejected(r.expect("post"), 415, "unsupported_media_type", "as text").await;
    let r = send(url.clone(), ok.clone(), None, None).await;
    rejected(r.expect("post"), 415, "unsupported_media_type", "no type").await;
    let r = send(url.clone(), "{\"status\": ".into(), json_ct, None).await;
    rejected(r.expect("post"), 400, "malformed_json", "broken JSON").await;
    let big = json!({"status": "processing", "officer": "CB-01", "reason": "x".repeat(MAX_BODY)});
    let r = send(url.clone(), big.to_string(), json_ct, None).await;
    rejected(r.expect("post"), 413, "body_too_large", "over the limit").await;

    let typo = json!({"status": "processing", "officer": "CB-01", "reasn": "typo"});
    let r = send(url.clone(), typo.to_string(), json_ct, None).await;
    let answer = rejected(r.expect("post"), 422, "invalid_update", "unknown field").await;
    assert_eq!(
        field_codes(&answer),
        vec![("reasn".to_owned(), "unknown_field".to_owned())]
    );
    let invalid: [(Value, &str); 6] = [
        (
            json!({"status": "done", "officer": "CB-01"}),
            "not a dossier status",
        ),
        (json!({"status": 4, "officer": "CB-01"}), "status update"),
        (json!({"status": "processing", "officer": " "}), "officer"),
        (json!({"status": "processing"}), "officer"),
        (
            json!({"status": "supplement_requested", "officer": "CB-01", "supplement_deadline": "2026-02-30"}),
            "calendar date",
        ),
        (
            json!({"status": "supplement_requested", "officer": "CB-01", "supplement_deadline": "2020-01-01"}),
            "past",
        ),
    ];
    for (body, says) in invalid {
        let r = send(url.clone(), body.to_string(), json_ct, None).await;
        let answer = rejected(r.expect("post"), 422, "invalid_update", says).await;
        let message = answer["message"].as_str().unwrap_or_default();
        assert!(message.contains(says), "{body}: {message}");
    }
    let r = send(url.clone(), ok.clone(), json_ct, Some("k".repeat(201))).await;
    rejected(r.expect("post"), 422, "invalid_update", "overlong key").await;
    for bad_code in ["000.00.00.Z99-260101-0001", "%27%20OR%201%3D1--"] {
        let other = format!("{api}/v1/dossiers/{bad_code}/status");
        let r = send(other, ok.clone(), json_ct, None).await;
        rejected(r.expect("post"), 404, "not_found", bad_code).await;
    }

    // Nothing of the above was applied.
    let (status, changes): (i16, i64) = sqlx::query_as(
        "SELECT d.status, (SELECT count(*) FROM status_change s WHERE s.dossier_id = d.id)
         FROM dossier d WHERE d.id = $1",
    )
    .bind(id)
    .fetch_one(pool)
    .await
    .expect("dossier");
    assert_eq!(
        (status, changes),
        (2, 0),
        "a rejected update changes nothing"
    );
}

pub async fn check_pulls(http: &Client, api: &str, db: &TestDb, pool: &PgPool) {
    let (_, _, agency) = routed(pool).await;
    let token = crate::feed::issue_token(db, &agency);
    let pull = |query: &str, token: Option<&str>| {
        let mut req = http.get(format!("{api}/v1/agencies/{agency}/dossiers{query}"));
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        req.send()
    };
    let r = pull("?limit=abc", None).await.expect("get");
    rejected(r, 401, "unauthenticated", "no token, bad query").await;
    let cases = [
        ("?limit=abc", "bad_query"),
        ("?limt=5", "bad_query"),
        ("?limit=1&since=2020-01-01", "bad_query"),
        ("?limit=0", "bad_limit"),
        ("?limit=201", "bad_limit"),
        ("?after=not-a-cursor", "bad_cursor"),
    ];
    for (query, error) in cases {
        let r = pull(query, Some(&token)).await.expect("get");
        rejected(r, 400, error, query).await;
    }
    let r = pull("?limit=1", Some(&token)).await.expect("get");
    assert_eq!(r.status(), 200, "a valid query still works");
}

pub async fn check_receipts(http: &Client, api: &str) {
    let url = format!("{api}/v1/notification-receipts/sms");
    let huge = json!({"reference": Uuid::new_v4(), "status": "delivered",
        "padding": "x".repeat(20 * 1024)})
    .to_string();
    let r = http
        .post(&url)
        .header("content-type", "application/json")
        .body(huge.clone())
        .send()
        .await
        .expect("post");
    rejected(r, 401, "unauthorized", "oversized and no token").await;
    let r = http
        .post(&url)
        .bearer_auth(SMS_RECEIPT_TOKEN)
        .header("content-type", "application/json")
        .body(huge)
        .send()
        .await
        .expect("post");
    rejected(r, 413, "body_too_large", "oversized receipt").await;
    // Providers add fields of their own: a receipt's unknown fields are ignored, so this
    // one fails only on its reference, which no notification has.
    let extra = json!({"reference": Uuid::new_v4(), "status": "delivered",
        "message_id": "gw-1", "operator": "viettel", "segments": 2});
    let r = http
        .post(&url)
        .bearer_auth(SMS_RECEIPT_TOKEN)
        .json(&extra)
        .send()
        .await
        .expect("post");
    rejected(r, 404, "unknown_reference", "unknown fields are ignored").await;
}
