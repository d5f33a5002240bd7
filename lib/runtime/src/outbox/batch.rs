//! Several outbox events, of any types and topics, written with one statement.
//!
//! A stage that emits more than one event per record (route: the routed event, its
//! agency copy and the status change) pays one round trip for all of them instead of one
//! each. This matters most inside a critical section: route holds the day's dossier-code
//! counter row until it commits, so every statement after taking a code delays every
//! other dossier of that agency.

use dossierflow_schemas::{Envelope, Event};
use sqlx::PgConnection;
use uuid::Uuid;

use super::write::refuse_sensitive;

/// Events collected in order; [`Batch::write`] inserts them all. Events with personal
/// data are refused (they are sealed one by one with `append_sealed`).
#[derive(Default)]
pub struct Batch {
    ids: Vec<Uuid>,
    dossiers: Vec<Uuid>,
    keys: Vec<String>,
    types: Vec<String>,
    topics: Vec<String>,
    sources: Vec<String>,
    times: Vec<chrono::DateTime<chrono::Utc>>,
    payloads: Vec<serde_json::Value>,
    histories: Vec<serde_json::Value>,
    in_history: Vec<bool>,
}

impl Batch {
    /// An empty batch.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds an event for `topic`, also recorded in its dossier's history (like `append`).
    pub fn add<T: Event>(&mut self, topic: &str, event: &Envelope<T>) -> sqlx::Result<&mut Self> {
        self.push(topic, event, event.id, true)
    }

    /// Adds a delivery copy of an event for another topic, under a new event id and
    /// without a history row (like `append_copy`); returns the copy's id.
    pub fn add_copy<T: Event>(&mut self, topic: &str, event: &Envelope<T>) -> sqlx::Result<Uuid> {
        let id = Uuid::now_v7();
        self.push(topic, event, id, false)?;
        Ok(id)
    }

    /// Events collected so far.
    pub fn len(&self) -> usize {
        self.ids.len()
    }

    /// Whether nothing was added.
    pub fn is_empty(&self) -> bool {
        self.ids.is_empty()
    }

    fn push<T: Event>(
        &mut self,
        topic: &str,
        event: &Envelope<T>,
        id: Uuid,
        in_history: bool,
    ) -> sqlx::Result<&mut Self> {
        refuse_sensitive::<T>("write it with outbox::append_sealed")?;
        let payload =
            serde_json::to_value(&event.data).map_err(|e| sqlx::Error::Encode(e.into()))?;
        self.ids.push(id);
        self.dossiers.push(event.data.dossier_id());
        self.keys.push(event.key());
        self.types.push(event.ty.clone());
        self.topics.push(topic.to_owned());
        self.sources.push(event.source.clone());
        self.times.push(event.time);
        self.payloads.push(payload);
        self.histories.push(event.data.history());
        self.in_history.push(in_history);
        Ok(self)
    }

    /// Writes every event to the outbox, and those added with [`Batch::add`] to the
    /// history, in the order added, with one statement. Nothing is sent for an empty batch.
    pub async fn write(self, tx: &mut PgConnection) -> sqlx::Result<()> {
        if self.is_empty() {
            return Ok(());
        }
        // `ord` keeps the given order in both tables (the outbox is published in insert order).
        sqlx::query(
            "WITH e AS (SELECT * FROM UNNEST($1::uuid[], $2::uuid[], $3::text[], $4::text[], $5::text[],
                                            $6::text[], $7::timestamptz[], $8::jsonb[], $9::jsonb[],
                                            $10::bool[])
                             WITH ORDINALITY AS e(id, dossier_id, key, type, topic, source, at, payload,
                                                  history, in_history, ord)),
                  history AS (
                    INSERT INTO dossier_event (event_id, dossier_id, type, payload, occurred_at)
                    SELECT id, dossier_id, type, history, at FROM e WHERE in_history ORDER BY ord)
             INSERT INTO outbox (id, aggregatetype, aggregateid, type, topic, source, payload, occurred_at)
             SELECT id, 'dossier', key, type, topic, source, payload, at FROM e ORDER BY ord",
        )
        .bind(&self.ids)
        .bind(&self.dossiers)
        .bind(&self.keys)
        .bind(&self.types)
        .bind(&self.topics)
        .bind(&self.sources)
        .bind(&self.times)
        .bind(&self.payloads)
        .bind(&self.histories)
        .bind(&self.in_history)
        .execute(&mut *tx)
        .await?;
        Ok(())
    }
}
