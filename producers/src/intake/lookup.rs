//! `POST /v1/citizen-lookups`: the portal's synchronous CSDLQG lookups — account
//! verification, prefill when filing online, and the officer's desk lookup — through the
//! same resilience layer and audit as the pipeline.
//!
//! It returns **only the fields the procedure needs**, and only when every submitted
//! detail matches. When CSDLQG is unavailable it answers at once (circuit open) or at its
//! deadline with a typed `503 csdlqg_unavailable` telling the portal to continue without
//! prefill — never a hang, never a 500.

use std::time::Duration;

use axum::Json;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use dossierflow_csdlqg::minimise::{Sensitive, minimise};
use dossierflow_csdlqg::{LookupContext, LookupError, LookupRequest, Outcome, compare};
use dossierflow_domain::{AgencyId, BirthDate, CitizenName, NationalId, ProcedureCode};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use super::IntakeState;
use super::api::error;
use super::validate::FieldError;

/// A lookup request from the portal.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LookupBody {
    /// Officer code, or `citizen-self` for the citizen's own lookup.
    pub actor: String,
    /// Agency e-identifier of the unit.
    pub unit: String,
    /// Procedure the lookup serves (the purpose): decides which fields come back.
    pub procedure_code: String,
    /// Full name as typed.
    pub full_name: String,
    /// 12-digit CCCD or 9-digit CMND.
    pub id_number: String,
    /// `DD/MM/YYYY` or the year alone.
    pub birth_date: String,
}

/// The fields of a lookup body; any other is rejected as `unknown_field`.
const FIELDS: &str = "actor unit procedure_code full_name id_number birth_date";

/// The answer: the outcome, and the procedure's fields only when verified.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct LookupAnswer {
    /// `verified`, `mismatch` or `not_found`.
    pub outcome: String,
    /// Which submitted details differ, on `mismatch`.
    pub mismatched_fields: Vec<String>,
    /// Field name → value, the procedure's fields only (empty unless verified).
    #[schema(value_type = Object)]
    pub fields: serde_json::Map<String, serde_json::Value>,
    /// Sensitive fields the procedure declares but which are not disclosed here.
    pub withheld: Vec<String>,
    /// The `MaYeuCau` base of this lookup, for support requests.
    pub request_id: String,
}

/// Verify a citizen against CSDLQG and prefill the procedure's fields.
#[utoipa::path(post, path = "/v1/citizen-lookups", request_body = LookupBody,
    params(("Authorization" = String, Header, description = "Bearer token of the portal client")),
    responses(
        (status = 200, description = "Looked up", body = LookupAnswer),
        (status = 400, description = "Malformed JSON", body = super::ErrorBody),
        (status = 401, description = "Missing or unknown portal token", body = super::ErrorBody),
        (status = 403, description = "Procedure or officer not authorised for CSDLQG", body = super::ErrorBody),
        (status = 413, description = "Body too large", body = super::ErrorBody),
        (status = 415, description = "Not application/json", body = super::ErrorBody),
        (status = 422, description = "Invalid or unknown fields, all listed", body = super::ErrorBody),
        (status = 429, description = "This officer's lookup rate is exceeded", body = super::ErrorBody),
        (status = 503, description = "CSDLQG unavailable: continue without prefill", body = super::ErrorBody),
    ))]
pub async fn citizen_lookup(
    State(state): State<IntakeState>,
    headers: HeaderMap,
    body: axum::body::Body,
) -> Response {
    let Some(client) = state.portal_auth.authenticate(&headers) else {
        return super::auth::unauthenticated();
    };
    let body = match super::body::read_json(&headers, body, state.max_body_bytes).await {
        Ok(v) => v,
        Err(rejected) => return rejected,
    };
    let Some(lookups) = state.lookups.clone() else {
        return unavailable("CSDLQG lookups are not configured on this intake", None);
    };
    let (request, procedure) = match parse(&state, body) {
        Ok(parsed) => parsed,
        Err(fields) => {
            return error(
                StatusCode::UNPROCESSABLE_ENTITY,
                "invalid_fields",
                format!("{} field(s) rejected", fields.len()),
                fields,
            );
        }
    };
    if let Err(wait) = state
        .officer_limit
        .check(&format!("{client}/{}", request.context.actor))
    {
        let secs = wait.as_secs().max(1).to_string();
        let mut r = error(
            StatusCode::TOO_MANY_REQUESTS,
            "rate_limited",
            "too many lookups by this officer; retry later",
            vec![],
        );
        if let Ok(v) = secs.parse() {
            r.headers_mut().insert("retry-after", v);
        }
        return r;
    }
    let result = tokio::time::timeout(state.lookup_deadline, lookups.lookup(&request)).await;
    let record = match result {
        Err(_) => return unavailable("CSDLQG did not answer in time", None),
        Ok(Err(LookupError::CircuitOpen { retry_in })) => {
            return unavailable("CSDLQG is unavailable", Some(retry_in));
        }
        Ok(Err(e @ LookupError::Transient { .. })) => {
            return unavailable(&e.to_string(), e.retry_after());
        }
        Ok(Err(e @ LookupError::NotAuthorised { .. })) => {
            return error(
                StatusCode::FORBIDDEN,
                "not_authorised",
                e.to_string(),
                vec![],
            );
        }
        Ok(Err(e)) => {
            return error(
                StatusCode::BAD_GATEWAY,
                "csdlqg_error",
                e.to_string(),
                vec![],
            );
        }
        Ok(Ok(record)) => record,
    };
    let outcome = compare(
        &request,
        record.as_ref(),
        dossierflow_domain::DiacriticPolicy::Strict,
    );
    let (name, mismatched) = match &outcome {
        Outcome::Verified => ("verified", vec![]),
        Outcome::NotFound => ("not_found", vec![]),
        Outcome::Mismatch(f) => (
            "mismatch",
            f.iter().map(|f| format!("{f:?}").to_lowercase()).collect(),
        ),
    };
    let (fields, withheld) = match (&outcome, &record) {
        (Outcome::Verified, Some(r)) => {
            let m = minimise(r, &procedure, &state.catalog, Sensitive::Keep);
            (m.fields, m.withheld)
        }
        _ => (serde_json::Map::new(), vec![]),
    };
    let answer = LookupAnswer {
        outcome: name.into(),
        mismatched_fields: mismatched,
        fields,
        withheld,
        request_id: request.request_id,
    };
    (StatusCode::OK, Json(answer)).into_response()
}

