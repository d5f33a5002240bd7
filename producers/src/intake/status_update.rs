//! `POST /v1/dossiers/{code}/status`: the responsible agency reports progress.
//!
//! The body is parsed into a target [`Status`]; the transition is checked against the
//! domain's one table ([`Status::transition`]); the change, its `dossier.status.v1` event
//! (so the notify stage tells the citizen) and a `status_change` row (officer, reason,
//! supplement deadline, idempotency key) are written in one transaction. The same
//! `Idempotency-Key` returns the first result without a second event.

use axum::Json;
use axum::body::Body;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, NaiveDate, Utc};
use dossierflow_domain::Status;
use dossierflow_runtime::telemetry::OutcomeLabel;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::IntakeState;
use super::agency_auth::caller;
use super::api::error;
use super::body::{read_json, unknown_fields};
use super::pull::unavailable;
use super::status_store::{Applied, apply};

/// A status update as an agency sends it. Unknown fields are rejected (`422`).
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct StatusUpdateBody {
    /// `processing`, `supplement_requested`, `payment_requested`, `stopped`,
    /// `completed`, `returned`, `withdrawn` or `refused`.
    #[schema(example = "processing")]
    pub status: String,
    /// Reason shown to the citizen.
    pub reason: Option<String>,
    /// Deadline of a supplement request, `YYYY-MM-DD`.
    pub supplement_deadline: Option<NaiveDate>,
    /// The officer who made the change (recorded, not sent to the citizen).
    pub officer: String,
}

/// The applied change.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct StatusUpdated {
    /// Dossier code.
    pub dossier_code: String,
    /// Previous national status code.
    pub previous_code: u8,
    /// New national status code.
    pub status_code: u8,
    /// New status name (snake_case).
    pub status: String,
    /// When the change was recorded.
    pub changed_at: DateTime<Utc>,
}

/// A validated update.
#[derive(Debug, Clone, PartialEq)]
pub struct Update {
    /// Target status.
    pub to: Status,
    /// Reason, if any.
    pub reason: Option<String>,
    /// Supplement deadline, if any.
    pub supplement_deadline: Option<NaiveDate>,
    /// Officer.
    pub officer: String,
}

/// The statuses an agency may set; any other known status is refused as an illegal
/// transition (`409`), like a transition the table forbids.
pub const AGENCY_STATUSES: [Status; 8] = [
    Status::Processing,
    Status::SupplementRequested,
    Status::PaymentRequested,
    Status::Stopped,
    Status::Completed,
    Status::Returned,
    Status::Withdrawn,
    Status::Refused,
];

/// Checks the body's fields (not the transition, which needs the current status).
pub fn validate(body: StatusUpdateBody) -> Result<Update, String> {
    let to = Status::from_str_name(&body.status)
        .ok_or_else(|| format!("status {:?} is not a dossier status", body.status))?;
    let officer = body.officer.trim().to_owned();
    if officer.is_empty() || officer.len() > 200 {
        return Err("officer must be 1 to 200 characters".into());
    }
    if body.reason.as_ref().is_some_and(|r| r.len() > 2000) {
        return Err("reason must be at most 2000 characters".into());
    }
    if body.supplement_deadline.is_some() && to != Status::SupplementRequested {
        return Err("supplement_deadline only goes with supplement_requested".into());
    }
    Ok(Update {
        to,
        reason: body.reason.filter(|r| !r.trim().is_empty()),
        supplement_deadline: body.supplement_deadline,
        officer,
    })
}

/// Report a dossier's new status.
#[utoipa::path(post, path = "/v1/dossiers/{code}/status", request_body = StatusUpdateBody,
    params(("code" = String, Path, description = "Dossier code"),
        ("Idempotency-Key" = Option<String>, Header, description = "A retried update returns the first result")),
    security(("agency_token" = [])),
    responses(
        (status = 200, body = StatusUpdated),
        (status = 400, description = "Malformed JSON", body = super::ErrorBody),
        (status = 401, body = super::ErrorBody), (status = 403, body = super::ErrorBody),
        (status = 404, body = super::ErrorBody),
        (status = 413, description = "Body too large", body = super::ErrorBody),
        (status = 415, description = "Not application/json", body = super::ErrorBody),
        (status = 409, description = "Transition not allowed; names both statuses", body = super::ErrorBody),
        (status = 422, description = "Invalid or unknown fields", body = super::ErrorBody),
    ))]
pub async fn update_status(
    State(state): State<IntakeState>,
    Path(code): Path<String>,
    headers: HeaderMap,
    body: Body,
) -> Response {
    let (response, outcome) = update_inner(&state, &code, &headers, body).await;
    if let Some(outcome) = outcome {
        state
            .metrics
            .agency_status_updates
            .get_or_create(&OutcomeLabel { outcome })
            .inc();
    }
    response
}

