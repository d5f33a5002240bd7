//! Redaction for `dlq show`: a dead-lettered payload is printed without personal data.
//!
//! A `dossier.submitted.v1` payload carries the applicant's `full_name`, `id_number`,
//! `birth_date`, `phone` and `email`. Those keys are masked wherever they appear in a
//! JSON payload (whatever its declared type, since a dead letter may be mislabelled):
//! the ID by [`NationalId::masked`] when it parses, the name as initials, the date of
//! birth as its year, phone and e-mail by their domain types' `masked()`; anything that
//! does not parse becomes `***`. Other JSON is printed as is. A payload that is not JSON
//! is shown only as its length and a hex preview of at most [`HEX_PREVIEW`] bytes.

use dossierflow_domain::{BirthDate, Email, NationalId, PhoneNumber};
use serde_json::Value;

/// Bytes of a non-JSON payload shown in hex.
pub const HEX_PREVIEW: usize = 32;

/// What replaces a personal value that cannot be masked more precisely.
const HIDDEN: &str = "***";

/// The masked form of one personal field, or `None` when `key` is not personal.
fn mask_field(key: &str, value: &Value) -> Option<Value> {
    let masked = |text: Option<String>| Some(Value::String(text.unwrap_or(HIDDEN.into())));
    let s = value.as_str();
    match key {
        "id_number" => masked(
            s.and_then(|s| NationalId::parse(s).ok())
                .map(|id| id.masked()),
        ),
        "full_name" => masked(s.and_then(initials)),
        "birth_date" => masked(
            s.and_then(|s| BirthDate::parse(s).ok())
                .map(|b| b.year().to_string()),
        ),
        "phone" => masked(
            s.and_then(|s| PhoneNumber::parse(s).ok())
                .map(|p| p.masked()),
        ),
        "email" => masked(s.and_then(|s| Email::parse(s).ok()).map(|e| e.masked())),
        _ => None,
    }
}

/// `Nguyễn Văn An` → `N. V. A.`; `None` when there is no letter.
fn initials(name: &str) -> Option<String> {
    let parts: Vec<String> = name
        .split_whitespace()
        .filter_map(|w| w.chars().find(|c| c.is_alphabetic()))
        .map(|c| format!("{}.", c.to_uppercase()))
        .collect();
    (!parts.is_empty()).then(|| parts.join(" "))
}

/// `value` with every personal field masked (nulls stay null), recursively.
pub fn redact_json(value: &Value) -> Value {
    match value {
        Value::Object(map) => Value::Object(
            map.iter()
                .map(|(k, v)| {
                    let masked = if v.is_null() { None } else { mask_field(k, v) };
                    (k.clone(), masked.unwrap_or_else(|| redact_json(v)))
                })
                .collect(),
        ),
        Value::Array(items) => Value::Array(items.iter().map(redact_json).collect()),
        other => other.clone(),
    }
}

/// Space-separated hex of the first [`HEX_PREVIEW`] bytes, `…` when there are more.
pub fn hex_preview(bytes: &[u8]) -> String {
    let shown: Vec<String> = bytes
        .iter()
        .take(HEX_PREVIEW)
        .map(|b| format!("{b:02x}"))
        .collect();
    let more = if bytes.len() > HEX_PREVIEW {
        " …"
    } else {
        ""
    };
    format!("{}{more}", shown.join(" "))
}

/// The payload as `dlq show` prints it: redacted, pretty JSON, or length and hex preview.
pub fn render_payload(payload: Option<&[u8]>) -> String {
    match payload {
        None => "(no payload)".into(),
        Some(bytes) => match serde_json::from_slice::<Value>(bytes) {
            Ok(v) => serde_json::to_string_pretty(&redact_json(&v))
                .unwrap_or_else(|_| "(unprintable JSON)".into()),
            Err(_) => format!(
                "not JSON, {} bytes; first {} in hex: {}",
                bytes.len(),
                bytes.len().min(HEX_PREVIEW),
                hex_preview(bytes)
            ),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ID: &str = "025190004587";
    const NAME: &str = "Nguyễn Thị Plantedname";
    const PHONE: &str = "0912345678";
    const EMAIL: &str = "planted.person@example.vn";
    const BIRTH: &str = "15/04/1990";

    fn submitted(id: &str) -> Vec<u8> {
        serde_json::json!({
            "dossier_id": "0193a1b2-0000-7000-8000-000000000001",
            "procedure_code": "1.001193",
            "submitted_at": "2026-11-27T07:00:00Z",
            "applicant": {"full_name": NAME, "id_number": id, "birth_date": BIRTH,
                          "phone": PHONE, "email": EMAIL},
            "receiving_unit": null
        })
        .to_string()
        .into_bytes()
    }

    #[test]
    fn no_raw_personal_value_survives() {
        let out = render_payload(Some(&submitted(ID)));
        for raw in [
            ID,
            "Plantedname",
            "Nguyễn",
            PHONE,
            EMAIL,
            "planted.person",
            BIRTH,
            "15/04",
        ] {
            assert!(!out.contains(raw), "{raw} leaked in {out}");
        }
        let v: Value = serde_json::from_str(&out).expect("still JSON");
        let a = &v["applicant"];
        assert_eq!(a["id_number"], "0251******87");
        assert_eq!(a["full_name"], "N. T. P.");
        assert_eq!(a["birth_date"], "1990");
        assert_eq!(a["phone"], "091****678");
        assert_eq!(a["email"], "p***@example.vn");
        assert_eq!(v["procedure_code"], "1.001193", "other fields as is");
        assert_eq!(v["receiving_unit"], Value::Null);
    }

    #[test]
    fn values_that_do_not_parse_are_hidden_entirely() {
        let v = serde_json::json!({"applicant": {
            "id_number": "0251900045", "full_name": "", "birth_date": "31/02/1990",
            "phone": "12345", "email": "not-an-address", "extra": {"id_number": 251900045}
        }});
        let out = redact_json(&v);
        let a = &out["applicant"];
        for field in ["id_number", "full_name", "birth_date", "phone", "email"] {
            assert_eq!(a[field], "***", "{field}");
        }
        assert_eq!(
            a["extra"]["id_number"], "***",
            "nested and non-string values too"
        );
        assert!(!out.to_string().contains("0251900045"));
    }

    #[test]
    fn non_json_payloads_show_length_and_a_short_hex_preview() {
        let out = render_payload(Some(b"{not json"));
        assert_eq!(
            out,
            "not JSON, 9 bytes; first 9 in hex: 7b 6e 6f 74 20 6a 73 6f 6e"
        );
        let long = vec![0xabu8; 100];
        let out = render_payload(Some(&long));
        assert!(
            out.starts_with("not JSON, 100 bytes; first 32 in hex: ab ab"),
            "{out}"
        );
        assert_eq!(out.matches("ab").count(), 32);
        assert!(out.ends_with('…'));
        assert_eq!(render_payload(None), "(no payload)");
    }

    #[test]
    fn initials_take_the_first_letter_of_each_word() {
        assert_eq!(initials("  lê   văn tám "), Some("L. V. T.".into()));
        assert_eq!(initials("Đặng Thị Ánh"), Some("Đ. T. Á.".into()));
        assert_eq!(initials("  "), None);
    }
}
