//! The transactions measured by the PostgreSQL part, one dossier at a time: intake's
//! (as `producers/src/intake/store.rs` writes it) and a stage's (as the route stage
//! writes it), both through the real `runtime::outbox` functions.

use chrono::{DateTime, Utc};
use dossierflow_domain::Status;
use dossierflow_runtime::crypto::Keyring;
use dossierflow_runtime::db::claim_event;
use dossierflow_runtime::outbox;
use dossierflow_schemas::{Envelope, RoutedV1, StatusV1, SubmittedV1, topics};
use sqlx::PgPool;
use uuid::Uuid;

use super::records::SUBMITTED_SAMPLE;

/// Topic names as the pipeline writes them into the outbox.
pub const TOPIC_PREFIX: &str = "bench.";
const INTAKE: &str = "/dossierflow/intake";
const ROUTE: &str = "/dossierflow/route";

/// One synthetic submission: the events and values intake writes for it.
pub struct Dossier {
    /// Dossier id.
    pub id: Uuid,
    /// The idempotency key the portal sent.
    pub idem_key: String,
    /// The request digest stored with the key.
    pub request_hash: String,
    /// When it was accepted.
    pub now: DateTime<Utc>,
    /// `dossier.submitted.v1`.
    pub submitted: Envelope<SubmittedV1>,
    /// `dossier.status.v1` (1 submitted).
    pub status: Envelope<StatusV1>,
}

impl Dossier {
    /// A fresh dossier built from the schema sample, with a distinct id number `n`.
    pub fn new(n: u64) -> anyhow::Result<Self> {
        let mut data: SubmittedV1 = serde_json::from_str(SUBMITTED_SAMPLE)?;
        let id = Uuid::now_v7();
        let now = Utc::now();
        data.dossier_id = id;
        data.submitted_at = now;
        data.applicant.id_number = format!("0251{:08}", n % 100_000_000);
        let status = StatusV1 {
            dossier_id: id,
            dossier_code: None,
            status_code: Status::Submitted.code(),
            status: Status::Submitted.as_str().to_owned(),
            previous_code: None,
            reason: None,
            due_at: None,
            changed_at: now,
        };
        Ok(Self {
            id,
            idem_key: Uuid::now_v7().to_string(),
            request_hash: format!("{:064x}", n),
            now,
            submitted: Envelope::new(INTAKE, data),
            status: Envelope::new(INTAKE, status),
        })
    }

    /// The applicant's ID number.
    pub fn id_number(&self) -> &str {
        &self.submitted.data.applicant.id_number
    }

    /// The response stored with the idempotency key.
    pub fn response(&self) -> serde_json::Value {
        serde_json::json!({
            "dossier_id": self.id, "status_code": 1, "status": "submitted",
            "submitted_at": self.now,
        })
    }

    /// The contact column.
    pub fn contact(&self) -> serde_json::Value {
        let a = &self.submitted.data.applicant;
        serde_json::json!({ "phone": a.phone, "email": a.email })
    }

    /// The masked ID kept for officers (first 4, last 2 digits).
    pub fn masked(&self) -> String {
        let id = self.id_number();
        format!("{}******{}", &id[..4], &id[id.len() - 2..])
    }

    /// The last 4 digits.
    pub fn last4(&self) -> String {
        let id = self.id_number();
        id[id.len() - 4..].to_owned()
    }
}

