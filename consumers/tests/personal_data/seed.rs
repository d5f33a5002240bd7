//! Test data: keyrings and dossier rows written the way intake writes them.

use dossierflow_runtime::crypto::Keyring;
use sqlx::PgPool;
use uuid::Uuid;

/// Synthetic IDs (valid CCCD shape: known province prefix).
pub const ALICE: &str = "025190012387";
pub const BOB: &str = "025190012388";
pub const CAROL: &str = "001203004587";

/// base64 of 32 bytes of `byte` (the keys of these tests).
fn b64(byte: u8) -> &'static str {
    match byte {
        1 => "AQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQE=",
        2 => "AgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgI=",
        11 => "CwsLCwsLCwsLCwsLCwsLCwsLCwsLCwsLCwsLCwsLCws=",
        _ => "DAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAw=",
    }
}

/// A keyring with data keys `(id, byte)` and index keys `(id, byte)`.
pub fn ring(
    data: &[(&str, u8)],
    active: &str,
    index: &[(&str, u8)],
    index_active: &str,
) -> Keyring {
    let list = |keys: &[(&str, u8)]| {
        keys.iter()
            .map(|(id, b)| format!("{id}:{}", b64(*b)))
            .collect::<Vec<_>>()
            .join(",")
    };
    Keyring::parse(&list(data), active)
        .and_then(|k| k.with_index_keys(&list(index), index_active))
        .expect("keyring")
}

/// The first configuration: data key `k1`, index key `i1`.
pub fn old_ring() -> Keyring {
    ring(&[("k1", 1)], "k1", &[("i1", 11)], "i1")
}

/// Mid-rotation: both keys configured, the new ones active.
pub fn both_ring() -> Keyring {
    ring(
        &[("k1", 1), ("k2", 2)],
        "k2",
        &[("i1", 11), ("i2", 12)],
        "i2",
    )
}

/// After rotation: only the new keys.
pub fn new_ring() -> Keyring {
    ring(&[("k2", 2)], "k2", &[("i2", 12)], "i2")
}

/// Inserts a dossier with the applicant ID sealed and blind-indexed as intake does.
pub async fn dossier(pool: &PgPool, keys: &Keyring, id_digits: &str, status: i16) -> Uuid {
    let id = Uuid::now_v7();
    let (key_id, sealed) = keys
        .seal(id_digits.as_bytes(), id.as_bytes())
        .expect("seal");
    let (index_key, index) = keys.blind_index(id_digits).expect("index");
    let masked = format!(
        "{}******{}",
        &id_digits[..4],
        &id_digits[id_digits.len() - 2..]
    );
    sqlx::query(
        "INSERT INTO dossier (id, procedure_code, status, stage, applicant_id_masked, submitted_at,
                              applicant_id_last4, applicant_id_sealed, applicant_id_key_id,
                              applicant_id_index, applicant_id_index_key)
         VALUES ($1, '1.001193', $2, 'routed', $3, now(), $4, $5, $6, $7, $8)",
    )
    .bind(id)
    .bind(status)
    .bind(masked)
    .bind(&id_digits[id_digits.len() - 4..])
    .bind(sealed)
    .bind(key_id)
    .bind(index)
    .bind(index_key)
    .execute(pool)
    .await
    .expect("insert dossier");
    id
}

/// Adds sealed citizen data and a staged record for a dossier.
pub async fn citizen_data(pool: &PgPool, keys: &Keyring, dossier: Uuid) {
    let (k, s) = keys
        .seal(b"{\"full_name\":\"Nguyen\"}", dossier.as_bytes())
        .expect("seal");
    sqlx::query("INSERT INTO dossier_citizen_data (dossier_id, key_id, sealed, field_names) VALUES ($1, $2, $3, '{full_name}')")
        .bind(dossier)
        .bind(k)
        .bind(s)
        .execute(pool)
        .await
        .expect("citizen data");
    let (k, s) = keys
        .seal(b"{\"record\":1}", dossier.as_bytes())
        .expect("seal");
    sqlx::query(
        "INSERT INTO citizen_record_staging (dossier_id, key_id, sealed) VALUES ($1, $2, $3)",
    )
    .bind(dossier)
    .bind(k)
    .bind(s)
    .execute(pool)
    .await
    .expect("staging");
}

/// Every sealed value of the database opens under `keys`: (opened, total).
pub async fn open_all(pool: &PgPool, keys: &Keyring) -> (usize, usize) {
    let mut rows: Vec<(Uuid, String, Vec<u8>)> = sqlx::query_as(
        "SELECT id, applicant_id_key_id, applicant_id_sealed FROM dossier WHERE applicant_id_sealed IS NOT NULL
         UNION ALL SELECT dossier_id, key_id, sealed FROM dossier_citizen_data
         UNION ALL SELECT dossier_id, key_id, sealed FROM citizen_record_staging
         UNION ALL SELECT id, key_id, sealed FROM outbox WHERE sealed IS NOT NULL",
    )
    .fetch_all(pool)
    .await
    .expect("sealed values");
    let total = rows.len();
    rows.retain(|(id, k, s)| keys.open(k, s, id.as_bytes()).is_ok());
    (rows.len(), total)
}
