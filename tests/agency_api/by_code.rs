//! The citizen lookup by dossier code: right proofs answer, wrong ones look unknown.

use reqwest::{Client, StatusCode};
use serde_json::Value;

pub async fn check_by_code(http: &Client, api: &str, code: &str, body: &Value) {
    let get = |code: String, proof: Option<String>| {
        let mut req = http.get(format!("{api}/v1/dossiers/by-code/{code}"));
        if let Some(p) = proof {
            req = req.header("X-Ownership-Proof", p);
        }
        req.send()
    };
    let id = body["applicant"]["id_number"].as_str().expect("id");
    let last4 = id[id.len() - 4..].to_owned();
    let r = get(code.to_owned(), Some(last4.clone()))
        .await
        .expect("get");
    assert_eq!(r.status(), StatusCode::OK);
    let view: Value = r.json().await.expect("json");
    assert_eq!(view["status_code"], 4);
    assert_eq!(view["status"], "processing");
    let history = view["history"].as_array().expect("history");
    assert!(
        history
            .iter()
            .all(|h| h.as_object().expect("entry").len() == 2),
        "types and times only"
    );
    assert!(!view.to_string().contains(id), "no ID in the answer");
    if let Some(phone) = body["applicant"]["phone"].as_str() {
        let intl = format!("+84{}", &phone[1..]);
        assert_eq!(
            get(code.to_owned(), Some(intl))
                .await
                .expect("get")
                .status(),
            StatusCode::OK
        );
    }
    let wrong = format!(
        "{:04}",
        (last4.parse::<u32>().expect("digits") + 1) % 10_000
    );
    let r = get(code.to_owned(), Some(wrong)).await.expect("get");
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    let wrong_body = r.text().await.expect("body");
    let r = get("000.00.00.Z99-260101-0001".into(), Some(last4))
        .await
        .expect("get");
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    assert_eq!(
        r.text().await.expect("body"),
        wrong_body,
        "a wrong proof looks like an unknown code"
    );
    assert_eq!(
        get(code.to_owned(), None).await.expect("get").status(),
        StatusCode::NOT_FOUND
    );
}
