//! Dossier codes from the database: one counter row per agency and day.
//!
//! `INSERT … ON CONFLICT DO UPDATE … RETURNING` takes the counter row's lock for the rest
//! of the caller's transaction, so concurrent intake or route instances get distinct,
//! consecutive sequence numbers, and a rolled-back transaction gives its number back —
//! no duplicate and no gap, without any in-process lock.

use chrono::NaiveDate;
use dossierflow_domain::{AgencyId, DossierCode};
use sqlx::PgConnection;

/// Why a code could not be produced.
#[derive(Debug, thiserror::Error)]
pub enum CodeGenError {
    /// The database failed (transient).
    #[error("dossier code counter: {0}")]
    Db(#[from] sqlx::Error),
    /// The counter produced a code the format cannot hold.
    #[error("dossier code: {0}")]
    Code(#[from] dossierflow_domain::CodeError),
}

/// The next code for `agency` on `day` (local date of reception), inside the caller's
/// transaction.
pub async fn next_code(
    conn: &mut PgConnection,
    agency: &AgencyId,
    day: NaiveDate,
) -> Result<DossierCode, CodeGenError> {
    let (seq,): (i32,) = sqlx::query_as(
        "INSERT INTO dossier_code_counter (agency_id, day, last_seq) VALUES ($1, $2, 1)
         ON CONFLICT (agency_id, day) DO UPDATE SET last_seq = dossier_code_counter.last_seq + 1
         RETURNING last_seq",
    )
    .bind(agency.as_str())
    .bind(day)
    .fetch_one(&mut *conn)
    .await?;
    Ok(DossierCode::new(agency.clone(), day, seq.unsigned_abs())?)
}
