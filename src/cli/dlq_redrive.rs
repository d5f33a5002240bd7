//! `dlq redrive`: republish dead letters to the topic they came from, exactly once per
//! dead letter.
//!
//! Each record is claimed in `dlq_redrive` (`INSERT … ON CONFLICT DO NOTHING`) inside a
//! transaction that stays open while the record is produced (idempotent producer,
//! `acks=all`): it commits only once the broker acknowledged, and a failed publish rolls
//! the claim back (the row is gone), so a later run retries. A record already claimed is
//! counted as "already redriven" and not sent again; a crash between the acknowledgement
//! and the commit re-sends on the next run (at least once; consumers de-duplicate on
//! `ce_id`).

use std::time::Duration;

use rdkafka::message::{Header, OwnedHeaders};
use rdkafka::producer::{FutureProducer, FutureRecord};
use rdkafka::util::Timeout;
use sqlx::PgPool;

use super::dlq_filter::DlqRecord;

/// The header that tells where a redriven record came from.
pub const REDRIVEN_FROM: &str = "dlq_redriven_from";

/// What a redrive did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Counts {
    /// Records matching the filters.
    pub matched: usize,
    /// Republished now (or, with `--dry-run`, that would be).
    pub redriven: usize,
    /// Redriven by an earlier run.
    pub already: usize,
    /// Could not be republished (reason on stderr).
    pub failed: usize,
}

/// The headers of the republished record: the original ones without the `dlq_*`
/// bookkeeping, plus [`REDRIVEN_FROM`].
pub fn republish_headers(r: &DlqRecord) -> OwnedHeaders {
    let id = r.id.to_string();
    r.headers
        .iter()
        .filter(|(k, _)| !k.starts_with("dlq_"))
        .fold(OwnedHeaders::new(), |h, (key, value)| {
            h.insert(Header {
                key,
                value: value.as_deref(),
            })
        })
        .insert(Header {
            key: REDRIVEN_FROM,
            value: Some(id.as_bytes()),
        })
}

async fn already_redriven(pool: &PgPool, dlq_topic: &str, r: &DlqRecord) -> sqlx::Result<bool> {
    let row: Option<(i32,)> = sqlx::query_as(
        "SELECT 1 FROM dlq_redrive WHERE dlq_topic = $1 AND dlq_partition = $2 AND dlq_offset = $3",
    )
    .bind(dlq_topic)
    .bind(r.id.partition)
    .bind(r.id.offset)
    .fetch_optional(pool)
    .await?;
    Ok(row.is_some())
}

/// Outcome of one record.
enum One {
    Redriven,
    Already,
}

async fn redrive_one(
    pool: &PgPool,
    producer: &FutureProducer,
    dlq_topic: &str,
    r: &DlqRecord,
) -> anyhow::Result<One> {
    let Some(target) = r.header("dlq_original_topic").filter(|t| !t.is_empty()) else {
        anyhow::bail!("it has no dlq_original_topic header");
    };
    let mut tx = pool.begin().await?;
    let claimed = sqlx::query(
        "INSERT INTO dlq_redrive (dlq_topic, dlq_partition, dlq_offset, target_topic)
         VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING",
    )
    .bind(dlq_topic)
    .bind(r.id.partition)
    .bind(r.id.offset)
    .bind(&target)
    .execute(&mut *tx)
    .await?;
    if claimed.rows_affected() == 0 {
        return Ok(One::Already);
    }
    let mut record = FutureRecord::to(&target)
        .payload(r.payload.as_deref().unwrap_or_default())
        .headers(republish_headers(r));
    if let Some(key) = &r.key {
        record = record.key(key.as_slice());
    }
    if let Err((e, _)) = producer
        .send(record, Timeout::After(Duration::from_secs(30)))
        .await
    {
        // Rolling back removes the claim, so a later run retries this record.
        tx.rollback().await?;
        anyhow::bail!("publishing to {target} failed: {e}");
    }
    tx.commit().await?;
    Ok(One::Redriven)
}

/// Redrives `records` (already filtered) from `dlq_topic`; `dry_run` only counts.
pub async fn redrive(
    pool: &PgPool,
    producer: Option<&FutureProducer>,
    dlq_topic: &str,
    records: &[DlqRecord],
) -> anyhow::Result<Counts> {
    let mut counts = Counts {
        matched: records.len(),
        ..Counts::default()
    };
    for (i, r) in records.iter().enumerate() {
        let outcome = match producer {
            None => match already_redriven(pool, dlq_topic, r).await? {
                true => Ok(One::Already),
                false => Ok(One::Redriven),
            },
            Some(p) => redrive_one(pool, p, dlq_topic, r).await,
        };
        match outcome {
            Ok(One::Redriven) => counts.redriven += 1,
            Ok(One::Already) => counts.already += 1,
            Err(e) => {
                counts.failed += 1;
                eprintln!("record {}: not redriven: {e:#}", r.id);
            }
        }
        if (i + 1) % 1000 == 0 {
            eprintln!("{}/{} records handled", i + 1, records.len());
        }
    }
    Ok(counts)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cli::dlq_filter::RecordId;
    use rdkafka::message::Headers;

    #[test]
    fn republished_headers_keep_ce_and_content_type_drop_dlq_and_say_where_from() {
        let h = |k: &str, v: &str| (k.to_owned(), Some(v.as_bytes().to_vec()));
        let r = DlqRecord {
            id: RecordId {
                partition: 4,
                offset: 9,
            },
            key: None,
            headers: vec![
                h("ce_id", "e1"),
                h("ce_type", "dossier.status.v1"),
                h("content-type", "application/json"),
                h("dlq_stage", "notify"),
                h("dlq_original_topic", "t.dossier.status.v1"),
                h(REDRIVEN_FROM, "1:1"),
            ],
            payload: None,
        };
        let out = republish_headers(&r);
        let got: Vec<(String, String)> = out
            .iter()
            .map(|h| {
                let v = String::from_utf8_lossy(h.value.unwrap_or_default()).into_owned();
                (h.key.to_owned(), v)
            })
            .collect();
        let want: Vec<(String, String)> = [
            ("ce_id", "e1"),
            ("ce_type", "dossier.status.v1"),
            ("content-type", "application/json"),
            (REDRIVEN_FROM, "4:9"),
        ]
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect();
        assert_eq!(got, want);
    }
}
