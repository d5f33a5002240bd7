//! I/O shell of the verify stage: lookup (through the resilience layer), then one
//! transaction. An outage holds the dossier visibly ("waiting for CSDLQG") and it
//! resumes by itself.

use std::sync::Arc;
use std::time::Duration;

use dossierflow_csdlqg::{
    CitizenRecord, LookupContext, LookupError, LookupRequest, PopulationRegistry, compare,
};
use dossierflow_domain::{DiacriticPolicy, ProcedureCode};
use dossierflow_runtime::commit_group::CommitGroups;
use dossierflow_runtime::config::KafkaArgs;
use dossierflow_runtime::crypto::Keyring;
use dossierflow_runtime::db::{claim_event, was_processed};
use dossierflow_runtime::outbox;
use dossierflow_runtime::stage::{Delivery, Stage, StageError};
use dossierflow_schemas::{Envelope, SubmittedV1, topics};
use sqlx::{PgConnection, PgPool};
use uuid::Uuid;

use super::handle::{Applicant, Decision, decide, parse_applicant};
use crate::Facts;
use crate::enrich::field_name;

/// Who looks up, on whose behalf, how names are compared, how many at once.
#[derive(Debug, Clone)]
pub struct VerifyConfig {
    /// Officer code sent as `MaCanBo` and recorded in the audit.
    pub officer: String,
    /// Agency e-identifier sent as `MaDonVi`.
    pub agency: String,
    /// Name comparison policy.
    pub policy: DiacriticPolicy,
    /// Lookups in flight per process.
    pub concurrency: usize,
}

/// Records the stage handles at once for `lookups` lookup slots (C).
///
/// A record holds its place until its group commits, a slot only during its lookup:
/// twice as many places keep all C slots busy while other records write. The
/// resilience layer still sends at most C lookups at a time.
pub fn records_in_hand(lookups: usize) -> usize {
    lookups.max(1).saturating_mul(2)
}

/// Tells whether the population register is known to be down, and for how long.
pub type Gate = Arc<dyn Fn() -> Option<Duration> + Send + Sync>;

/// The verify stage.
pub struct Verify {
    /// The database, through group commits (records handled together share a commit).
    pub commits: CommitGroups,
    /// The population register behind the resilience layer (retries, breaker, limits).
    pub registry: Arc<dyn PopulationRegistry>,
    /// The resilience layer's circuit breaker: `Some` while open.
    pub gate: Gate,
    /// Settings.
    pub config: VerifyConfig,
    /// Catalogue (the fields each procedure needs, for the audit).
    pub facts: Facts,
    /// Topic names.
    pub kafka: KafkaArgs,
    /// Keys sealing the staged population record.
    pub keys: Keyring,
}

#[async_trait::async_trait]
impl Stage for Verify {
    type Input = SubmittedV1;
    const NAME: &'static str = "verify";

