//! Table tests of intake parsing.
use super::*;
use serde_json::json;

fn codes(body: Value) -> Vec<(String, &'static str)> {
    let catalog = Catalog::embedded().expect("catalogue");
    match parse(&body, &catalog) {
        Ok(_) => vec![],
        Err(errors) => errors.into_iter().map(|e| (e.field, e.code)).collect(),
    }
}

fn valid() -> Value {
    let catalog = Catalog::embedded().expect("catalogue");
    json!({
        "procedure_code": catalog.procedures()[0].code.as_str(),
        "applicant": {"full_name": "Nguyễn Văn An", "id_number": "025090000123", "birth_date": "20/04/1990", "phone": "0912345678"}
    })
}

#[test]
fn a_valid_body_parses() {
    assert_eq!(codes(valid()), vec![]);
}

#[test]
fn every_bad_field_is_reported_at_once() {
    let mut body = valid();
    body["applicant"]["id_number"] = json!("12345");
    body["applicant"]["birth_date"] = json!("31/02/1990");
    body["applicant"]["phone"] = json!("12");
    body["applicant"]["full_name"] = json!(42);
    body["colour"] = json!("blue");
    let got = codes(body);
    for want in [
        ("applicant.id_number", "invalid_id"),
        ("applicant.birth_date", "invalid_birth_date"),
        ("applicant.phone", "invalid_phone"),
        ("applicant.full_name", "not_a_string"),
        ("colour", "unknown_field"),
    ] {
        assert!(
            got.contains(&(want.0.to_owned(), want.1)),
            "{want:?} missing from {got:?}"
        );
    }
}

#[test]
fn missing_fields_are_named() {
    let got = codes(json!({"applicant": {}}));
    for field in [
        "procedure_code",
        "applicant.full_name",
        "applicant.id_number",
        "applicant.birth_date",
    ] {
        assert!(
            got.contains(&(field.to_owned(), "missing")),
            "{field} missing from {got:?}"
        );
    }
    assert_eq!(
        codes(json!({"procedure_code": "1.001193"}))
            .iter()
            .filter(|(_, c)| *c == "missing")
            .count(),
        1
    );
}

#[test]
fn unknown_procedures_and_inconsistent_ids_are_rejected() {
    let mut body = valid();
    body["procedure_code"] = json!("9.999999");
    assert_eq!(
        codes(body),
        vec![("procedure_code".to_owned(), "unknown_procedure")]
    );
    let mut body = valid();
    body["applicant"]["birth_date"] = json!("20/04/1991"); // the CCCD says 1990
    assert_eq!(
        codes(body),
        vec![("applicant.id_number".to_owned(), "id_birth_mismatch")]
    );
}

/// `valid()` with `notify_channels` set and the phone / e-mail present or not.
fn with_channels(channels: Value, phone: bool, email: bool) -> Value {
    let mut body = valid();
    let applicant = &mut body["applicant"];
    applicant["notify_channels"] = channels;
    if !phone {
        applicant["phone"] = Value::Null;
    }
    if email {
        applicant["email"] = json!("congdan@example.vn");
    }
    body
}

/// One rule: the channels, whether a phone / an e-mail is given, the expected codes.
type Case = (Value, bool, bool, &'static [&'static str]);

#[test]
fn notify_channels_rules() {
    let table: [Case; 14] = [
        (Value::Null, false, false, &[]),
        (json!([]), false, false, &[]),
        (json!(["sms"]), true, false, &[]),
        (json!(["sms", "zalo", "email"]), true, true, &[]),
        (json!(["email"]), false, true, &[]),
        (json!(["fax"]), true, true, &["unknown_channel"]),
        (json!(["SMS"]), true, true, &["unknown_channel"]),
        (json!([7]), true, true, &["unknown_channel"]),
        (json!("sms"), true, true, &["not_an_array"]),
        (json!(["sms", "sms"]), true, true, &["duplicate_channel"]),
        (json!(["sms"]), false, true, &["channel_needs_phone"]),
        (json!(["zalo"]), false, true, &["channel_needs_phone"]),
        (json!(["email"]), true, false, &["channel_needs_email"]),
        (
            json!(["sms", "zalo", "email", "fax"]),
            true,
            true,
            &["too_many_channels", "unknown_channel"],
        ),
    ];
    for (channels, phone, email, want) in table {
        let got = codes(with_channels(channels.clone(), phone, email));
        let want: Vec<(String, &str)> = want
            .iter()
            .map(|&c| ("applicant.notify_channels".to_owned(), c))
            .collect();
        assert_eq!(got, want, "{channels} phone={phone} email={email}");
    }
}

#[test]
fn notify_channels_are_parsed_in_order_and_absent_means_default() {
    let catalog = Catalog::embedded().expect("catalogue");
    let parsed = |body| parse(&body, &catalog).expect("valid");
    assert_eq!(parsed(valid()).notify_channels, None);
    let body = with_channels(json!(["zalo", "email", "sms"]), true, true);
    assert_eq!(
        parsed(body).notify_channels,
        Some(vec![
            NotifyChannel::Zalo,
            NotifyChannel::Email,
            NotifyChannel::Sms
        ])
    );
    let body = with_channels(json!([]), true, true);
    assert_eq!(parsed(body).notify_channels, Some(vec![]));
    // Stored in the dossier's contact as the wire names.
    let stored = serde_json::to_value([NotifyChannel::Sms, NotifyChannel::Zalo]);
    assert_eq!(stored.expect("serialises"), json!(["sms", "zalo"]));
}

#[test]
fn channel_errors_have_vietnamese_messages() {
    for code in [
        "unknown_channel",
        "duplicate_channel",
        "channel_needs_phone",
        "channel_needs_email",
        "too_many_channels",
        "not_an_array",
    ] {
        assert_ne!(vi_message(code), vi_message("?"), "{code}");
    }
}