/// Intake's transaction for one dossier: idempotency key, dossier row (sealed and
/// blind-indexed ID), then `dossier.submitted.v1` (sealed) and `dossier.status.v1`
/// into the outbox and the event history.
pub async fn intake_one(pool: &PgPool, keys: &Keyring, d: &Dossier) -> anyhow::Result<()> {
    let mut tx = pool.begin().await?;
    sqlx::query(
        "INSERT INTO idempotency_key (client, key, request_hash, dossier_id, response)
         VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING",
    )
    .bind("bench")
    .bind(&d.idem_key)
    .bind(&d.request_hash)
    .bind(d.id)
    .bind(d.response())
    .execute(&mut *tx)
    .await?;
    let (id_key, id_sealed) = keys.seal(d.id_number().as_bytes(), d.id.as_bytes())?;
    let (index_key, index) = keys.blind_index(d.id_number())?;
    sqlx::query(
        "INSERT INTO dossier (id, procedure_code, status, stage, receiving_unit, applicant_id_masked, contact, submitted_at, applicant_id_last4,
                              applicant_id_sealed, applicant_id_key_id, applicant_id_index, applicant_id_index_key)
         VALUES ($1, $2, 1, 'submitted', $3, $4, $5, $6, $7, $8, $9, $10, $11)",
    )
    .bind(d.id)
    .bind(&d.submitted.data.procedure_code)
    .bind(&d.submitted.data.receiving_unit)
    .bind(d.masked())
    .bind(d.contact())
    .bind(d.now)
    .bind(d.last4())
    .bind(id_sealed)
    .bind(id_key)
    .bind(index)
    .bind(index_key)
    .execute(&mut *tx)
    .await?;
    let submitted = format!("{TOPIC_PREFIX}{}", topics::SUBMITTED);
    outbox::append_sealed(&mut tx, &submitted, &d.submitted, keys).await?;
    let status = format!("{TOPIC_PREFIX}{}", topics::STATUS);
    outbox::append(&mut tx, &status, &d.status).await?;
    tx.commit().await?;
    Ok(())
}

/// A stage's transaction for one dossier, as the route stage writes it: claim the input
/// event in the inbox, lock and update the dossier, then `dossier.routed.v1`, its copy
/// to the agency's topic and `dossier.status.v1` (2 received). The dossier-code counter
/// of the real stage is left out.
pub async fn route_one(pool: &PgPool, id: Uuid, n: u64) -> anyhow::Result<()> {
    let received = Utc::now();
    let due = received + chrono::Duration::days(15);
    let agency = "000.01.30.H43";
    let code = format!("{agency}-261127-{:06}", n);
    let mut tx = pool.begin().await?;
    if !claim_event(&mut tx, "route", Uuid::now_v7()).await? {
        anyhow::bail!("a fresh event id was claimed before");
    }
    let (_previous,): (i16,) =
        sqlx::query_as("SELECT status FROM dossier WHERE id = $1 FOR NO KEY UPDATE")
            .bind(id)
            .fetch_one(&mut *tx)
            .await?;
    sqlx::query(
        "UPDATE dossier SET stage = 'routed', status = 2, agency_id = $2, dossier_code = $3,
                received_at = $4, due_at = $5, updated_at = now()
         WHERE id = $1",
    )
    .bind(id)
    .bind(agency)
    .bind(&code)
    .bind(received)
    .bind(due)
    .execute(&mut *tx)
    .await?;
    let routed = Envelope::new(
        ROUTE,
        RoutedV1 {
            dossier_id: id,
            dossier_code: code.clone(),
            agency_id: agency.to_owned(),
            procedure_code: "1.001193".to_owned(),
            received_at: received,
            due_at: due,
        },
    );
    let status = StatusV1 {
        dossier_id: id,
        dossier_code: Some(code),
        status_code: Status::Received.code(),
        status: Status::Received.as_str().to_owned(),
        previous_code: Some(Status::Submitted.code()),
        reason: None,
        due_at: Some(due),
        changed_at: received,
    };
    let routed_topic = format!("{TOPIC_PREFIX}{}", topics::ROUTED);
    outbox::append(&mut tx, &routed_topic, &routed).await?;
    let agency_topic = format!("{TOPIC_PREFIX}{}", topics::agency(agency));
    outbox::append_copy(&mut tx, &agency_topic, &routed).await?;
    let status_topic = format!("{TOPIC_PREFIX}{}", topics::STATUS);
    outbox::append(&mut tx, &status_topic, &Envelope::new(ROUTE, status)).await?;
    tx.commit().await?;
    Ok(())
}
