//! Unit tests of the dead-letter record id, filters and list rendering.

use super::*;

fn record(stage: &str, reason: &str, failed_at: Option<&str>) -> DlqRecord {
    let mut headers = vec![
        ("ce_type".to_owned(), Some(b"dossier.status.v1".to_vec())),
        (
            "dlq_original_topic".to_owned(),
            Some(b"t.dossier.status.v1".to_vec()),
        ),
        ("dlq_original_partition".to_owned(), Some(b"1".to_vec())),
        ("dlq_original_offset".to_owned(), Some(b"42".to_vec())),
        ("dlq_stage".to_owned(), Some(stage.as_bytes().to_vec())),
        (
            "dlq_error_class".to_owned(),
            Some(reason.as_bytes().to_vec()),
        ),
        ("dlq_attempts".to_owned(), Some(b"1".to_vec())),
    ];
    if let Some(t) = failed_at {
        headers.push(("dlq_failed_at".to_owned(), Some(t.as_bytes().to_vec())));
    }
    DlqRecord {
        id: RecordId {
            partition: 2,
            offset: 17,
        },
        key: Some(b"0193a1b2-0000-7000-8000-000000000001".to_vec()),
        headers,
        payload: Some(b"{}".to_vec()),
    }
}

fn t(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s)
        .expect("time")
        .with_timezone(&Utc)
}

#[test]
fn record_ids_parse_and_print_as_partition_colon_offset() {
    let id: RecordId = "2:17".parse().expect("parses");
    assert_eq!(
        id,
        RecordId {
            partition: 2,
            offset: 17
        }
    );
    assert_eq!(id.to_string(), "2:17");
    assert_eq!(" 0:0 ".parse::<RecordId>().map(|r| r.offset), Ok(0));
    for bad in ["", "2", "2:", ":17", "a:1", "1:b", "-1:3", "1:-3", "1:2:3"] {
        let err = bad.parse::<RecordId>().expect_err(bad);
        assert!(err.contains("PARTITION:OFFSET"), "{err}");
    }
}

#[test]
fn instants_are_rfc3339_or_a_duration_ago() {
    let now = t("2026-11-27T12:00:00Z");
    assert_eq!(
        parse_instant("2026-11-27T07:00:00+07:00", now),
        Ok(t("2026-11-27T00:00:00Z"))
    );
    assert_eq!(parse_instant("2h", now), Ok(t("2026-11-27T10:00:00Z")));
    assert_eq!(parse_instant("90s", now), Ok(t("2026-11-27T11:58:30Z")));
    assert_eq!(parse_instant("15m", now), Ok(t("2026-11-27T11:45:00Z")));
    assert_eq!(parse_instant("1d", now), Ok(t("2026-11-26T12:00:00Z")));
    for bad in ["", "h", "2w", "yesterday", "2026-11-27", "-2h"] {
        assert!(parse_instant(bad, now).is_err(), "{bad}");
    }
}

#[test]
fn filters_match_stage_reason_and_failure_time() {
    let r = record(
        "notify",
        "unknown_dossier",
        Some("2026-11-27T10:00:00+00:00"),
    );
    assert!(Filter::default().matches(&r));
    let stage = |s: &str| Filter {
        stage: Some(s.into()),
        ..Filter::default()
    };
    assert!(stage("notify").matches(&r));
    assert!(!stage("verify").matches(&r));
    let reason = |s: &str| Filter {
        reason: Some(s.into()),
        ..Filter::default()
    };
    assert!(reason("unknown_dossier").matches(&r));
    assert!(!reason("undecodable").matches(&r));
    let window = |since: Option<&str>, until: Option<&str>| Filter {
        since: since.map(t),
        until: until.map(t),
        ..Filter::default()
    };
    assert!(
        window(Some("2026-11-27T10:00:00Z"), None).matches(&r),
        "since is inclusive"
    );
    assert!(!window(Some("2026-11-27T10:00:01Z"), None).matches(&r));
    assert!(window(None, Some("2026-11-27T10:00:01Z")).matches(&r));
    assert!(
        !window(None, Some("2026-11-27T10:00:00Z")).matches(&r),
        "until is exclusive"
    );
    let both = Filter {
        stage: Some("notify".into()),
        reason: Some("undecodable".into()),
        ..Filter::default()
    };
    assert!(!both.matches(&r), "every condition must hold");
    let undated = record("notify", "unknown_dossier", None);
    assert!(stage("notify").matches(&undated));
    assert!(!window(Some("2000-01-01T00:00:00Z"), None).matches(&undated));
}

#[test]
fn a_row_shows_id_time_stage_reason_attempts_origin_type_and_key() {
    let r = record(
        "notify",
        "unknown_dossier",
        Some("2026-11-27T10:00:00.123+00:00"),
    );
    let row = table_row(&r);
    assert_eq!(
        row,
        [
            "2:17",
            "2026-11-27T10:00:00Z",
            "notify",
            "unknown_dossier",
            "1",
            "t.dossier.status.v1[1]@42",
            "dossier.status.v1",
            "0193a1b2-0000-7000-8000-000000000001",
        ]
        .map(str::to_owned)
    );
    let table = render_table(&[row]);
    let lines: Vec<&str> = table.lines().collect();
    assert_eq!(lines.len(), 2);
    assert!(lines[0].starts_with("ID    FAILED AT"), "{table}");
    let json = json_line(&r);
    assert_eq!(json["id"], "2:17");
    assert_eq!(json["dlq_stage"], "notify");
    assert_eq!(json["ce_type"], "dossier.status.v1");
    assert_eq!(json["offset"], 17);
}

#[test]
fn keys_are_printable() {
    let mut r = record("notify", "x", None);
    r.key = Some(b"a\nb\x1b".to_vec());
    assert_eq!(r.key_text(), "a?b?");
    r.key = None;
    assert_eq!(r.key_text(), "-");
}
