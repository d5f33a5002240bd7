//! Intake's write pattern for a batch of dossiers in one transaction: the same rows as
//! [`super::pgwrite::intake_one`], written with one multi-row `INSERT … SELECT FROM
//! UNNEST(…)` per table. It shows the headroom batching would give; intake does not
//! batch today.

use chrono::{DateTime, Utc};
use dossierflow_runtime::crypto::Keyring;
use dossierflow_schemas::{Event, topics};
use sqlx::PgPool;
use uuid::Uuid;

use super::pgwrite::{Dossier, TOPIC_PREFIX};

/// Column arrays of the event history (`dossier_event`).
#[derive(Default)]
struct History {
    ids: Vec<Uuid>,
    dossiers: Vec<Uuid>,
    types: Vec<String>,
    payloads: Vec<serde_json::Value>,
    times: Vec<DateTime<Utc>>,
}

impl History {
    fn push(
        &mut self,
        id: Uuid,
        dossier: Uuid,
        ty: &str,
        payload: serde_json::Value,
        at: DateTime<Utc>,
    ) {
        self.ids.push(id);
        self.dossiers.push(dossier);
        self.types.push(ty.to_owned());
        self.payloads.push(payload);
        self.times.push(at);
    }
}

/// Writes every dossier of `batch` in one transaction (seven statements in all).
pub async fn intake_batch(pool: &PgPool, keys: &Keyring, batch: &[Dossier]) -> anyhow::Result<()> {
    let n = batch.len();
    let ids: Vec<Uuid> = batch.iter().map(|d| d.id).collect();
    let idem: Vec<String> = batch.iter().map(|d| d.idem_key.clone()).collect();
    let hashes: Vec<String> = batch.iter().map(|d| d.request_hash.clone()).collect();
    let responses: Vec<serde_json::Value> = batch.iter().map(Dossier::response).collect();
    let procedures: Vec<String> = batch
        .iter()
        .map(|d| d.submitted.data.procedure_code.clone())
        .collect();
    let units: Vec<String> = batch
        .iter()
        .map(|d| d.submitted.data.receiving_unit.clone().unwrap_or_default())
        .collect();
    let masked: Vec<String> = batch.iter().map(Dossier::masked).collect();
    let contacts: Vec<serde_json::Value> = batch.iter().map(Dossier::contact).collect();
    let times: Vec<DateTime<Utc>> = batch.iter().map(|d| d.now).collect();
    let last4: Vec<String> = batch.iter().map(Dossier::last4).collect();
    let (mut id_keys, mut id_sealed) = (Vec::with_capacity(n), Vec::with_capacity(n));
    let (mut index_keys, mut indexes) = (Vec::with_capacity(n), Vec::with_capacity(n));
    // Outbox rows: the sealed submitted event and the plain status event per dossier.
    let (mut sealed_keys, mut sealed_blobs) = (Vec::with_capacity(n), Vec::with_capacity(n));
    let mut history = History::default();
    for d in batch {
        let (k, s) = keys.seal(d.id_number().as_bytes(), d.id.as_bytes())?;
        id_keys.push(k);
        id_sealed.push(s);
        let (k, i) = keys.blind_index(d.id_number())?;
        index_keys.push(k);
        indexes.push(i);
        let plain = serde_json::to_vec(&d.submitted.data)?;
        let (k, blob) = keys.seal(&plain, d.submitted.id.as_bytes())?;
        sealed_keys.push(k);
        sealed_blobs.push(blob);
        history.push(
            d.submitted.id,
            d.id,
            &d.submitted.ty,
            d.submitted.data.history(),
            d.submitted.time,
        );
        history.push(
            d.status.id,
            d.id,
            &d.status.ty,
            d.status.data.history(),
            d.status.time,
        );
    }
    let mut tx = pool.begin().await?;
    sqlx::query(
        "INSERT INTO idempotency_key (client, key, request_hash, dossier_id, response)
         SELECT 'bench', * FROM UNNEST($1::text[], $2::text[], $3::uuid[], $4::jsonb[])
         ON CONFLICT DO NOTHING",
    )
    .bind(&idem)
    .bind(&hashes)
    .bind(&ids)
    .bind(&responses)
    .execute(&mut *tx)
    .await?;
    sqlx::query(
        "INSERT INTO dossier (id, procedure_code, status, stage, receiving_unit, applicant_id_masked, contact, submitted_at, applicant_id_last4,
                              applicant_id_sealed, applicant_id_key_id, applicant_id_index, applicant_id_index_key)
         SELECT id, p, 1, 'submitted', NULLIF(u, ''), m, c, t, l4, s, sk, i, ik
           FROM UNNEST($1::uuid[], $2::text[], $3::text[], $4::text[], $5::jsonb[], $6::timestamptz[],
                       $7::text[], $8::bytea[], $9::text[], $10::text[], $11::text[])
                AS x(id, p, u, m, c, t, l4, s, sk, i, ik)",
    )
    .bind(&ids)
    .bind(&procedures)
    .bind(&units)
    .bind(&masked)
    .bind(&contacts)
    .bind(&times)
    .bind(&last4)
    .bind(&id_sealed)
    .bind(&id_keys)
    .bind(&indexes)
    .bind(&index_keys)
    .execute(&mut *tx)
    .await?;
    sqlx::query(
        "INSERT INTO dossier_event (event_id, dossier_id, type, payload, occurred_at)
         SELECT * FROM UNNEST($1::uuid[], $2::uuid[], $3::text[], $4::jsonb[], $5::timestamptz[])",
    )
    .bind(&history.ids)
    .bind(&history.dossiers)
    .bind(&history.types)
    .bind(&history.payloads)
    .bind(&history.times)
    .execute(&mut *tx)
    .await?;
    let aggregate: Vec<String> = ids.iter().map(Uuid::to_string).collect();
    let sub_ids: Vec<Uuid> = batch.iter().map(|d| d.submitted.id).collect();
    let sub_times: Vec<DateTime<Utc>> = batch.iter().map(|d| d.submitted.time).collect();
    sqlx::query(
        "INSERT INTO outbox (id, aggregatetype, aggregateid, type, topic, source, payload, occurred_at, key_id, sealed)
         SELECT id, 'dossier', a, $3, $4, $5, '{\"sealed\":true}'::jsonb, t, k, s
           FROM UNNEST($1::uuid[], $2::text[], $6::timestamptz[], $7::text[], $8::bytea[]) AS x(id, a, t, k, s)",
    )
    .bind(&sub_ids)
    .bind(&aggregate)
    .bind(dossierflow_schemas::SubmittedV1::TYPE)
    .bind(format!("{TOPIC_PREFIX}{}", topics::SUBMITTED))
    .bind("/dossierflow/intake")
    .bind(&sub_times)
    .bind(&sealed_keys)
    .bind(&sealed_blobs)
    .execute(&mut *tx)
    .await?;
    let st_ids: Vec<Uuid> = batch.iter().map(|d| d.status.id).collect();
    let st_times: Vec<DateTime<Utc>> = batch.iter().map(|d| d.status.time).collect();
    let st_payloads: Vec<serde_json::Value> = batch
        .iter()
        .map(|d| serde_json::to_value(&d.status.data))
        .collect::<Result<_, _>>()?;
    sqlx::query(
        "INSERT INTO outbox (id, aggregatetype, aggregateid, type, topic, source, payload, occurred_at)
         SELECT id, 'dossier', a, $3, $4, $5, p, t
           FROM UNNEST($1::uuid[], $2::text[], $6::jsonb[], $7::timestamptz[]) AS x(id, a, p, t)",
    )
    .bind(&st_ids)
    .bind(&aggregate)
    .bind(dossierflow_schemas::StatusV1::TYPE)
    .bind(format!("{TOPIC_PREFIX}{}", topics::STATUS))
    .bind("/dossierflow/intake")
    .bind(&st_payloads)
    .bind(&st_times)
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(())
}
