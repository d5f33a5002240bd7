//! I/O shell of the notify stage.

use std::sync::Arc;

use dossierflow_domain::Status;
use dossierflow_runtime::config::KafkaArgs;
use dossierflow_runtime::db::claim_event;
use dossierflow_runtime::outbox;
use dossierflow_runtime::stage::{Delivery, Stage, StageError};
use dossierflow_runtime::telemetry::{ChannelLabel, Metrics};
use dossierflow_schemas::{Envelope, NotificationV1, StatusV1, topics};
use sqlx::PgPool;

use super::handle::{Contact, plan};

/// The notify stage.
pub struct Notify {
    /// Database pool.
    pub pool: PgPool,
    /// Topic names.
    pub kafka: KafkaArgs,
    /// Metrics.
    pub metrics: Arc<Metrics>,
}

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
        let mut tx = self.pool.begin().await?;
        if !claim_event(&mut tx, Self::NAME, event.id).await? {
            return Ok(());
        }
        let contact: Option<(serde_json::Value,)> =
            sqlx::query_as("SELECT contact FROM dossier WHERE id = $1")
                .bind(d.dossier_id)
                .fetch_optional(&mut *tx)
                .await?;
        let Some((contact,)) = contact else {
            return Err(StageError::Invalid {
                reason: "unknown_dossier",
                message: "status change for a dossier not in the database".into(),
            });
        };
        let contact: Contact = serde_json::from_value(contact).unwrap_or_default();
        let planned = plan(event.id, status, &contact);
        let mut queued = Vec::with_capacity(planned.len());
        for p in &planned {
            let inserted = sqlx::query(
                "INSERT INTO notification (id, dossier_id, status_event_id, channel, status_code, template)
                 VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT DO NOTHING",
            )
            .bind(p.id)
            .bind(d.dossier_id)
            .bind(event.id)
            .bind(p.channel)
            .bind(i16::from(d.status_code))
            .bind(p.template)
            .execute(&mut *tx)
            .await?;
            if inserted.rows_affected() == 0 {
                continue;
            }
            queued.push(p.channel);
            let n = NotificationV1 {
                notification_id: p.id,
                dossier_id: d.dossier_id,
                status_event_id: event.id,
                channel: p.channel.to_owned(),
                status_code: d.status_code,
                template: p.template.to_owned(),
            };
            outbox::append(
                &mut tx,
                &self.kafka.topic(topics::NOTIFICATION),
                &Envelope::new("/dossierflow/notify", n),
            )
            .await?;
        }
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
