//! Unit tests of the status update's body checks.

use super::*;

fn body(status: &str, deadline: Option<&str>) -> StatusUpdateBody {
    StatusUpdateBody {
        status: status.into(),
        reason: Some("  ".into()),
        supplement_deadline: deadline.map(|d| d.parse().expect("date")),
        officer: " officer-7 ".into(),
    }
}

#[test]
fn agency_statuses_are_checked() {
    let u = validate(body("processing", None)).expect("valid");
    assert_eq!(u.to, Status::Processing);
    assert_eq!(u.officer, "officer-7");
    assert_eq!(u.reason, None, "blank reasons are dropped");
    assert_eq!(
        validate(body("received", None)).map(|u| u.to),
        Ok(Status::Received)
    );
    for bad in ["done", "Processing", ""] {
        assert!(validate(body(bad, None)).is_err(), "{bad}");
    }
    assert!(validate(body("supplement_requested", Some("2026-12-01"))).is_ok());
    assert!(validate(body("processing", Some("2026-12-01"))).is_err());
    let mut b = body("completed", None);
    b.officer = " ".into();
    assert!(validate(b).is_err());
}

/// The error body of a rejected update.
async fn rejection(value: serde_json::Value) -> (u16, serde_json::Value) {
    let r = parse_body(value).expect_err("rejected");
    let status = r.status().as_u16();
    let bytes = axum::body::to_bytes(r.into_body(), 1 << 16)
        .await
        .expect("body");
    (status, serde_json::from_slice(&bytes).expect("json"))
}

#[tokio::test]
async fn unknown_fields_bad_and_past_dates_are_refused() {
    let ok = serde_json::json!({"status": "processing", "officer": "CB-1"});
    assert_eq!(parse_body(ok).map(|u| u.to).ok(), Some(Status::Processing));

    let typo = serde_json::json!({"status": "processing", "officer": "CB-1", "reasn": "x"});
    let (status, body) = rejection(typo).await;
    assert_eq!(status, 422);
    assert_eq!(body["fields"][0]["field"], "reasn", "{body}");
    assert_eq!(body["fields"][0]["code"], "unknown_field");

    for bad in ["2026-02-30", "30/12/2099", "tomorrow", "2099-1-1x"] {
        let v = serde_json::json!({"status": "supplement_requested", "officer": "CB-1",
            "supplement_deadline": bad});
        let (status, body) = rejection(v).await;
        assert_eq!(status, 422, "{bad}");
        let message = body["message"].as_str().expect("message");
        assert!(message.contains("calendar date"), "{bad}: {message}");
    }
    let yesterday = (chrono::Utc::now() - chrono::Duration::days(2)).date_naive();
    let past = serde_json::json!({"status": "supplement_requested", "officer": "CB-1",
        "supplement_deadline": yesterday.to_string()});
    let (status, body) = rejection(past).await;
    assert_eq!(status, 422);
    assert!(
        body["message"].as_str().is_some_and(|m| m.contains("past")),
        "{body}"
    );
    let later = (chrono::Utc::now() + chrono::Duration::days(30)).date_naive();
    let future = serde_json::json!({"status": "supplement_requested", "officer": "CB-1",
        "supplement_deadline": later.to_string()});
    assert_eq!(
        parse_body(future).ok().and_then(|u| u.supplement_deadline),
        Some(later)
    );

    let (status, body) =
        rejection(serde_json::json!({"status": "processing", "officer": 912345678})).await;
    assert_eq!(status, 422);
    assert!(
        !body.to_string().contains("912345678"),
        "no value echoed: {body}"
    );
    let (_, body) = rejection(serde_json::json!({"status": "processing"})).await;
    assert!(
        body["message"]
            .as_str()
            .is_some_and(|m| m.contains("officer")),
        "{body}"
    );
    assert_eq!(rejection(serde_json::json!([1, 2])).await.0, 422);
}
