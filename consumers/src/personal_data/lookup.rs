//! Data-subject access: the dossiers held for one applicant ID, found through the blind
//! index (`dossier.applicant_id_index`) without the ID ever being stored in clear.

use chrono::{DateTime, Utc};
use dossierflow_domain::NationalId;
use dossierflow_runtime::crypto::Keyring;
use sqlx::PgPool;
use uuid::Uuid;

/// One dossier held for the applicant: facts and the masked ID only.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct HeldDossier {
    /// Dossier id.
    pub id: Uuid,
    /// Dossier code, once routed.
    pub dossier_code: Option<String>,
    /// Procedure code.
    pub procedure_code: String,
    /// National status code (1–10).
    pub status: i16,
    /// Pipeline stage.
    pub stage: String,
    /// The masked ID (first 4 and last 2 digits).
    pub applicant_id_masked: String,
    /// When the dossier was submitted.
    pub submitted_at: DateTime<Utc>,
}

/// Every dossier whose blind index matches `id` under any configured index key (while a
/// rotation is under way some rows still carry an older key's index). Oldest first.
pub async fn dossiers_for_id(
    pool: &PgPool,
    keys: &Keyring,
    id: &NationalId,
) -> sqlx::Result<Vec<HeldDossier>> {
    let (key_ids, values): (Vec<String>, Vec<String>) =
        keys.blind_indexes(id.as_str()).into_iter().unzip();
    sqlx::query_as(
        "SELECT d.id, d.dossier_code, d.procedure_code, d.status, d.stage,
                d.applicant_id_masked, d.submitted_at
           FROM dossier d
           JOIN unnest($1::text[], $2::text[]) AS k(key_id, idx)
             ON d.applicant_id_index = k.idx AND d.applicant_id_index_key = k.key_id
          ORDER BY d.submitted_at, d.id",
    )
    .bind(key_ids)
    .bind(values)
    .fetch_all(pool)
    .await
}
