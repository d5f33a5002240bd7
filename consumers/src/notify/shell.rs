//! I/O shell of the notify stage.

use std::sync::Arc;

use chrono::{DateTime, NaiveDate, Utc};

use dossierflow_domain::Status;
use dossierflow_runtime::commit_group::CommitGroups;
use dossierflow_runtime::config::KafkaArgs;
use dossierflow_runtime::db::claim_event;
use dossierflow_runtime::outbox;
use dossierflow_runtime::stage::{Delivery, Stage, StageError};
use dossierflow_runtime::telemetry::{ChannelLabel, Metrics};
use dossierflow_schemas::{Envelope, NotificationV1, StatusV1, topics};

use super::channel::NotifyChannel;
use super::handle::{Contact, plan};
use super::order::{self, Change, NewRow};
use super::record::Facts;
use super::templates::template_for;
use crate::deadlines::OVERDUE_REASON;

/// The notify stage.
pub struct Notify {
    /// The database, through group commits (records handled together share a commit).
    pub commits: CommitGroups,
    /// Topic names.
    pub kafka: KafkaArgs,
    /// Metrics.
    pub metrics: Arc<Metrics>,
    /// Channels with a configured provider; only these are planned.
    pub enabled: Vec<NotifyChannel>,
}

/// The dossier facts a notification needs: contact, procedure, dates, names.
type DossierRow = (
    serde_json::Value,
    String,
    DateTime<Utc>,
    Option<String>,
    Option<String>,
    Option<NaiveDate>,
);

#[async_trait::async_trait]
impl Stage for Notify {
    type Input = StatusV1;
    const NAME: &'static str = "notify";

    async fn handle(
        &self,
        event: &Envelope<StatusV1>,
        _delivery: Delivery,
    ) -> Result<(), StageError> {
        let d = &event.data;
        let status = Status::from_code(d.status_code).ok_or_else(|| StageError::Invalid {
            reason: "unknown_status",
            message: format!(
                "status code {} is not a national status code (1-10)",
                d.status_code
            ),
        })?;
        let mut tx = self.commits.begin().await?;
        if !claim_event(&mut tx, Self::NAME, event.id).await? {
            return Ok(());
        }
        let row: Option<DossierRow> = sqlx::query_as(
            "SELECT d.contact, d.procedure_code, d.submitted_at, p.name, a.name,
                    (SELECT supplement_deadline FROM status_change WHERE event_id = $2)
               FROM dossier d
               LEFT JOIN catalog_procedure p ON p.code = d.procedure_code
               LEFT JOIN catalog_agency a ON a.id = d.agency_id
              WHERE d.id = $1",
        )
        .bind(d.dossier_id)
        .bind(event.id)
        .fetch_optional(&mut *tx)
        .await?;
        let Some((contact, procedure_code, submitted_at, procedure_name, agency_name, deadline)) =
            row
        else {
            return Err(StageError::Invalid {
                reason: "unknown_dossier",
                message: "status change for a dossier not in the database".into(),
            });
        };
        let contact: Contact = serde_json::from_value(contact).unwrap_or_default();
        let overdue = d.previous_code.is_none() && d.reason.as_deref() == Some(OVERDUE_REASON);
        let facts = Facts {
            dossier_code: d.dossier_code.clone(),
            procedure_name: procedure_name.unwrap_or_else(|| procedure_code.clone()),
            procedure_code,
            agency_name,
            status_code: d.status_code,
            changed_at: d.changed_at,
            submitted_at,
            due_at: d.due_at,
            reason: d.reason.clone(),
            supplement_deadline: deadline,
            new_appointment: None,
            overdue,
        };
        let facts_json = serde_json::to_value(&facts).map_err(anyhow::Error::from)?;
        let planned = plan(
            event.id,
            status,
            template_for(status, overdue),
            &contact,
            &self.enabled,
        );
        // One statement for every channel's row; only rows new to the table (a replayed
        // status event finds its rows there) get an outbox event.
        let rows: Vec<NewRow<'_>> = planned
            .iter()
            .map(|p| (p.id, p.channel.as_str(), p.template))
            .collect();
        let change = Change {
            dossier_id: d.dossier_id,
            status_event_id: event.id,
            status_code: i16::from(d.status_code),
            facts: &facts_json,
        };
        let new = order::enqueue(&mut tx, change, &rows).await?;
        let queued: Vec<&str> = planned
            .iter()
            .filter(|p| new.contains(&p.id))
            .map(|p| p.channel.as_str())
            .collect();
        let events: Vec<_> = planned
            .iter()
            .filter(|p| new.contains(&p.id))
            .map(|p| {
                let n = NotificationV1 {
                    notification_id: p.id,
                    dossier_id: d.dossier_id,
                    status_event_id: event.id,
                    channel: p.channel.as_str().to_owned(),
                    status_code: d.status_code,
                    template: p.template.to_owned(),
                };
                Envelope::new("/dossierflow/notify", n)
            })
            .collect();
        outbox::append_all(&mut tx, &self.kafka.topic(topics::NOTIFICATION), &events).await?;
        tx.commit().await?;
        for channel in queued {
            self.metrics
                .notifications
                .get_or_create(&ChannelLabel { channel })
                .inc();
        }
        Ok(())
    }
}
