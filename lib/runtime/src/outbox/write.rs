//! Writing the outbox: each event goes to `outbox` (what the relay publishes) and, unless
//! it is a delivery copy, to `dossier_event` (the dossier's history), in the caller's
//! transaction and in one statement (a data-modifying CTE), so an event costs one round
//! trip. [`append_all`] writes several events of one type with one statement, through
//! [`Batch`].

use dossierflow_schemas::{Envelope, Event};
use sqlx::PgConnection;
use uuid::Uuid;

use super::batch::Batch;
use crate::crypto::Keyring;

/// Writes an event to the outbox and to the dossier's event history.
pub async fn append<T: Event>(
    tx: &mut PgConnection,
    topic: &str,
    event: &Envelope<T>,
) -> sqlx::Result<()> {
    refuse_sensitive::<T>("write it with outbox::append_sealed")?;
    let payload = serde_json::to_value(&event.data).map_err(|e| sqlx::Error::Encode(e.into()))?;
    with_history(tx, topic, event, payload, None).await
}

/// Appends an event that carries personal data: the history keeps its redacted form,
/// and the outbox row holds the payload sealed with AES-256-GCM under the active data key
/// (the event id as associated data) until the relay opens and publishes it. Nothing
/// personal lies in clear in the table, its backups or its WAL meanwhile.
pub async fn append_sealed<T: Event>(
    tx: &mut PgConnection,
    topic: &str,
    event: &Envelope<T>,
    keys: &Keyring,
) -> sqlx::Result<()> {
    let plain = serde_json::to_vec(&event.data).map_err(|e| sqlx::Error::Encode(e.into()))?;
    let (key_id, blob) = keys
        .seal(&plain, event.id.as_bytes())
        .map_err(|e| sqlx::Error::Encode(e.into()))?;
    let placeholder = serde_json::json!({ "sealed": true });
    with_history(tx, topic, event, placeholder, Some((key_id, blob))).await
}

/// Inserts the event's history row (its redacted form) and its outbox row in one
/// statement.
async fn with_history<T: Event>(
    tx: &mut PgConnection,
    topic: &str,
    event: &Envelope<T>,
    payload: serde_json::Value,
    sealed: Option<(String, Vec<u8>)>,
) -> sqlx::Result<()> {
    let (key_id, blob) = sealed.unzip();
    sqlx::query(
        "WITH history AS (
             INSERT INTO dossier_event (event_id, dossier_id, type, payload, occurred_at)
             VALUES ($1, $2, $3, $4, $5))
         INSERT INTO outbox (id, aggregatetype, aggregateid, type, topic, source, payload, occurred_at,
                             key_id, sealed)
         VALUES ($1, 'dossier', $6, $3, $7, $8, $9, $5, $10, $11)",
    )
    .bind(event.id)
    .bind(event.data.dossier_id())
    .bind(&event.ty)
    .bind(event.data.history())
    .bind(event.time)
    .bind(event.key())
    .bind(topic)
    .bind(&event.source)
    .bind(payload)
    .bind(key_id)
    .bind(blob)
    .execute(&mut *tx)
    .await?;
    Ok(())
}

/// Writes several events (of one type, not carrying personal data) to the outbox and to
/// their dossiers' histories, in order, with one statement whatever their number.
pub async fn append_all<T: Event>(
    tx: &mut PgConnection,
    topic: &str,
    events: &[Envelope<T>],
) -> sqlx::Result<()> {
    // The batch refuses events with personal data.
    let mut batch = Batch::new();
    for e in events {
        batch.add(topic, e)?;
    }
    batch.write(tx).await
}

/// Writes a delivery copy of an event to another topic (e.g. an agency's topic) under a
/// new event id, without adding to the history.
pub async fn append_copy<T: Event>(
    tx: &mut PgConnection,
    topic: &str,
    event: &Envelope<T>,
) -> sqlx::Result<Uuid> {
    let payload = serde_json::to_value(&event.data).map_err(|e| sqlx::Error::Encode(e.into()))?;
    refuse_sensitive::<T>("it is not copied to other topics")?;
    let id = Uuid::now_v7();
    insert(tx, id, topic, event, payload, None).await?;
    Ok(id)
}

async fn insert<T: Event>(
    tx: &mut PgConnection,
    id: Uuid,
    topic: &str,
    event: &Envelope<T>,
    payload: serde_json::Value,
    sealed: Option<(String, Vec<u8>)>,
) -> sqlx::Result<()> {
    let (key_id, blob) = sealed.unzip();
    sqlx::query(
        "INSERT INTO outbox (id, aggregatetype, aggregateid, type, topic, source, payload, occurred_at,
                             key_id, sealed)
         VALUES ($1, 'dossier', $2, $3, $4, $5, $6, $7, $8, $9)",
    )
    .bind(id)
    .bind(event.key())
    .bind(&event.ty)
    .bind(topic)
    .bind(&event.source)
    .bind(payload)
    .bind(event.time)
    .bind(key_id)
    .bind(blob)
    .execute(&mut *tx)
    .await?;
    Ok(())
}

/// Refuses an event type that carries personal data: those rows are sealed, never plain.
pub(super) fn refuse_sensitive<T: Event>(what_instead: &str) -> sqlx::Result<()> {
    if T::SENSITIVE {
        return Err(sqlx::Error::Protocol(format!(
            "{} carries personal data: {what_instead}",
            T::TYPE
        )));
    }
    Ok(())
}
