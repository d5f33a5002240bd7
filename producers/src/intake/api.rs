//! Intake handlers, their wire types and the OpenAPI document.

use axum::Json;
use axum::body::Body;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};
use dossierflow_runtime::telemetry::OutcomeLabel;
use serde::{Deserialize, Serialize};
use utoipa::{OpenApi, ToSchema};
use uuid::Uuid;

use super::IntakeState;
use super::agency_auth::AgencyTokenScheme;
use super::auth::PortalTokenScheme;
use super::store::{self, Stored};
use super::validate::{FieldError, parse};

/// A submission as the portal sends it.
#[derive(Debug, Deserialize, ToSchema)]
#[allow(dead_code)] // documents the body; parsing is field by field in `validate`
pub struct SubmissionBody {
    /// National procedure code from the catalogue.
    #[schema(example = "1.001193")]
    procedure_code: String,
    /// The applicant as typed on the form.
    applicant: ApplicantBody,
    /// Receiving unit chosen on the form ("Đơn vị nhận"), an agency e-identifier.
    receiving_unit: Option<String>,
}

/// The applicant block of a submission.
#[derive(Debug, Deserialize, ToSchema)]
#[allow(dead_code)]
pub struct ApplicantBody {
    /// Full name (Unicode; normalised to NFC).
    #[schema(example = "Nguyễn Thị Minh Châu")]
    full_name: String,
    /// 12-digit CCCD or 9-digit CMND.
    #[schema(example = "025190012387")]
    id_number: String,
    /// `DD/MM/YYYY`, `D/M/YYYY`, `YYYY-MM-DD` or the year alone.
    #[schema(example = "20/04/1990")]
    birth_date: String,
    /// Mobile number, `0xxxxxxxxx` or `+84xxxxxxxxx`.
    phone: Option<String>,
    /// E-mail address.
    email: Option<String>,
    /// Channels for messages to the citizen, each of `sms`, `email`, `zalo` at most once
    /// (`sms`, `zalo` need `phone`; `email` needs `email`). Absent: SMS with a phone, e-mail
    /// with an address, never Zalo; `[]`: none. The national portal is informed regardless.
    #[schema(example = json!(["sms", "zalo"]))]
    notify_channels: Option<Vec<String>>,
}

/// `202 Accepted`: the dossier is durably recorded and will flow through the pipeline.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct AcceptedBody {
    /// Dossier id.
    pub dossier_id: Uuid,
    /// National status code (1, submitted).
    pub status_code: u8,
    /// Status name.
    pub status: String,
    /// When the submission was accepted.
    pub submitted_at: DateTime<Utc>,
}

/// Every error response.
#[derive(Debug, Serialize, ToSchema)]
pub struct ErrorBody {
    /// Machine-readable error code.
    pub error: &'static str,
    /// Explanation.
    pub message: String,
    /// Every bad field, when the body was well-formed JSON.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub fields: Vec<FieldError>,
}

/// A dossier's progress, without personal data.
#[derive(Debug, Serialize, Deserialize, ToSchema, sqlx::FromRow)]
pub struct DossierView {
    /// Dossier id.
    pub id: Uuid,
    /// Procedure.
    pub procedure_code: String,
    /// National status code.
    pub status: i16,
    /// Pipeline stage.
    pub stage: String,
    /// Verification outcome.
    pub verification: Option<String>,
    /// Dossier code, once received.
    pub dossier_code: Option<String>,
    /// Responsible agency.
    pub agency_id: Option<String>,
    /// Due date.
    pub due_at: Option<DateTime<Utc>>,
}

/// The OpenAPI document of the intake API.
#[derive(OpenApi)]
#[openapi(
    info(
        title = "dossierflow intake API",
        description = "Submit administrative-procedure dossiers and follow their progress."
    ),
    paths(
        submit,
        get_dossier,
        super::lookup::citizen_lookup,
        super::pull::pull,
        super::status_update::update_status,
        super::by_code::by_code
    ),
    components(schemas(
        SubmissionBody,
        ApplicantBody,
        AcceptedBody,
        ErrorBody,
        FieldError,
        DossierView,
        super::AgencyPage,
        super::AgencyDossier,
        super::StatusUpdateBody,
        super::StatusUpdated,
        super::CitizenDossierView,
        super::HistoryEntry
    )),
    modifiers(&AgencyTokenScheme, &PortalTokenScheme)
)]
pub struct ApiDoc;