fn unavailable(reason: &str, retry_in: Option<Duration>) -> Response {
    let mut r = (
        StatusCode::SERVICE_UNAVAILABLE,
        Json(serde_json::json!({
            "error": "csdlqg_unavailable",
            "message": format!("{reason}: continue without prefill and verify later"),
            "continue_without_prefill": true,
        })),
    )
        .into_response();
    if let Some(v) = retry_in.and_then(|d| d.as_secs().max(1).to_string().parse().ok()) {
        r.headers_mut().insert("retry-after", v);
    }
    r
}

fn parse(
    state: &IntakeState,
    body: serde_json::Value,
) -> Result<(LookupRequest, dossierflow_domain::Procedure), Vec<FieldError>> {
    let mut errors = vec![];
    let mut bad = |field: &str, code: &'static str, message: String| {
        errors.push(FieldError {
            field: field.into(),
            code,
            message,
            message_vi: super::validate::vi_message(code),
        });
    };
    super::body::known_fields_only(&body, FIELDS)?;
    let body: LookupBody = match serde_json::from_value(body) {
        Ok(b) => b,
        Err(e) => {
            bad(
                "",
                "invalid_body",
                format!(
                    "expected actor, unit, procedure_code, full_name, id_number, birth_date ({})",
                    e.classify_name()
                ),
            );
            return Err(errors);
        }
    };
    let id = NationalId::parse(&body.id_number)
        .map_err(|e| bad("id_number", "invalid_id", e.to_string()))
        .ok();
    let name = CitizenName::parse(&body.full_name)
        .map_err(|e| bad("full_name", "invalid_name", e.to_string()))
        .ok();
    let birth = BirthDate::parse(&body.birth_date)
        .map_err(|e| bad("birth_date", "invalid_birth_date", e.to_string()))
        .ok();
    let unit = AgencyId::parse(&body.unit)
        .map_err(|e| bad("unit", "invalid_agency", e.to_string()))
        .ok();
    let procedure = ProcedureCode::parse(&body.procedure_code)
        .ok()
        .and_then(|c| state.catalog.procedure(&c).cloned());
    if procedure.is_none() {
        bad(
            "procedure_code",
            "unknown_procedure",
            format!("procedure {} is not in the catalogue", body.procedure_code),
        );
    }
    let actor_ok = !body.actor.is_empty()
        && body.actor.len() <= 20
        && body
            .actor
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
    if !actor_ok {
        bad(
            "actor",
            "invalid_actor",
            "an officer code (≤ 20 letters, digits, - or _) or citizen-self".into(),
        );
    }
    match (id, name, birth, unit, procedure) {
        (Some(id), Some(name), Some(birth), Some(unit), Some(procedure)) if errors.is_empty() => {
            let context = LookupContext {
                actor: body.actor,
                unit: unit.as_str().to_owned(),
                dossier_id: None,
                channel: "portal_sync",
                fields_requested: procedure
                    .csdlqg_fields
                    .iter()
                    .map(|f| dossierflow_csdlqg::minimise::field_name(*f))
                    .collect(),
            };
            let request_id = Uuid::now_v7().simple().to_string();
            let request = LookupRequest {
                request_id,
                procedure_code: procedure.code.as_str().to_owned(),
                id,
                name,
                birth,
                context,
            };
            Ok((request, procedure))
        }
        _ => Err(errors),
    }
}

trait ClassifyName {
    fn classify_name(&self) -> &'static str;
}

impl ClassifyName for serde_json::Error {
    fn classify_name(&self) -> &'static str {
        match self.classify() {
            serde_json::error::Category::Data => "missing, unknown or mistyped field",
            _ => "malformed JSON",
        }
    }
}
