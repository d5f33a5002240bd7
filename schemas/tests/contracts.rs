//! Contract tests: every sample validates against its JSON Schema, round-trips through
//! its Rust type unchanged, and the schema and the type reject the same broken records.

use std::path::PathBuf;

use dossierflow_schemas::{
    EnrichedV1, Envelope, Event, NotificationV1, OverdueV1, RoutedV1, StatusV1, SubmittedV1,
    TriageV1, VerifiedV1, topics,
};
use serde_json::Value;

fn load(dir: &str, name: &str) -> Value {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join(dir)
        .join(name);
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path:?}: {e}"));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{path:?}: {e}"))
}

fn validator<T: Event>() -> jsonschema::Validator {
    let schema = load("json", &format!("{}.schema.json", T::TYPE));
    jsonschema::validator_for(&schema).expect("schema compiles")
}

fn check<T: Event + std::fmt::Debug>() {
    let validator = validator::<T>();
    let sample = load("samples", &format!("{}.json", T::TYPE));
    let errors: Vec<String> = validator
        .iter_errors(&sample)
        .map(|e| e.to_string())
        .collect();
    assert!(errors.is_empty(), "{} sample invalid: {errors:?}", T::TYPE);

    let typed: T = serde_json::from_value(sample.clone()).expect("sample decodes");
    let back = serde_json::to_value(&typed).expect("encodes");
    assert_eq!(back, sample, "{} does not round-trip", T::TYPE);
    assert!(validator.is_valid(&back));

    // Both the schema and the type must refuse an unknown field and a missing `dossier_id`.
    let mut extra = sample.clone();
    extra["unexpected"] = Value::Bool(true);
    assert!(
        !validator.is_valid(&extra),
        "{} schema accepts unknown field",
        T::TYPE
    );
    assert!(serde_json::from_value::<T>(extra).is_err());
    let mut missing = sample;
    missing
        .as_object_mut()
        .expect("object")
        .remove("dossier_id");
    assert!(!validator.is_valid(&missing));
    assert!(serde_json::from_value::<T>(missing).is_err());
}

#[test]
fn every_event_has_a_schema_and_a_sample_that_agree() {
    check::<SubmittedV1>();
    check::<VerifiedV1>();
    check::<EnrichedV1>();
    check::<RoutedV1>();
    check::<TriageV1>();
    check::<StatusV1>();
    check::<NotificationV1>();
    check::<OverdueV1>();
}

#[test]
fn every_schema_file_belongs_to_a_topic() {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("json");
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .expect("json dir")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    for name in &names {
        let ty = name.trim_end_matches(".schema.json");
        assert!(topics::ALL.contains(&ty), "{name} has no topic");
    }
    assert_eq!(
        names.len(),
        topics::ALL.len() - 1,
        "every topic but the DLQ has a schema"
    );
}

#[test]
fn envelope_round_trips_through_binary_mode_headers() {
    let data: StatusV1 =
        serde_json::from_value(load("samples", "dossier.status.v1.json")).expect("sample decodes");
    let event = Envelope::new("/dossierflow/test", data);
    let headers = event.headers();
    let names: Vec<&str> = headers.iter().map(|(n, _)| *n).collect();
    for required in [
        "ce_id",
        "ce_type",
        "ce_source",
        "ce_time",
        "ce_specversion",
        "content-type",
    ] {
        assert!(names.contains(&required), "missing {required}");
    }
    let value = event.value();
    let decoded =
        Envelope::<StatusV1>::decode(headers.iter().map(|(n, v)| (*n, v.as_bytes())), &value)
            .expect("decodes");
    assert_eq!(decoded.id, event.id);
    assert_eq!(decoded.data, event.data);
    assert_eq!(event.key(), event.data.dossier_id.to_string());

    // The same record read as another type is a wrong-type error, not a silent decode.
    let wrong =
        Envelope::<RoutedV1>::decode(headers.iter().map(|(n, v)| (*n, v.as_bytes())), &value);
    assert!(matches!(
        wrong,
        Err(dossierflow_schemas::DecodeError::WrongType { .. })
    ));
}

#[test]
fn decode_errors_never_echo_the_payload() {
    let mut sample = load("samples", "dossier.submitted.v1.json");
    sample["applicant"]["id_number"] = Value::from(25190012387_u64);
    let event = Envelope::new(
        "/t",
        serde_json::from_value::<StatusV1>(load("samples", "dossier.status.v1.json")).expect("ok"),
    );
    let mut headers = event.headers();
    headers.retain(|(n, _)| *n != "ce_type");
    headers.push(("ce_type", SubmittedV1::TYPE.to_owned()));
    let bytes = serde_json::to_vec(&sample).expect("json");
    let err =
        Envelope::<SubmittedV1>::decode(headers.iter().map(|(n, v)| (*n, v.as_bytes())), &bytes)
            .expect_err("a number is not an id string");
    let text = err.to_string();
    assert!(!text.contains("25190012387"), "error leaks the id: {text}");
    assert!(!text.contains("Châu"), "error leaks the name: {text}");
}

#[test]
fn the_history_form_of_a_submission_keeps_no_personal_data() {
    let sample = load("samples", "dossier.submitted.v1.json");
    let s: SubmittedV1 = serde_json::from_value(sample.clone()).expect("sample decodes");
    let history = s.history().to_string();
    for value in ["id_number", "full_name", "birth_date", "phone", "email"] {
        let v = sample["applicant"][value].as_str().expect("sample has it");
        assert!(!history.contains(v), "history keeps {value}: {history}");
    }
    assert!(
        history.contains("0251******87"),
        "masked id kept: {history}"
    );
    // Events without personal data keep their full payload.
    let status: StatusV1 =
        serde_json::from_value(load("samples", "dossier.status.v1.json")).expect("ok");
    assert_eq!(
        status.history(),
        serde_json::to_value(&status).expect("json")
    );
}
