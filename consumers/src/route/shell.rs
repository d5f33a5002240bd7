//! I/O shell of the route stage.

use dossierflow_domain::ProcedureCode;
use dossierflow_domain::Status;
use dossierflow_runtime::commit_group::CommitGroups;
use dossierflow_runtime::config::KafkaArgs;
use dossierflow_runtime::db::claim_event;
use dossierflow_runtime::outbox;
use dossierflow_runtime::stage::{Delivery, Stage, StageError};
use dossierflow_schemas::{EnrichedV1, Envelope, RoutedV1, StatusV1, TriageV1, topics};

use super::codes::{CodeGenError, next_code};
use super::handle::{Target, choose, due_date, reception_day};
use crate::Facts;

/// The route stage.
pub struct Route {
    /// The database, through group commits (records handled together share a commit).
    pub commits: CommitGroups,
    /// Catalogue and calendar.
    pub facts: Facts,
    /// Topic names.
    pub kafka: KafkaArgs,
}

const SOURCE: &str = "/dossierflow/route";

#[async_trait::async_trait]
impl Stage for Route {
    type Input = EnrichedV1;
    const NAME: &'static str = "route";

    async fn handle(
        &self,
        event: &Envelope<EnrichedV1>,
        _delivery: Delivery,
    ) -> Result<(), StageError> {
        let d = &event.data;
        let procedure = ProcedureCode::parse(&d.procedure_code)
            .ok()
            .and_then(|c| self.facts.catalog.procedure(&c))
            .ok_or_else(|| StageError::Invalid {
                reason: "unknown_procedure",
                message: format!("procedure {} is not in the catalogue", d.procedure_code),
            })?;
        let target = choose(
            procedure,
            d.receiving_unit.as_deref(),
            d.residence_commune.as_deref(),
            &self.facts.catalog,
        );
        let mut tx = self.commits.begin().await?;
        if !claim_event(&mut tx, Self::NAME, event.id).await? {
            return Ok(());
        }
        let agency = match target {
            Target::Agency(a) => a,
            Target::Triage(reason) => {
                tracing::info!(%reason, "dossier sent to manual triage");
                sqlx::query(
                    "UPDATE dossier SET stage = 'triage', updated_at = now() WHERE id = $1",
                )
                .bind(d.dossier_id)
                .execute(&mut *tx)
                .await?;
                let triage = TriageV1 {
                    dossier_id: d.dossier_id,
                    procedure_code: d.procedure_code.clone(),
                    reason,
                };
                outbox::append(
                    &mut tx,
                    &self.kafka.topic(topics::TRIAGE),
                    &Envelope::new(SOURCE, triage),
                )
                .await?;
                tx.commit().await?;
                return Ok(());
            }
        };
        let (previous,): (i16,) =
            sqlx::query_as("SELECT status FROM dossier WHERE id = $1 FOR NO KEY UPDATE")
                .bind(d.dossier_id)
                .fetch_one(&mut *tx)
                .await?;
        let from = Status::from_code(previous as u8).unwrap_or(Status::Submitted);
        from.transition(Status::Received)
            .map_err(|e| StageError::Invalid {
                reason: "illegal_transition",
                message: e.to_string(),
            })?;
        let received = chrono::Utc::now();
        let due = due_date(procedure, received, &self.facts.calendar).map_err(|message| {
            StageError::Invalid {
                reason: "reception",
                message,
            }
        })?;
        // The day's code counter row stays locked until this transaction commits, and
        // every other dossier of the agency waits for it: take the code last, and write
        // what follows with as few statements as possible (two and the commit).
        let code = next_code(&mut tx, &agency, reception_day(received))
            .await
            .map_err(|e| match e {
                CodeGenError::Db(e) => StageError::from(e),
                other => StageError::Invalid {
                    reason: "reception",
                    message: other.to_string(),
                },
            })?;
        sqlx::query(
            "UPDATE dossier SET stage = 'routed', status = 2, agency_id = $2, dossier_code = $3,
                    received_at = $4, due_at = $5, updated_at = now()
             WHERE id = $1",
        )
        .bind(d.dossier_id)
        .bind(agency.as_str())
        .bind(code.to_string())
        .bind(received)
        .bind(due)
        .execute(&mut *tx)
        .await?;
        let routed = Envelope::new(
            SOURCE,
            RoutedV1 {
                dossier_id: d.dossier_id,
                dossier_code: code.to_string(),
                agency_id: agency.to_string(),
                procedure_code: d.procedure_code.clone(),
                received_at: received,
                due_at: due,
            },
        );
        let status = StatusV1 {
            dossier_id: d.dossier_id,
            dossier_code: Some(code.to_string()),
            status_code: Status::Received.code(),
            status: Status::Received.as_str().to_owned(),
            previous_code: Some(from.code()),
            reason: None,
            due_at: Some(due),
            changed_at: received,
        };
        let mut events = outbox::Batch::new();
        events.add(&self.kafka.topic(topics::ROUTED), &routed)?;
        events.add_copy(&self.kafka.topic(&topics::agency(agency.as_str())), &routed)?;
        events.add(
            &self.kafka.topic(topics::STATUS),
            &Envelope::new(SOURCE, status),
        )?;
        events.write(&mut tx).await?;
        tx.commit().await?;
        Ok(())
    }
}
