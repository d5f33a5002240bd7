//! I/O shell of the enrich stage.

use dossierflow_csdlqg::CitizenRecord;
use dossierflow_domain::ProcedureCode;
use dossierflow_runtime::commit_group::CommitGroups;
use dossierflow_runtime::config::KafkaArgs;
use dossierflow_runtime::crypto::Keyring;
use dossierflow_runtime::db::claim_event;
use dossierflow_runtime::outbox;
use dossierflow_runtime::stage::{Delivery, Stage, StageError};
use dossierflow_schemas::{EnrichedV1, Envelope, VerificationOutcome, VerifiedV1, topics};

use super::handle::decide;
use crate::Facts;

/// Marks a dossier enriched (`$1` id). No index covers the columns it sets, so it is a
/// HOT update (migration 0020; `tests/dossier_hot_updates.rs` runs it).
pub const MARK_ENRICHED: &str =
    "UPDATE dossier SET stage = 'enriched', updated_at = now() WHERE id = $1";

/// The enrich stage.
pub struct Enrich {
    /// The database, through group commits (records handled together share a commit).
    pub commits: CommitGroups,
    /// Catalogue and calendar.
    pub facts: Facts,
    /// Topic names.
    pub kafka: KafkaArgs,
    /// Keys sealing the citizen data at rest.
    pub keys: Keyring,
}

#[async_trait::async_trait]
impl Stage for Enrich {
    type Input = VerifiedV1;
    const NAME: &'static str = "enrich";

    async fn handle(
        &self,
        event: &Envelope<VerifiedV1>,
        _delivery: Delivery,
    ) -> Result<(), StageError> {
        let dossier_id = event.data.dossier_id;
        let mut tx = self.commits.begin().await?;
        if !claim_event(&mut tx, Self::NAME, event.id).await? {
            return Ok(());
        }
        if event.data.outcome != VerificationOutcome::Verified {
            tx.commit().await?; // refused: final, nothing to enrich
            return Ok(());
        }
        let row: Option<(String, Option<String>, String, Vec<u8>)> = sqlx::query_as(
            "SELECT d.procedure_code, d.receiving_unit, s.key_id, s.sealed FROM dossier d
             JOIN citizen_record_staging s ON s.dossier_id = d.id WHERE d.id = $1 FOR NO KEY UPDATE OF d",
        )
        .bind(dossier_id)
        .fetch_optional(&mut *tx)
        .await?;
        let Some((procedure_code, receiving_unit, key_id, sealed)) = row else {
            return Err(invalid(
                "missing_record",
                "no staged population record for this dossier",
            ));
        };
        // A key that is not configured is an operator error worth retrying after a fix,
        // not a reason to drop the dossier.
        let plain = self
            .keys
            .open(&key_id, &sealed, dossier_id.as_bytes())
            .map_err(|e| StageError::Transient(e.into()))?;
        let record: CitizenRecord = serde_json::from_slice(&plain)
            .map_err(|_| invalid("bad_record", "staged population record does not decode"))?;
        let procedure = ProcedureCode::parse(&procedure_code)
            .ok()
            .and_then(|c| self.facts.catalog.procedure(&c))
            .ok_or_else(|| {
                invalid(
                    "unknown_procedure",
                    &format!("procedure {procedure_code} is not in the catalogue"),
                )
            })?;
        let enrichment = decide(&record, procedure, &self.facts.catalog);
        if !enrichment.withheld.is_empty() {
            tracing::debug!(withheld = ?enrichment.withheld, "sensitive fields withheld until encrypted storage is configured");
        }
        let plain = serde_json::to_vec(&enrichment.fields).map_err(anyhow::Error::from)?;
        let (key_id, sealed) = self
            .keys
            .seal(&plain, dossier_id.as_bytes())
            .map_err(|e| StageError::Transient(e.into()))?;
        sqlx::query(
            "INSERT INTO dossier_citizen_data (dossier_id, key_id, sealed, field_names) VALUES ($1, $2, $3, $4)
             ON CONFLICT (dossier_id) DO UPDATE SET key_id = EXCLUDED.key_id, sealed = EXCLUDED.sealed, field_names = EXCLUDED.field_names",
        )
        .bind(dossier_id)
        .bind(key_id)
        .bind(sealed)
        .bind(&enrichment.kept)
        .execute(&mut *tx)
        .await?;
        sqlx::query("DELETE FROM citizen_record_staging WHERE dossier_id = $1")
            .bind(dossier_id)
            .execute(&mut *tx)
            .await?;
        sqlx::query(MARK_ENRICHED)
            .bind(dossier_id)
            .execute(&mut *tx)
            .await?;
        let enriched = EnrichedV1 {
            dossier_id,
            procedure_code,
            fields: enrichment.kept,
            residence_commune: enrichment.residence_commune,
            receiving_unit,
        };
        outbox::append(
            &mut tx,
            &self.kafka.topic(topics::ENRICHED),
            &Envelope::new("/dossierflow/enrich", enriched),
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }
}

fn invalid(reason: &'static str, message: &str) -> StageError {
    StageError::Invalid {
        reason,
        message: message.to_owned(),
    }
}