async fn update_inner(
    state: &IntakeState,
    code: &str,
    headers: &HeaderMap,
    body: Body,
) -> (Response, Option<&'static str>) {
    let rejected = |r: Response| (r, Some("rejected"));
    let agency = match caller(state.pool(), headers).await {
        Ok(Ok(a)) => a,
        Ok(Err(denied)) => return rejected(denied.response()),
        Err(e) => return (unavailable(&e), None),
    };
    let value = match read_json(headers, body, state.max_body_bytes).await {
        Ok(v) => v,
        Err(r) => return rejected(r),
    };
    let update = match parse_body(value) {
        Ok(u) => u,
        Err(r) => return rejected(r),
    };
    let key = headers.get("idempotency-key").and_then(|v| v.to_str().ok());
    if key.is_some_and(|k| k.is_empty() || k.len() > 200) {
        return rejected(unprocessable(
            "Idempotency-Key must be 1 to 200 characters".into(),
        ));
    }
    match apply(state, code, &agency, &update, key).await {
        Ok(Applied::Accepted(b)) => (Json(b).into_response(), Some("accepted")),
        Ok(Applied::Duplicate(b)) => (
            ([("idempotent-replayed", "true")], Json(b)).into_response(),
            Some("duplicate"),
        ),
        Ok(Applied::NotFound) => rejected(error(
            StatusCode::NOT_FOUND,
            "not_found",
            "no such dossier",
            vec![],
        )),
        Ok(Applied::Forbidden) => rejected(error(
            StatusCode::FORBIDDEN,
            "forbidden",
            "this dossier belongs to another agency",
            vec![],
        )),
        Ok(Applied::KeyConflict) => rejected(unprocessable(
            "this Idempotency-Key was used for another dossier".into(),
        )),
        Ok(Applied::Illegal(e)) => rejected(error(
            StatusCode::CONFLICT,
            "illegal_transition",
            format!("{e} ({} → {})", e.from.as_str(), e.to.as_str()),
            vec![],
        )),
        Err(e) => {
            tracing::error!(error = %format!("{e:#}"), "cannot apply an agency status update");
            (
                error(
                    StatusCode::SERVICE_UNAVAILABLE,
                    "unavailable",
                    "the update was not applied; retry with the same Idempotency-Key",
                    vec![],
                ),
                None,
            )
        }
    }
}

/// Fields of a status update body.
const FIELDS: [&str; 4] = ["status", "reason", "supplement_deadline", "officer"];

/// The body as an update: unknown fields named, a supplement deadline that is no
/// calendar date or already past (Vietnam time) refused, then [`validate`].
#[allow(clippy::result_large_err)] // the error is the answer, built once per request
fn parse_body(value: serde_json::Value) -> Result<Update, Response> {
    if let Some(obj) = value.as_object() {
        let unknown = unknown_fields(obj, &FIELDS);
        if !unknown.is_empty() {
            let msg = format!("{} unknown field(s)", unknown.len());
            return Err(error(
                StatusCode::UNPROCESSABLE_ENTITY,
                "invalid_update",
                msg,
                unknown,
            ));
        }
        if let Some(serde_json::Value::String(d)) = obj.get("supplement_deadline")
            && NaiveDate::parse_from_str(d, "%Y-%m-%d").is_err()
        {
            let msg = "supplement_deadline must be a calendar date, YYYY-MM-DD";
            return Err(unprocessable(msg.into()));
        }
    }
    let body: StatusUpdateBody = serde_json::from_value(value).map_err(|e| {
        // serde's other data errors may quote a value: describe the shape instead.
        let text = e.to_string();
        unprocessable(if text.starts_with("missing field") {
            format!("the body is not a status update: {text}")
        } else {
            "the body is not a status update: an object with the strings status and \
             officer, and optionally reason and supplement_deadline"
                .to_owned()
        })
    })?;
    let update = validate(body).map_err(unprocessable)?;
    let today = (Utc::now() + chrono::Duration::hours(7)).date_naive();
    if update.supplement_deadline.is_some_and(|d| d < today) {
        return Err(unprocessable(format!(
            "supplement_deadline is in the past (today is {today} in Vietnam)"
        )));
    }
    Ok(update)
}

fn unprocessable(message: String) -> Response {
    error(
        StatusCode::UNPROCESSABLE_ENTITY,
        "invalid_update",
        message,
        vec![],
    )
}

#[cfg(test)]
#[path = "status_update_tests.rs"]
mod tests;
