//! I/O shell of the enrich stage.

use dossierflow_csdlqg::CitizenRecord;
use dossierflow_domain::ProcedureCode;
use dossierflow_runtime::config::KafkaArgs;
use dossierflow_runtime::db::claim_event;
use dossierflow_runtime::outbox;
use dossierflow_runtime::stage::{Delivery, Stage, StageError};
use dossierflow_schemas::{EnrichedV1, Envelope, VerificationOutcome, VerifiedV1, topics};
use sqlx::PgPool;

use super::handle::decide;
use crate::Facts;

/// The enrich stage.
pub struct Enrich {
    /// Database pool.
    pub pool: PgPool,
    /// Catalogue and calendar.
    pub facts: Facts,
    /// Topic names.
    pub kafka: KafkaArgs,
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
        let mut tx = self.pool.begin().await?;
        if !claim_event(&mut tx, Self::NAME, event.id).await? {
            return Ok(());
        }
        if event.data.outcome != VerificationOutcome::Verified {
            tx.commit().await?; // refused: final, nothing to enrich
            return Ok(());
        }
        let row: Option<(String, Option<String>, serde_json::Value)> = sqlx::query_as(
            "SELECT d.procedure_code, d.receiving_unit, s.record FROM dossier d
             JOIN citizen_record_staging s ON s.dossier_id = d.id WHERE d.id = $1 FOR UPDATE OF d",
        )
        .bind(dossier_id)
        .fetch_optional(&mut *tx)
        .await?;
        let Some((procedure_code, receiving_unit, record)) = row else {
            return Err(invalid(
                "missing_record",
                "no staged population record for this dossier",
            ));
        };
        let record: CitizenRecord = serde_json::from_value(record)
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
        sqlx::query("INSERT INTO dossier_citizen_data (dossier_id, fields) VALUES ($1, $2) ON CONFLICT (dossier_id) DO UPDATE SET fields = EXCLUDED.fields")
            .bind(dossier_id)
            .bind(serde_json::Value::Object(enrichment.fields))
            .execute(&mut *tx)
            .await?;
        sqlx::query("DELETE FROM citizen_record_staging WHERE dossier_id = $1")
            .bind(dossier_id)
            .execute(&mut *tx)
            .await?;
        sqlx::query("UPDATE dossier SET stage = 'enriched', updated_at = now() WHERE id = $1")
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