pub(super) fn error(
    status: StatusCode,
    error: &'static str,
    message: impl Into<String>,
    fields: Vec<FieldError>,
) -> Response {
    (
        status,
        Json(ErrorBody {
            error,
            message: message.into(),
            fields,
        }),
    )
        .into_response()
}

/// Submit a dossier.
#[utoipa::path(post, path = "/v1/dossiers", request_body = SubmissionBody,
    params(("Idempotency-Key" = Option<String>, Header, description = "Makes a retried submission return the original result")),
    responses(
        (status = 202, description = "Accepted", body = AcceptedBody),
        (status = 400, description = "Malformed JSON", body = ErrorBody),
        (status = 413, description = "Body too large", body = ErrorBody),
        (status = 415, description = "Not application/json", body = ErrorBody),
        (status = 422, description = "Invalid fields, all listed; or an idempotency key reused with another body", body = ErrorBody),
    ))]
pub async fn submit(State(state): State<IntakeState>, headers: HeaderMap, body: Body) -> Response {
    let response = submit_inner(&state, &headers, body).await;
    let outcome = match response.status() {
        StatusCode::ACCEPTED if response.headers().contains_key("idempotent-replayed") => {
            "replayed"
        }
        StatusCode::ACCEPTED => "accepted",
        s if s.is_client_error() => "rejected",
        _ => "failed",
    };
    state
        .metrics
        .intake_requests
        .get_or_create(&OutcomeLabel { outcome })
        .inc();
    response
}

async fn submit_inner(state: &IntakeState, headers: &HeaderMap, body: Body) -> Response {
    let (bytes, value) =
        match super::body::read_json_bytes(headers, body, state.max_body_bytes).await {
            Ok(read) => read,
            Err(answer) => return answer,
        };
    let submission = match parse(&value, &state.catalog) {
        Ok(s) => s,
        Err(fields) => {
            return error(
                StatusCode::UNPROCESSABLE_ENTITY,
                "invalid_fields",
                format!("{} field(s) rejected", fields.len()),
                fields,
            );
        }
    };
    let key = headers
        .get("idempotency-key")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    if key.as_ref().is_some_and(|k| k.is_empty() || k.len() > 200) {
        return error(
            StatusCode::BAD_REQUEST,
            "bad_idempotency_key",
            "Idempotency-Key must be 1 to 200 characters",
            vec![],
        );
    }
    match store::accept(state, &submission, key.as_deref(), &bytes).await {
        Ok(Stored::New(body)) => (StatusCode::ACCEPTED, Json(body)).into_response(),
        Ok(Stored::Replayed(body)) => (
            StatusCode::ACCEPTED,
            [("idempotent-replayed", "true")],
            Json(body),
        )
            .into_response(),
        Ok(Stored::KeyConflict) => error(
            StatusCode::UNPROCESSABLE_ENTITY,
            "idempotency_key_reused",
            "this Idempotency-Key was used with a different body",
            vec![],
        ),
        Err(e) => {
            tracing::error!(error = %format!("{e:#}"), "cannot store submission");
            error(
                StatusCode::SERVICE_UNAVAILABLE,
                "unavailable",
                "the submission could not be stored; retry with the same Idempotency-Key",
                vec![],
            )
        }
    }
}

/// A dossier's progress.
#[utoipa::path(get, path = "/v1/dossiers/{id}", params(("id" = Uuid, Path, description = "Dossier id")),
    responses((status = 200, body = DossierView), (status = 404, body = ErrorBody)))]
pub async fn get_dossier(State(state): State<IntakeState>, Path(id): Path<String>) -> Response {
    let Ok(id) = Uuid::parse_str(&id) else {
        return error(
            StatusCode::NOT_FOUND,
            "not_found",
            "no such dossier",
            vec![],
        );
    };
    match store::view(state.pool(), id).await {
        Ok(Some(v)) => Json(v).into_response(),
        Ok(None) => error(
            StatusCode::NOT_FOUND,
            "not_found",
            "no such dossier",
            vec![],
        ),
        Err(e) => {
            tracing::error!(error = %e, "cannot read dossier");
            error(
                StatusCode::SERVICE_UNAVAILABLE,
                "unavailable",
                "try again",
                vec![],
            )
        }
    }
}

pub(super) async fn openapi() -> impl IntoResponse {
    Json(ApiDoc::openapi())
}
