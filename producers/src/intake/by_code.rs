//! `GET /v1/dossiers/by-code/{code}`: a citizen follows a dossier by its code.
//!
//! The `X-Ownership-Proof` header must be the contact phone (any accepted form) or the
//! last 4 digits of the applicant's ID. A wrong proof answers exactly like an unknown
//! code (`404`, same body), so the endpoint does not reveal which codes exist. Attempts
//! per code are rate limited (the officer quota, keyed by code) against guessing the 4
//! digits. The answer carries no personal data and no event payloads.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};
use dossierflow_domain::{PhoneNumber, Status};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use super::IntakeState;
use super::agency_auth::digests_equal;
use super::api::error;
use super::pull::unavailable;

/// One entry of a dossier's history.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct HistoryEntry {
    /// Event type, e.g. `dossier.status.v1`.
    pub r#type: String,
    /// When it happened.
    pub occurred_at: DateTime<Utc>,
}

/// A dossier as its citizen sees it.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct CitizenDossierView {
    /// Dossier code.
    pub dossier_code: String,
    /// National status code.
    pub status_code: i16,
    /// Official status name (Vietnamese).
    pub status_name: String,
    /// Status (snake_case).
    pub status: String,
    /// Pipeline stage.
    pub stage: String,
    /// Due date.
    pub due_at: Option<DateTime<Utc>>,
    /// Event types and times, oldest first.
    pub history: Vec<HistoryEntry>,
}

/// Whether `proof` matches the stored phone or last 4 ID digits.
pub fn proof_matches(proof: &str, phone: Option<&str>, last4: Option<&str>) -> bool {
    let proof = proof.trim();
    if proof.len() == 4 && proof.bytes().all(|b| b.is_ascii_digit()) {
        return last4.is_some_and(|l| digests_equal(l, proof));
    }
    match (PhoneNumber::parse(proof), phone.map(PhoneNumber::parse)) {
        (Ok(given), Some(Ok(stored))) => digests_equal(given.as_str(), stored.as_str()),
        _ => false,
    }
}

fn not_found() -> Response {
    error(
        StatusCode::NOT_FOUND,
        "not_found",
        "no such dossier",
        vec![],
    )
}

type Row = (
    Uuid,
    i16,
    String,
    Option<DateTime<Utc>>,
    Option<String>,
    Option<String>,
);

/// A dossier's status and history, for its citizen.
#[utoipa::path(get, path = "/v1/dossiers/by-code/{code}",
    params(("code" = String, Path, description = "Dossier code"),
        ("X-Ownership-Proof" = String, Header, description = "Contact phone or last 4 ID digits")),
    responses(
        (status = 200, body = CitizenDossierView),
        (status = 404, description = "Unknown code or wrong proof (indistinguishable)", body = super::ErrorBody),
        (status = 429, description = "Too many attempts for this code", body = super::ErrorBody),
    ))]
pub async fn by_code(
    State(state): State<IntakeState>,
    Path(code): Path<String>,
    headers: HeaderMap,
) -> Response {
    let Some(proof) = headers
        .get("x-ownership-proof")
        .and_then(|v| v.to_str().ok())
    else {
        return not_found();
    };
    if let Err(wait) = state.officer_limit.check(&format!("by-code/{code}")) {
        return error(
            StatusCode::TOO_MANY_REQUESTS,
            "rate_limited",
            format!("too many attempts; retry in {} s", wait.as_secs().max(1)),
            vec![],
        );
    }
    let row: Option<Row> = match sqlx::query_as(
        "SELECT id, status, stage, due_at, contact->>'phone', applicant_id_last4
         FROM dossier WHERE dossier_code = $1",
    )
    .bind(&code)
    .fetch_optional(state.pool())
    .await
    {
        Ok(r) => r,
        Err(e) => return unavailable(&e),
    };
    let Some((id, status_code, stage, due_at, phone, last4)) = row else {
        return not_found();
    };
    if !proof_matches(proof, phone.as_deref(), last4.as_deref()) {
        return not_found();
    }
    let history: Vec<(String, DateTime<Utc>)> = match sqlx::query_as(
        "SELECT type, occurred_at FROM dossier_event WHERE dossier_id = $1 ORDER BY seq",
    )
    .bind(id)
    .fetch_all(state.pool())
    .await
    {
        Ok(h) => h,
        Err(e) => return unavailable(&e),
    };
    let status = u8::try_from(status_code).ok().and_then(Status::from_code);
    Json(CitizenDossierView {
        dossier_code: code,
        status_code,
        status_name: status.map(|s| s.name_vi().to_owned()).unwrap_or_default(),
        status: status.map(|s| s.as_str().to_owned()).unwrap_or_default(),
        stage,
        due_at,
        history: history
            .into_iter()
            .map(|(r#type, occurred_at)| HistoryEntry {
                r#type,
                occurred_at,
            })
            .collect(),
    })
    .into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn proofs() {
        let (phone, last4) = (Some("0912345678"), Some("2387"));
        assert!(proof_matches("2387", phone, last4));
        assert!(proof_matches("+84 912 345 678", phone, last4));
        assert!(proof_matches("0912.345.678", phone, last4));
        assert!(!proof_matches("2388", phone, last4));
        assert!(!proof_matches("0912345679", phone, last4));
        assert!(!proof_matches("2387", phone, None), "no stored digits");
        assert!(!proof_matches("0912345678", None, last4), "no stored phone");
        assert!(!proof_matches("", phone, last4));
    }
}
