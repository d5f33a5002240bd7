//! Unit tests of the replay fold and diff.

use serde_json::json;

use super::*;

const D: &str = "0193a1b2-0000-7000-8000-000000000001";
const AGENCY: &str = "000.00.92.H55";
const CODE: &str = "000.00.92.H55-261127-0001";

fn ev(ty: &str, payload: serde_json::Value) -> (String, serde_json::Value) {
    (ty.to_owned(), payload)
}

fn submitted() -> (String, serde_json::Value) {
    // The history's redacted form, which does not decode as `SubmittedV1`.
    ev(
        "dossier.submitted.v1",
        json!({"dossier_id": D, "procedure_code": "1.001193", "submitted_at": "2026-11-27T07:00:00Z",
               "applicant": {"id_number_masked": "0251******87", "has_phone": false, "has_email": false},
               "receiving_unit": null}),
    )
}

fn status(code: u8, name: &str, due: Option<&str>) -> (String, serde_json::Value) {
    let mut p = json!({"dossier_id": D, "status_code": code, "status": name,
                       "changed_at": "2026-11-27T08:00:00Z"});
    if let Some(due) = due {
        p["due_at"] = json!(due);
    }
    ev("dossier.status.v1", p)
}

fn verified(outcome: &str) -> (String, serde_json::Value) {
    ev(
        "dossier.verified.v1",
        json!({"dossier_id": D, "outcome": outcome, "mismatched_fields": [], "request_id": "x-1",
               "verified_at": "2026-11-27T07:00:01Z"}),
    )
}

fn routed() -> (String, serde_json::Value) {
    ev(
        "dossier.routed.v1",
        json!({"dossier_id": D, "dossier_code": CODE, "agency_id": AGENCY, "procedure_code": "1.001193",
               "received_at": "2026-11-27T07:00:02.123456789Z", "due_at": "2026-12-04T07:00:02.123456789Z"}),
    )
}

fn t(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s)
        .expect("time")
        .with_timezone(&Utc)
}

fn routed_state() -> DossierState {
    DossierState {
        status: 2,
        stage: "routed".into(),
        verification: Some("verified".into()),
        dossier_code: Some(CODE.into()),
        agency_id: Some(AGENCY.into()),
        received_at: Some(t("2026-11-27T07:00:02.123456Z")),
        due_at: Some(t("2026-12-04T07:00:02.123456Z")),
        overdue_at: None,
    }
}

#[test]
fn a_routed_dossier_replays_like_the_stages_wrote_it() {
    let history = vec![
        submitted(),
        status(1, "submitted", None),
        verified("verified"),
        ev("dossier.enriched.v1", json!({"dossier_id": D})),
        routed(),
        status(2, "received", Some("2026-12-04T07:00:02.123456789Z")),
        ev("notification.requested.v1", json!({"anything": 1})),
    ];
    assert_eq!(fold(&history), Ok(Some(routed_state())));
}

#[test]
fn refusal_triage_agency_updates_and_overdue() {
    let refused = fold(&[
        submitted(),
        status(1, "submitted", None),
        verified("not_found"),
        status(3, "refused", None),
    ])
    .expect("folds")
    .expect("state");
    assert_eq!((refused.status, refused.stage.as_str()), (3, "refused"));
    assert_eq!(refused.verification.as_deref(), Some("not_found"));

    let triage = fold(&[
        submitted(),
        verified("verified"),
        ev("dossier.triage.v1", json!({})),
    ])
    .expect("folds")
    .expect("state");
    assert_eq!((triage.status, triage.stage.as_str()), (1, "triage"));

    let mut later = vec![submitted(), verified("verified"), routed()];
    later.push(status(
        5,
        "supplement_requested",
        Some("2026-12-04T07:00:02Z"),
    ));
    later.push(status(4, "processing", Some("2026-12-09T07:00:02Z")));
    later.push(ev(
        "dossier.overdue.v1",
        json!({"dossier_id": D, "dossier_code": CODE, "agency_id": AGENCY,
               "due_at": "2026-12-09T07:00:02Z", "detected_at": "2026-12-09T08:00:00.0000019Z"}),
    ));
    later.push(status(4, "processing", Some("2026-12-09T07:00:02Z")));
    let s = fold(&later).expect("folds").expect("state");
    assert_eq!(s.status, 4);
    assert_eq!(s.due_at, Some(t("2026-12-09T07:00:02Z")));
    assert_eq!(s.overdue_at, Some(t("2026-12-09T08:00:00.000001Z")));
    assert_eq!(s.stage, "routed");
}

#[test]
fn histories_without_state_events_are_not_replayable() {
    assert_eq!(fold(&[]), Ok(None));
    let only = [ev("notification.requested.v1", json!({}))];
    assert_eq!(fold(&only), Ok(None));
}

#[test]
fn an_undecodable_event_is_named_without_its_values() {
    let bad = ev(
        "dossier.routed.v1",
        json!({"dossier_id": D, "dossier_code": 12}),
    );
    let err = fold(&[submitted(), bad]).expect_err("fails");
    assert_eq!((err.index, err.ty.as_str()), (1, "dossier.routed.v1"));
    assert!(!err.to_string().contains("12"), "{err}");
}

#[test]
fn diff_lists_exactly_the_corrupted_fields() {
    let replayed = routed_state();
    assert!(diff(&replayed, &replayed).is_empty());
    let mut stored = replayed.clone();
    stored.status = 7;
    stored.dossier_code = Some("CORRUPT".into());
    // Stored with nanoseconds that PostgreSQL would not keep: not a difference.
    stored.due_at = Some(t("2026-12-04T07:00:02.123456999Z"));
    let d = diff(&stored, &replayed);
    assert_eq!(
        d,
        vec![
            Difference {
                field: "status",
                stored: "7 (withdrawn)".into(),
                replayed: "2 (received)".into(),
            },
            Difference {
                field: "dossier_code",
                stored: "CORRUPT".into(),
                replayed: CODE.into(),
            },
        ]
    );
}
