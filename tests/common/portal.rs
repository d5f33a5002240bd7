//! The portal's side of the system tests: submitting a dossier as the portal does.

use serde_json::json;
use uuid::Uuid;

/// The applicant's name and birth date on every dossier [`submit`] sends.
pub const APPLICANT_NAME: &str = "Trần Thị Bích Ngọc";

/// Submits a dossier of procedure 1.001193 for an applicant with `id_number` through the
/// portal API at `api`, asserts that it is accepted (202) and returns its id.
pub async fn submit(api: &str, id_number: &str) -> Uuid {
    let body = json!({
        "procedure_code": "1.001193",
        "applicant": {"full_name": APPLICANT_NAME, "id_number": id_number,
                      "birth_date": "20/04/1990", "phone": "0912345678"}
    });
    let answer = reqwest::Client::new()
        .post(format!("{api}/v1/dossiers"))
        .bearer_auth(super::PORTAL_TOKEN)
        .json(&body)
        .send()
        .await
        .expect("post");
    assert_eq!(answer.status(), 202, "the dossier is accepted");
    let accepted: serde_json::Value = answer.json().await.expect("json");
    accepted["dossier_id"]
        .as_str()
        .and_then(|s| s.parse().ok())
        .expect("dossier id")
}
