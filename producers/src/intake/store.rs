//! Intake persistence: each accepted submission is one savepoint of a group commit.

use chrono::Utc;
use dossierflow_domain::Status;
use dossierflow_runtime::outbox;
use dossierflow_schemas::{ApplicantV1, Envelope, StatusV1, SubmittedV1, topics};
use sha2::{Digest, Sha256};
use sqlx::PgPool;
use uuid::Uuid;

use super::IntakeState;
use super::api::{AcceptedBody, DossierView};
use super::validate::Submission;

/// What happened to a submission.
pub enum Stored {
    /// Recorded now.
    New(AcceptedBody),
    /// The same key and body were accepted before: the first result.
    Replayed(AcceptedBody),
    /// The key was used before with another body.
    KeyConflict,
}

/// Until per-client authentication exists every caller shares one key space.
const CLIENT: &str = "anonymous";
const SOURCE: &str = "/dossierflow/intake";

/// Records the dossier, its idempotency key and its first events.
pub async fn accept(
    state: &IntakeState,
    s: &Submission,
    key: Option<&str>,
    raw: &[u8],
) -> anyhow::Result<Stored> {
    let now = Utc::now();
    let dossier_id = Uuid::now_v7();
    let body = AcceptedBody {
        dossier_id,
        status_code: Status::Submitted.code(),
        status: Status::Submitted.as_str().to_owned(),
        submitted_at: now,
    };
    // Submissions arriving together share a commit (group commit); this one's rows are
    // its own savepoint of the group, and `commit` returns once the group is durable.
    let mut tx = state.commits.begin().await?;
    if let Some(key) = key {
        let hash = hex(&Sha256::digest(raw));
        let inserted = sqlx::query(
            "INSERT INTO idempotency_key (client, key, request_hash, dossier_id, response)
             VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING",
        )
        .bind(CLIENT)
        .bind(key)
        .bind(&hash)
        .bind(dossier_id)
        .bind(serde_json::to_value(&body)?)
        .execute(&mut *tx)
        .await?;
        if inserted.rows_affected() == 0 {
            // Read through the group's transaction: the first use of the key may be an
            // earlier member of this same group, not committed yet. Answer only once it is.
            let (stored_hash, response): (String, serde_json::Value) = sqlx::query_as(
                "SELECT request_hash, response FROM idempotency_key WHERE client = $1 AND key = $2",
            )
            .bind(CLIENT)
            .bind(key)
            .fetch_one(&mut *tx)
            .await?;
            tx.commit().await?;
            return Ok(if stored_hash == hash {
                Stored::Replayed(serde_json::from_value(response)?)
            } else {
                Stored::KeyConflict
            });
        }
    }
    let mut contact = serde_json::json!({
        "phone": s.phone.as_ref().map(|p| p.as_str().to_owned()),
        "email": s.email.as_ref().map(|e| e.as_str().to_owned()),
    });
    // The citizen's chosen channels; no key means the default ones. Not in the event:
    // the `SubmittedV1` contract is frozen, and only the notify stage needs them.
    if let Some(channels) = &s.notify_channels {
        contact["channels"] = serde_json::to_value(channels)?;
    }
    // The ID at rest: sealed (dossier id as associated data) and blind-indexed for
    // lookups by ID (`dossierflow citizen-dossiers`), in this same transaction.
    let (id_key, id_sealed) = state
        .keys
        .seal(s.id.as_str().as_bytes(), dossier_id.as_bytes())?;
    let (index_key, index) = state.keys.blind_index(s.id.as_str())?;
    sqlx::query(
        "INSERT INTO dossier (id, procedure_code, status, stage, receiving_unit, applicant_id_masked, contact, submitted_at, applicant_id_last4,
                              applicant_id_sealed, applicant_id_key_id, applicant_id_index, applicant_id_index_key)
         VALUES ($1, $2, 1, 'submitted', $3, $4, $5, $6, $7, $8, $9, $10, $11)",
    )
    .bind(dossier_id)
    .bind(s.procedure_code.as_str())
    .bind(s.receiving_unit.as_ref().map(|u| u.as_str().to_owned()))
    .bind(s.id.masked())
    .bind(contact)
    .bind(now)
    .bind(last4(s.id.as_str()))
    .bind(id_sealed)
    .bind(id_key)
    .bind(index)
    .bind(index_key)
    .execute(&mut *tx)
    .await?;
    let submitted = SubmittedV1 {
        dossier_id,
        procedure_code: s.procedure_code.as_str().to_owned(),
        submitted_at: now,
        applicant: ApplicantV1 {
            full_name: s.name.as_str().to_owned(),
            id_number: s.id.as_str().to_owned(),
            birth_date: s.birth.to_string(),
            phone: s.phone.as_ref().map(|p| p.as_str().to_owned()),
            email: s.email.as_ref().map(|e| e.as_str().to_owned()),
        },
        receiving_unit: s.receiving_unit.as_ref().map(|u| u.as_str().to_owned()),
    };
    let status = StatusV1 {
        dossier_id,
        dossier_code: None,
        status_code: Status::Submitted.code(),
        status: Status::Submitted.as_str().to_owned(),
        previous_code: None,
        reason: None,
        due_at: None,
        changed_at: now,
    };
    // The applicant's ID, name and birth date: sealed while the row waits for the relay.
    outbox::append_sealed(
        &mut tx,
        &state.kafka.topic(topics::SUBMITTED),
        &Envelope::new(SOURCE, submitted),
        &state.keys,
    )
    .await?;
    outbox::append(
        &mut tx,
        &state.kafka.topic(topics::STATUS),
        &Envelope::new(SOURCE, status),
    )
    .await?;
    tx.commit().await?;
    Ok(Stored::New(body))
}

/// A dossier's progress.
pub async fn view(pool: &PgPool, id: Uuid) -> sqlx::Result<Option<DossierView>> {
    sqlx::query_as(
        "SELECT id, procedure_code, status, stage, verification, dossier_code, agency_id, due_at
         FROM dossier WHERE id = $1",
    )
    .bind(id)
    .fetch_optional(pool)
    .await
}

/// The last 4 digits of an ID number: the ownership proof for lookups by dossier code.
pub fn last4(id: &str) -> String {
    let start = id.len().saturating_sub(4);
    id.get(start..).unwrap_or_default().to_owned()
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}
