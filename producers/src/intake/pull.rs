//! `GET /v1/agencies/{id}/dossiers`: an agency pulls its routed dossiers, oldest first,
//! with the citizen data its procedures need (opened from the sealed store).
//!
//! Guarantees: only the agency's own token reads its feed; the order (reception time,
//! then id) is stable, so following `next_cursor` never skips nor repeats a dossier.

use axum::Json;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use super::IntakeState;
use super::agency_auth::{Cursor, authorize};
use super::api::error;

/// Most dossiers in one page.
pub const MAX_LIMIT: i64 = 200;
const DEFAULT_LIMIT: i64 = 50;

/// Query of the pull endpoint. Unknown parameters are rejected (`400`).
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct PullQuery {
    /// `next_cursor` of the previous page; absent for the first page.
    pub after: Option<String>,
    /// Page size, 1 to 200 (default 50).
    pub limit: Option<i64>,
}

/// One routed dossier as its agency receives it.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct AgencyDossier {
    /// Dossier id.
    pub id: Uuid,
    /// Dossier code.
    pub dossier_code: String,
    /// Procedure code.
    pub procedure_code: String,
    /// Reception time.
    pub received_at: DateTime<Utc>,
    /// Due date.
    pub due_at: Option<DateTime<Utc>>,
    /// National status code.
    pub status_code: i16,
    /// Status name (snake_case).
    pub status: String,
    /// The citizen data kept for the procedure (field → value); null when none is kept
    /// or it cannot be opened.
    #[schema(value_type = Option<Object>)]
    pub citizen_data: Option<serde_json::Value>,
    /// The names of the kept fields.
    pub citizen_fields: Vec<String>,
}

/// One page of an agency's feed.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct AgencyPage {
    /// Dossiers, oldest reception first.
    pub dossiers: Vec<AgencyDossier>,
    /// Where the next page starts (keep it to poll for newer dossiers).
    pub next_cursor: Option<String>,
    /// Whether more dossiers follow now.
    pub has_more: bool,
}

type Row = (
    Uuid,
    String,
    String,
    DateTime<Utc>,
    Option<DateTime<Utc>>,
    i16,
    Option<String>,
    Option<Vec<u8>>,
    Option<Vec<String>>,
);

/// An agency's routed dossiers.
#[utoipa::path(get, path = "/v1/agencies/{id}/dossiers",
    params(("id" = String, Path, description = "Agency e-identifier"), PullQuery),
    security(("agency_token" = [])),
    responses(
        (status = 200, body = AgencyPage),
        (status = 400, description = "Bad cursor, limit or unknown parameter", body = super::ErrorBody),
        (status = 401, description = "No or unknown token", body = super::ErrorBody),
        (status = 403, description = "Another agency's token", body = super::ErrorBody),
    ))]
pub async fn pull(
    State(state): State<IntakeState>,
    Path(agency): Path<String>,
    query: Result<Query<PullQuery>, QueryRejection>,
    headers: HeaderMap,
) -> Response {
    match authorize(state.pool(), &headers, &agency).await {
        Ok(Ok(())) => {}
        Ok(Err(denied)) => return denied.response(),
        Err(e) => return unavailable(&e),
    }
    let q = match query {
        Ok(Query(q)) => q,
        Err(e) => return error(StatusCode::BAD_REQUEST, "bad_query", e.body_text(), vec![]),
    };
    let limit = q.limit.unwrap_or(DEFAULT_LIMIT);
    if !(1..=MAX_LIMIT).contains(&limit) {
        return error(
            StatusCode::BAD_REQUEST,
            "bad_limit",
            format!("limit must be 1 to {MAX_LIMIT}"),
            vec![],
        );
    }
    let after = match q.after.as_deref().map(Cursor::decode) {
        None => None,
        Some(Some(c)) => Some(c),
        Some(None) => {
            return error(
                StatusCode::BAD_REQUEST,
                "bad_cursor",
                "after is not a cursor this API returned",
                vec![],
            );
        }
    };
    let rows: Vec<Row> = match sqlx::query_as(
        "SELECT d.id, d.dossier_code, d.procedure_code, d.received_at, d.due_at, d.status,
                c.key_id, c.sealed, c.field_names
         FROM dossier d LEFT JOIN dossier_citizen_data c ON c.dossier_id = d.id
         WHERE d.agency_id = $1 AND d.dossier_code IS NOT NULL AND d.received_at IS NOT NULL
           AND ($2::timestamptz IS NULL OR (d.received_at, d.id) > ($2, $3))
         ORDER BY d.received_at, d.id LIMIT $4",
    )
    .bind(&agency)
    .bind(after.map(|c| c.received_at))
    .bind(after.map(|c| c.id).unwrap_or_default())
    .bind(limit + 1)
    .fetch_all(state.pool())
    .await
    {
        Ok(rows) => rows,
        Err(e) => return unavailable(&e),
    };
    let disclosed: Vec<&Row> = rows
        .iter()
        .take(limit as usize)
        .filter(|r| r.6.is_some())
        .collect();
    if !disclosed.is_empty() {
        let ids: Vec<Uuid> = disclosed.iter().map(|r| r.0).collect();
        let mut fields: Vec<String> = disclosed
            .iter()
            .flat_map(|r| r.8.clone().unwrap_or_default())
            .collect();
        fields.sort();
        fields.dedup();
        // The disclosure is logged before the data leaves; no log, no data.
        if let Err(e) = sqlx::query(
            "INSERT INTO data_access_log (agency_id, channel, dossier_ids, field_names) VALUES ($1, 'agency_pull', $2, $3)",
        )
        .bind(&agency)
        .bind(&ids)
        .bind(&fields)
        .execute(state.pool())
        .await
        {
            return unavailable(&e);
        }
    }
    let has_more = rows.len() as i64 > limit;
    let dossiers: Vec<AgencyDossier> = rows
        .into_iter()
        .take(limit as usize)
        .map(|r| dossier(&state, r))
        .collect();
    let next_cursor = dossiers
        .last()
        .map(|d| {
            Cursor {
                received_at: d.received_at,
                id: d.id,
            }
            .encode()
        })
        .or(q.after);
    Json(AgencyPage {
        dossiers,
        next_cursor,
        has_more,
    })
    .into_response()
}

fn dossier(state: &IntakeState, r: Row) -> AgencyDossier {
    let (id, dossier_code, procedure_code, received_at, due_at, status_code, key, sealed, names) =
        r;
    let citizen_data = match (key, sealed) {
        (Some(key), Some(sealed)) => match state.keys.open(&key, &sealed, id.as_bytes()) {
            Ok(plain) => serde_json::from_slice(&plain).ok(),
            Err(e) => {
                tracing::error!(dossier_id = %id, error = %e, "citizen data of a pulled dossier does not open");
                None
            }
        },
        _ => None,
    };
    let status = u8::try_from(status_code)
        .ok()
        .and_then(dossierflow_domain::Status::from_code)
        .map(|s| s.as_str().to_owned())
        .unwrap_or_default();
    AgencyDossier {
        id,
        dossier_code,
        procedure_code,
        received_at,
        due_at,
        status_code,
        status,
        citizen_data,
        citizen_fields: names.unwrap_or_default(),
    }
}

pub(super) fn unavailable(e: &sqlx::Error) -> Response {
    tracing::error!(error = %e, "agency API cannot reach the database");
    error(
        StatusCode::SERVICE_UNAVAILABLE,
        "unavailable",
        "try again",
        vec![],
    )
}
