//! `POST /v1/dossiers/{code}/status`: the responsible agency reports progress.
//!
//! The body is parsed into a target [`Status`]; the transition is checked against the
//! domain's one table ([`Status::transition`]); the change, its `dossier.status.v1` event
//! (so the notify stage tells the citizen) and a `status_change` row (officer, reason,
//! supplement deadline, idempotency key) are written in one transaction. The same
//! `Idempotency-Key` returns the first result without a second event.

use axum::Json;
use axum::body::{Body, to_bytes};
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
use super::pull::unavailable;
use super::status_store::{Applied, apply};

/// A status update as an agency sends it.
#[derive(Debug, Clone, Deserialize, ToSchema)]
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
        (status = 401, body = super::ErrorBody), (status = 403, body = super::ErrorBody),
        (status = 404, body = super::ErrorBody),
        (status = 409, description = "Transition not allowed; names both statuses", body = super::ErrorBody),
        (status = 422, body = super::ErrorBody),
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
    let agency = match caller(&state.pool, headers).await {
        Ok(Ok(a)) => a,
        Ok(Err(denied)) => return rejected(denied.response()),
        Err(e) => return (unavailable(&e), None),
    };
    let Ok(bytes) = to_bytes(body, state.max_body_bytes).await else {
        return rejected(unprocessable("the body is too large".into()));
    };
    let update = match serde_json::from_slice::<StatusUpdateBody>(&bytes) {
        Ok(b) => match validate(b) {
            Ok(u) => u,
            Err(m) => return rejected(unprocessable(m)),
        },
        Err(e) => {
            return rejected(unprocessable(format!(
                "the body is not a status update: {e}"
            )));
        }
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

fn unprocessable(message: String) -> Response {
    error(
        StatusCode::UNPROCESSABLE_ENTITY,
        "invalid_update",
        message,
        vec![],
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn body(status: &str, deadline: Option<&str>) -> StatusUpdateBody {
        StatusUpdateBody {
            status: status.into(),
            reason: Some("  ".into()),
            supplement_deadline: deadline.map(|d| d.parse().expect("date")),
            officer: " officer-7 ".into(),
        }
    }

    #[test]
    fn agency_statuses_are_checked() {
        let u = validate(body("processing", None)).expect("valid");
        assert_eq!(u.to, Status::Processing);
        assert_eq!(u.officer, "officer-7");
        assert_eq!(u.reason, None, "blank reasons are dropped");
        assert_eq!(
            validate(body("received", None)).map(|u| u.to),
            Ok(Status::Received)
        );
        for bad in ["done", "Processing", ""] {
            assert!(validate(body(bad, None)).is_err(), "{bad}");
        }
        assert!(validate(body("supplement_requested", Some("2026-12-01"))).is_ok());
        assert!(validate(body("processing", Some("2026-12-01"))).is_err());
        let mut b = body("completed", None);
        b.officer = " ".into();
        assert!(validate(b).is_err());
    }
}
