//! I/O shell of the verify stage: lookup, then one transaction.

use std::sync::Arc;
use std::time::Instant;

use dossierflow_csdlqg::{LookupError, LookupRequest, PopulationRegistry, compare};
use dossierflow_domain::DiacriticPolicy;
use dossierflow_runtime::config::KafkaArgs;
use dossierflow_runtime::db::{claim_event, was_processed};
use dossierflow_runtime::outbox;
use dossierflow_runtime::stage::{Delivery, Stage, StageError};
use dossierflow_runtime::telemetry::{Metrics, OutcomeLabel};
use dossierflow_schemas::{Envelope, SubmittedV1, topics};
use sqlx::{PgPool, Postgres, Transaction};

use super::handle::{Applicant, decide, parse_applicant};

/// Who looks up, on whose behalf, and how names are compared.
#[derive(Debug, Clone)]
pub struct VerifyConfig {
    /// Officer code sent as `MaCanBo` and recorded in the audit.
    pub officer: String,
    /// Agency e-identifier sent as `MaDonVi`.
    pub agency: String,
    /// Name comparison policy.
    pub policy: DiacriticPolicy,
}

/// The verify stage.
pub struct Verify {
    /// Database pool.
    pub pool: PgPool,
    /// The population register (SOAP client in production, simulator in tests).
    pub registry: Arc<dyn PopulationRegistry>,
    /// Settings.
    pub config: VerifyConfig,
    /// Topic names.
    pub kafka: KafkaArgs,
    /// Metrics.
    pub metrics: Arc<Metrics>,
}

/// Citizen fields every lookup requests (the audit records names, not values).
const FIELDS_REQUESTED: [&str; 3] = ["full_name", "id_number", "birth_date"];

#[async_trait::async_trait]
impl Stage for Verify {
    type Input = SubmittedV1;
    const NAME: &'static str = "verify";

    async fn handle(
        &self,
        event: &Envelope<SubmittedV1>,
        _delivery: Delivery,
    ) -> Result<(), StageError> {
        if was_processed(&self.pool, Self::NAME, event.id).await? {
            return Ok(());
        }
        let applicant =
            parse_applicant(&event.data.applicant).map_err(|message| StageError::Invalid {
                reason: "invalid_applicant",
                message,
            })?;
        // One request id per event: a retried lookup reuses it (CSDLQG-side idempotency).
        let request_id = event.id.simple().to_string();
        let request = LookupRequest {
            request_id: request_id.clone(),
            procedure_code: event.data.procedure_code.clone(),
            id: applicant.id.clone(),
            name: applicant.name.clone(),
            birth: applicant.birth,
        };
        let record = self.lookup(&request).await?;
        let outcome = compare(&request, record.as_ref(), self.config.policy);
        let decision = decide(
            event.data.dossier_id,
            &request_id,
            &outcome,
            chrono::Utc::now(),
        );

        let mut tx = self.pool.begin().await?;
        if !claim_event(&mut tx, Self::NAME, event.id).await? {
            return Ok(());
        }
        upsert_dossier(&mut tx, &event.data, &applicant).await?;
        sqlx::query(
            "UPDATE dossier SET stage = $2, verification = $3, mismatch_fields = $4,
                    status = CASE WHEN $5 THEN 3 ELSE status END, updated_at = now()
             WHERE id = $1",
        )
        .bind(event.data.dossier_id)
        .bind(decision.stage)
        .bind(decision.verified.outcome.as_str())
        .bind(&decision.verified.mismatched_fields)
        .bind(decision.refusal.is_some())
        .execute(&mut *tx)
        .await?;
        sqlx::query(
            "INSERT INTO csdlqg_lookup (request_id, dossier_id, procedure_code, officer, agency, purpose, fields_requested, outcome)
             VALUES ($1, $2, $3, $4, $5, 'verify_applicant', $6, $7) ON CONFLICT (request_id) DO NOTHING",
        )
        .bind(&request_id)
        .bind(event.data.dossier_id)
        .bind(&event.data.procedure_code)
        .bind(&self.config.officer)
        .bind(&self.config.agency)
        .bind(&FIELDS_REQUESTED[..])
        .bind(decision.verified.outcome.as_str())
        .execute(&mut *tx)
        .await?;
        if let (Some(record), None) = (&record, &decision.refusal) {
            let json = serde_json::to_value(record).map_err(anyhow::Error::from)?;
            sqlx::query("INSERT INTO citizen_record_staging (dossier_id, record) VALUES ($1, $2) ON CONFLICT (dossier_id) DO UPDATE SET record = EXCLUDED.record")
                .bind(event.data.dossier_id)
                .bind(json)
                .execute(&mut *tx)
                .await?;
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
}

impl Verify {
    async fn lookup(
        &self,
        request: &LookupRequest,
    ) -> Result<Option<dossierflow_csdlqg::CitizenRecord>, StageError> {
        let started = Instant::now();
        let result = self.registry.lookup(request).await;
        self.metrics
            .csdlqg_duration
            .observe(started.elapsed().as_secs_f64());
        let label = match &result {
            Ok(Some(_)) => "found",
            Ok(None) => "not_found",
            Err(e) => e.class(),
        };
        self.metrics
            .csdlqg_requests
            .get_or_create(&OutcomeLabel { outcome: label })
            .inc();
        result.map_err(|e| match e {
            LookupError::Transient { .. } | LookupError::CircuitOpen { .. } => {
                StageError::Transient(anyhow::anyhow!("CSDLQG: {e}"))
            }
            other => StageError::Invalid {
                reason: other.class(),
                message: other.to_string(),
            },
        })
    }
}

/// The portal may publish straight to Kafka, so the dossier row may not exist yet.
async fn upsert_dossier(
    tx: &mut Transaction<'_, Postgres>,
    d: &SubmittedV1,
    applicant: &Applicant,
) -> sqlx::Result<()> {
    let contact = serde_json::json!({ "phone": d.applicant.phone, "email": d.applicant.email });
    sqlx::query(
        "INSERT INTO dossier (id, procedure_code, status, stage, receiving_unit, applicant_id_masked, contact, submitted_at)
         VALUES ($1, $2, 1, 'submitted', $3, $4, $5, $6) ON CONFLICT (id) DO NOTHING",
    )
    .bind(d.dossier_id)
    .bind(&d.procedure_code)
    .bind(&d.receiving_unit)
    .bind(applicant.id.masked())
    .bind(contact)
    .bind(d.submitted_at)
    .execute(&mut **tx)
    .await?;
    Ok(())
}
