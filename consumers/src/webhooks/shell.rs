//! I/O shell of the webhooks stage: queues a delivery for each routed dossier whose
//! agency has a webhook.

use dossierflow_runtime::commit_group::CommitGroups;
use dossierflow_runtime::db::claim_event;
use dossierflow_runtime::stage::{Delivery, Stage, StageError};
use dossierflow_schemas::{Envelope, RoutedV1};

use super::handle::delivery_id;

/// The enqueue stage.
pub struct Webhooks {
    /// The database, through group commits (records handled together share a commit).
    pub commits: CommitGroups,
}

#[async_trait::async_trait]
impl Stage for Webhooks {
    type Input = RoutedV1;
    const NAME: &'static str = "webhooks";

    async fn handle(
        &self,
        event: &Envelope<RoutedV1>,
        _delivery: Delivery,
    ) -> Result<(), StageError> {
        let d = &event.data;
        let payload = serde_json::to_value(d).map_err(|e| StageError::Invalid {
            reason: "unencodable",
            message: format!("routed event cannot be encoded: {e}"),
        })?;
        let mut tx = self.commits.begin().await?;
        if !claim_event(&mut tx, Self::NAME, event.id).await? {
            return Ok(());
        }
        let hooked: Option<(i32,)> = sqlx::query_as(
            "SELECT 1 FROM agency_endpoint WHERE agency_id = $1 AND webhook_url IS NOT NULL",
        )
        .bind(&d.agency_id)
        .fetch_optional(&mut *tx)
        .await?;
        if hooked.is_some() {
            sqlx::query(
                "INSERT INTO webhook_delivery (id, agency_id, dossier_id, event_id, payload)
                 VALUES ($1, $2, $3, $4, $5) ON CONFLICT (event_id) DO NOTHING",
            )
            .bind(delivery_id(event.id))
            .bind(&d.agency_id)
            .bind(d.dossier_id)
            .bind(event.id)
            .bind(payload)
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok(())
    }
}
