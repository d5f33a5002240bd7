//! The portal's endpoints: `POST /v1/dossiers`, `POST /v1/citizen-lookups`, and the
//! progress reads `GET /v1/dossiers/{id}` and `GET /v1/dossiers/by-code/{code}`.

use reqwest::Client;
use serde_json::{Value, json};

use crate::{MAX_BODY, PORTAL_TOKEN, field_codes, rejected};

fn valid() -> Value {
    json!({
        "procedure_code": "1.001193",
        "applicant": {"full_name": "Trần Thị Bích Ngọc", "id_number": "025190000123",
            "birth_date": "20/04/1990", "phone": "0912345678"}
    })
}

/// One invalid change of [`valid`]: the JSON pointer to set and its value.
type Change = (&'static str, Value);
/// A case: its name, the changes, and the (field, code) pairs the answer must name.
type Case = (&'static str, Vec<Change>, Vec<(&'static str, &'static str)>);

fn with(changes: &[Change]) -> Value {
    let mut body = valid();
    for (pointer, value) in changes {
        let (parent, key) = pointer.rsplit_once('/').expect("a pointer");
        let target = body.pointer_mut(parent).expect("parent exists");
        target[key] = value.clone();
    }
    body
}

pub async fn check_submissions(http: &Client, api: &str) {
    let url = format!("{api}/v1/dossiers");
    let send = |body: String, ctype: Option<&str>| {
        let mut req = http.post(&url).bearer_auth(PORTAL_TOKEN).body(body);
        if let Some(c) = ctype {
            req = req.header("content-type", c);
        }
        req.send()
    };
    let json_ct = Some("application/json");
    let r = send(valid().to_string(), None).await.expect("post");
    rejected(r, 415, "unsupported_media_type", "submit without a type").await;
    let r = send("x".repeat(MAX_BODY + 1), json_ct).await.expect("post");
    rejected(r, 413, "body_too_large", "submit over the limit").await;
    let r = send("[1, 2".into(), json_ct).await.expect("post");
    rejected(r, 400, "malformed_json", "submit of broken JSON").await;

    // Every invalid value is named with its code, all at once per body.
    let cases: Vec<Case> = vec![
        ("not an object", vec![], vec![("", "not_an_object")]),
        (
            "unknown fields",
            vec![
                ("/colour", json!("blue")),
                ("/applicant/phon", json!("0912")),
            ],
            vec![
                ("colour", "unknown_field"),
                ("applicant.phon", "unknown_field"),
            ],
        ),
        (
            "invalid name, phone and e-mail",
            vec![
                ("/applicant/full_name", json!("Nguyễn Văn 2")),
                ("/applicant/phone", json!("0123")),
                ("/applicant/email", json!("not-an-address")),
            ],
            vec![
                ("applicant.full_name", "invalid_name"),
                ("applicant.phone", "invalid_phone"),
                ("applicant.email", "invalid_email"),
            ],
        ),
        (
            "invalid ID",
            vec![("/applicant/id_number", json!("02519000012A"))],
            vec![("applicant.id_number", "invalid_id")],
        ),
        (
            "impossible date",
            vec![("/applicant/birth_date", json!("31/02/1990"))],
            vec![("applicant.birth_date", "invalid_birth_date")],
        ),
        (
            "future date",
            vec![("/applicant/birth_date", json!("01/01/2999"))],
            vec![("applicant.birth_date", "invalid_birth_date")],
        ),
        (
            "wrong types",
            vec![
                ("/applicant/id_number", json!(25190000123u64)),
                ("/applicant/notify_channels", json!("sms")),
            ],
            vec![
                ("applicant.id_number", "not_a_string"),
                ("applicant.notify_channels", "not_an_array"),
            ],
        ),
        (
            "unknown procedure and unit",
            vec![
                ("/procedure_code", json!("9.999999")),
                ("/receiving_unit", json!("not-an-agency")),
            ],
            vec![
                ("procedure_code", "unknown_procedure"),
                ("receiving_unit", "invalid_agency"),
            ],
        ),
    ];
    for (what, changes, want) in cases {
        let body = if what == "not an object" {
            json!(["procedure_code", "1.001193"])
        } else {
            with(&changes)
        };
        let r = send(body.to_string(), json_ct).await.expect("post");
        let answer = rejected(r, 422, "invalid_fields", what).await;
        let got = field_codes(&answer);
        for (field, code) in want {
            assert!(
                got.contains(&(field.to_owned(), code.to_owned())),
                "{what}: ({field}, {code}) not in {answer}"
            );
        }
        assert!(
            !answer.to_string().contains("02519000012A"),
            "{what}: the ID is not echoed"
        );
    }
    let r = http
        .post(&url)
        .bearer_auth(PORTAL_TOKEN)
        .header("Idempotency-Key", "k".repeat(201))
        .json(&valid())
        .send()
        .await
        .expect("post");
    rejected(r, 400, "bad_idempotency_key", "an overlong Idempotency-Key").await;
}

pub async fn check_lookups(http: &Client, api: &str) {
    let url = format!("{api}/v1/citizen-lookups");
    let valid = json!({"actor": "MCB-1", "unit": "000.01.30.H43", "procedure_code": "1.004227",
        "full_name": "Trần Thị Bích Ngọc", "id_number": "025190000123", "birth_date": "20/04/1990"});
    let send = |body: String, ctype: &str, token: bool| {
        let mut req = http.post(&url).header("content-type", ctype).body(body);
        if token {
            req = req.bearer_auth(PORTAL_TOKEN);
        }
        req.send()
    };
    let json_ct = "application/json";
    let r = send("{".into(), json_ct, false).await.expect("post");
    assert_eq!(r.status(), 401, "the token is checked before the body");
    let r = send(valid.to_string(), "text/plain", true)
        .await
        .expect("post");
    rejected(r, 415, "unsupported_media_type", "lookup as text").await;
    let r = send("{\"actor\": ".into(), json_ct, true)
        .await
        .expect("post");
    rejected(r, 400, "malformed_json", "lookup of broken JSON").await;
    let big = json!({"actor": "MCB-1", "full_name": "a".repeat(MAX_BODY)});
    let r = send(big.to_string(), json_ct, true).await.expect("post");
    rejected(r, 413, "body_too_large", "lookup over the limit").await;
    let mut typo = valid.clone();
    typo["idnumber"] = json!("025190000123");
    let r = send(typo.to_string(), json_ct, true).await.expect("post");
    let answer = rejected(r, 422, "invalid_fields", "lookup with an unknown field").await;
    assert_eq!(
        field_codes(&answer),
        vec![("idnumber".to_owned(), "unknown_field".to_owned())]
    );
    let mut actor = valid.clone();
    actor["actor"] = json!("MCB-1'; DROP TABLE lookup_audit;--");
    let r = send(actor.to_string(), json_ct, true).await.expect("post");
    let answer = rejected(
        r,
        422,
        "invalid_fields",
        "lookup by an invalid officer code",
    )
    .await;
    assert_eq!(
        field_codes(&answer),
        vec![("actor".to_owned(), "invalid_actor".to_owned())]
    );
    let r = send("[]".into(), json_ct, true).await.expect("post");
    rejected(r, 422, "invalid_fields", "lookup body not an object").await;
}

pub async fn check_progress_reads(http: &Client, api: &str) {
    let r = http
        .get(format!("{api}/v1/dossiers/not-a-uuid"))
        .bearer_auth(PORTAL_TOKEN)
        .send()
        .await
        .expect("get");
    rejected(r, 404, "not_found", "a dossier id that is no UUID").await;
    let r = http
        .get(format!(
            "{api}/v1/dossiers/by-code/%27%3B%20DROP%20TABLE%20dossier%3B--"
        ))
        .header("X-Ownership-Proof", "2387")
        .send()
        .await
        .expect("get");
    rejected(r, 404, "not_found", "a hostile dossier code").await;
}