    async fn handle(
        &self,
        event: &Envelope<SubmittedV1>,
        delivery: Delivery,
    ) -> Result<(), StageError> {
        if was_processed(self.commits.pool(), Self::NAME, event.id).await? {
            return Ok(());
        }
        let d = &event.data;
        let applicant = parse_applicant(&d.applicant).map_err(|message| StageError::Invalid {
            reason: "invalid_applicant",
            message,
        })?;
        // MaYeuCau base: deterministic per dossier and stage-level attempt; the resilience
        // layer appends the in-process attempt ("-1", "-2", …).
        let request_id = format!("{}-{}", d.dossier_id.simple(), delivery.attempt);
        let request = LookupRequest {
            request_id: request_id.clone(),
            procedure_code: d.procedure_code.clone(),
            id: applicant.id.clone(),
            name: applicant.name.clone(),
            birth: applicant.birth,
            context: self.context(d),
        };
        let record = match self.registry.lookup(&request).await {
            Ok(record) => record,
            Err(e) => return Err(self.hold(d, &applicant, e).await),
        };
        let outcome = compare(&request, record.as_ref(), self.config.policy);
        let decision = decide(d.dossier_id, &request_id, &outcome, chrono::Utc::now());

        let mut tx = self.commits.begin().await?;
        if !claim_event(&mut tx, Self::NAME, event.id).await? {
            return Ok(());
        }
        // The intake wrote the row in the transaction that published this event; a portal
        // publishing straight to Kafka did not, and only then is the row created (and the
        // ID sealed and indexed), with one statement fewer in the usual case.
        if record_decision(&mut tx, d.dossier_id, &decision).await? == 0 {
            insert_dossier(&mut tx, &self.keys, d, &applicant).await?;
            record_decision(&mut tx, d.dossier_id, &decision).await?;
        }
        if let (Some(record), None) = (&record, &decision.refusal) {
            stage_record(&mut tx, &self.keys, d.dossier_id, record).await?;
        }
        let source = "/dossierflow/verify";
        outbox::append(
            &mut tx,
            &self.kafka.topic(topics::VERIFIED),
            &Envelope::new(source, decision.verified),
        )
        .await?;
        if let Some(refusal) = decision.refusal {
            outbox::append(
                &mut tx,
                &self.kafka.topic(topics::STATUS),
                &Envelope::new(source, refusal),
            )
            .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    fn concurrency(&self) -> Option<usize> {
        Some(records_in_hand(self.config.concurrency))
    }

    fn paused_for(&self) -> Option<Duration> {
        (self.gate)()
    }

    fn uses_retry_topics(&self) -> bool {
        true
    }
}

impl Verify {
    fn context(&self, d: &SubmittedV1) -> LookupContext {
        let fields = ProcedureCode::parse(&d.procedure_code)
            .ok()
            .and_then(|c| self.facts.catalog.procedure(&c))
            .map(|p| p.csdlqg_fields.iter().map(|f| field_name(*f)).collect())
            .unwrap_or_default();
        LookupContext {
            actor: self.config.officer.clone(),
            unit: self.config.agency.clone(),
            dossier_id: Some(d.dossier_id.to_string()),
            channel: "pipeline",
            fields_requested: fields,
        }
    }

    /// Classifies a failed lookup; an outage is recorded on the dossier so that officers
    /// see why it waits (fail-soft), and the record is held or deferred, never dropped.
    async fn hold(&self, d: &SubmittedV1, applicant: &Applicant, e: LookupError) -> StageError {
        let waiting = match &e {
            LookupError::CircuitOpen { .. } => {
                Some("CSDLQG unavailable (circuit open): verification resumes by itself")
            }
            LookupError::Transient { .. } => {
                Some("CSDLQG failing: verification scheduled for a retry")
            }
            _ => None,
        };
        if let Some(reason) = waiting
            && let Err(db) =
                mark_waiting(self.commits.pool(), &self.keys, d, applicant, reason).await
        {
            return StageError::from(db);
        }
        match e {
            LookupError::CircuitOpen { retry_in } => StageError::Unavailable { retry_in },
            LookupError::Transient { .. } => StageError::Deferred {
                reason: "csdlqg_transient",
                message: e.to_string(),
            },
            other => StageError::Invalid {
                reason: other.class(),
                message: other.to_string(),
            },
        }
    }
}

async fn mark_waiting(
    pool: &PgPool,
    keys: &Keyring,
    d: &SubmittedV1,
    applicant: &Applicant,
    reason: &str,
) -> sqlx::Result<()> {
    let mut tx = pool.begin().await?;
    insert_dossier(&mut tx, keys, d, applicant).await?;
    sqlx::query(
        "UPDATE dossier SET waiting_reason = $2, waiting_since = coalesce(waiting_since, now()), updated_at = now()
         WHERE id = $1 AND verification IS NULL",
    )
    .bind(d.dossier_id)
    .bind(reason)
    .execute(&mut *tx)
    .await?;
    tx.commit().await
}

async fn stage_record(
    tx: &mut PgConnection,
    keys: &Keyring,
    dossier_id: Uuid,
    record: &CitizenRecord,
) -> Result<(), StageError> {
    let plain = serde_json::to_vec(record).map_err(anyhow::Error::from)?;
    let (key_id, sealed) = keys
        .seal(&plain, dossier_id.as_bytes())
        .map_err(|e| StageError::Transient(e.into()))?;
    sqlx::query(
        "INSERT INTO citizen_record_staging (dossier_id, key_id, sealed) VALUES ($1, $2, $3)
         ON CONFLICT (dossier_id) DO UPDATE SET key_id = EXCLUDED.key_id, sealed = EXCLUDED.sealed",
    )
    .bind(dossier_id)
    .bind(key_id)
    .bind(sealed)
    .execute(&mut *tx)
    .await?;
    Ok(())
}

/// The verification outcome on the dossier row: `$1` id, `$2` stage, `$3` outcome, `$4`
/// mismatched fields, `$5` refused. It sets no indexed column unless it refuses, so it
/// is a HOT update (migration 0020; `tests/dossier_hot_updates.rs` runs it).
pub const RECORD_DECISION: &str =
    "UPDATE dossier SET stage = $2, verification = $3, mismatch_fields = $4,
                status = CASE WHEN $5 THEN 3 ELSE status END,
                waiting_reason = NULL, waiting_since = NULL, updated_at = now()
         WHERE id = $1";

/// Writes the verification outcome on the dossier row; returns the rows updated (0 when
/// the row does not exist).
async fn record_decision(
    tx: &mut PgConnection,
    dossier_id: Uuid,
    decision: &Decision,
) -> sqlx::Result<u64> {
    let done = sqlx::query(RECORD_DECISION)
        .bind(dossier_id)
        .bind(decision.stage)
        .bind(decision.verified.outcome.as_str())
        .bind(&decision.verified.mismatched_fields)
        .bind(decision.refusal.is_some())
        .execute(&mut *tx)
        .await?;
    Ok(done.rows_affected())
}

/// The portal may publish straight to Kafka, so the dossier row may not exist yet. Its
/// ID is kept as the intake keeps it: sealed and blind-indexed, never in clear. An existing
/// row is left as it is.
async fn insert_dossier(
    tx: &mut PgConnection,
    keys: &Keyring,
    d: &SubmittedV1,
    applicant: &Applicant,
) -> sqlx::Result<()> {
    let contact = serde_json::json!({ "phone": d.applicant.phone, "email": d.applicant.email });
    let id = applicant.id.as_str();
    let crypto = |e| sqlx::Error::Encode(Box::new(e));
    let (id_key, id_sealed) = keys
        .seal(id.as_bytes(), d.dossier_id.as_bytes())
        .map_err(crypto)?;
    let (index_key, index) = keys.blind_index(id).map_err(crypto)?;
    sqlx::query(
        "INSERT INTO dossier (id, procedure_code, status, stage, receiving_unit, applicant_id_masked, contact, submitted_at, applicant_id_last4,
                              applicant_id_sealed, applicant_id_key_id, applicant_id_index, applicant_id_index_key)
         VALUES ($1, $2, 1, 'submitted', $3, $4, $5, $6, right($7, 4), $8, $9, $10, $11) ON CONFLICT (id) DO NOTHING",
    )
    .bind(d.dossier_id)
    .bind(&d.procedure_code)
    .bind(&d.receiving_unit)
    .bind(applicant.id.masked())
    .bind(contact)
    .bind(d.submitted_at)
    .bind(id)
    .bind(id_sealed)
    .bind(id_key)
    .bind(index)
    .bind(index_key)
    .execute(&mut *tx)
    .await?;
    Ok(())
}
