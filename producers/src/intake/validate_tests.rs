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
