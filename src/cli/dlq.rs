//! `dossierflow dlq list | show | redrive`: inspect and redrive the dead-letter topic
//! (`dossier.dlq.v1` with the configured topic prefix).
//!
//! Reading never joins a consumer group and never commits (see [`super::dlq_read`]);
//! `show` masks personal data (see [`super::dlq_redact`]); `redrive` republishes each
//! dead letter at most once (see [`super::dlq_redrive`]).

use clap::{Args, Subcommand};
use dossierflow_runtime::config::{DbArgs, KafkaArgs};
use dossierflow_schemas::topics;

use super::dlq_filter::{DlqRecord, Filter, RecordId, json_line, parse_instant, render_table};
use super::{dlq_read, dlq_redact, dlq_redrive};

/// Options of `dlq`.
#[derive(Debug, Args)]
pub struct DlqArgs {
    #[command(subcommand)]
    action: Action,
}

#[derive(Debug, Subcommand)]
enum Action {
    /// List dead letters (table, or JSON lines with --json), oldest offset first.
    List {
        #[command(flatten)]
        filter: FilterArgs,
        /// Print at most this many records (the count line still counts every match).
        #[arg(long)]
        limit: Option<usize>,
        /// One JSON object per line (id, key and every dlq_* and ce_* header).
        #[arg(long)]
        json: bool,
        #[command(flatten)]
        kafka: KafkaArgs,
    },
    /// Show one dead letter: every header and the payload, personal data masked.
    Show {
        /// The record, as PARTITION:OFFSET in the dead-letter topic (see `dlq list`).
        id: RecordId,
        #[command(flatten)]
        kafka: KafkaArgs,
    },
    /// Republish matching dead letters to their original topic, once each (recorded in
    /// the dlq_redrive table), without the dlq_* headers and with dlq_redriven_from.
    Redrive {
        #[command(flatten)]
        filter: FilterArgs,
        /// Only count what would be redriven; publish and record nothing.
        #[arg(long)]
        dry_run: bool,
        #[command(flatten)]
        kafka: KafkaArgs,
        #[command(flatten)]
        db: DbArgs,
    },
}

/// The filters shared by `list` and `redrive`.
#[derive(Debug, Clone, Args)]
struct FilterArgs {
    /// Only records dead-lettered by this stage (header dlq_stage, e.g. verify, notify).
    #[arg(long)]
    stage: Option<String>,
    /// Only records with this error class (header dlq_error_class, e.g. undecodable).
    #[arg(long)]
    reason: Option<String>,
    /// Only records dead-lettered at or after this time: RFC 3339, or a duration ago
    /// such as 90s, 15m, 2h or 7d.
    #[arg(long)]
    since: Option<String>,
    /// Only records dead-lettered before this time: RFC 3339, or a duration ago.
    #[arg(long)]
    until: Option<String>,
}

impl FilterArgs {
    fn filter(&self) -> anyhow::Result<Filter> {
        let now = chrono::Utc::now();
        let when = |flag: &str, v: &Option<String>| {
            v.as_deref()
                .map(|s| parse_instant(s, now).map_err(|e| anyhow::anyhow!("--{flag}: {e}")))
                .transpose()
        };
        Ok(Filter {
            stage: self.stage.clone(),
            reason: self.reason.clone(),
            since: when("since", &self.since)?,
            until: when("until", &self.until)?,
        })
    }
}

fn brokers(kafka: &KafkaArgs) -> anyhow::Result<String> {
    kafka
        .brokers
        .clone()
        .ok_or_else(|| anyhow::anyhow!("--brokers (or DOSSIER__KAFKA__BROKERS) is required"))
}

/// Reads the matching dead letters on a blocking thread.
async fn read_matching(kafka: &KafkaArgs, filter: Filter) -> anyhow::Result<Vec<DlqRecord>> {
    let (brokers, topic) = (brokers(kafka)?, kafka.topic(topics::DEAD_LETTER));
    let security = kafka.security.clone();
    tokio::task::spawn_blocking(move || {
        dlq_read::read_all(&brokers, &security, &topic, |r| filter.matches(r))
    })
    .await?
}

/// Runs `dlq <action>`.
pub async fn run(args: DlqArgs) -> anyhow::Result<()> {
    match args.action {
        Action::List {
            filter,
            limit,
            json,
            kafka,
        } => {
            let records = read_matching(&kafka, filter.filter()?).await?;
            let shown = &records[..limit.unwrap_or(usize::MAX).min(records.len())];
            if json {
                for r in shown {
                    println!("{}", json_line(r));
                }
                eprintln!("{} record(s), {} printed", records.len(), shown.len());
            } else {
                let rows: Vec<[String; 8]> =
                    shown.iter().map(super::dlq_filter::table_row).collect();
                print!("{}", render_table(&rows));
                println!(
                    "{} record(s) in {}{}",
                    records.len(),
                    kafka.topic(topics::DEAD_LETTER),
                    if shown.len() < records.len() {
                        format!(", {} shown", shown.len())
                    } else {
                        String::new()
                    }
                );
            }
            Ok(())
        }
        Action::Show { id, kafka } => {
            let (brokers, topic) = (brokers(&kafka)?, kafka.topic(topics::DEAD_LETTER));
            let (shown, security) = (topic.clone(), kafka.security.clone());
            let r = tokio::task::spawn_blocking(move || {
                dlq_read::read_one(&brokers, &security, &topic, id)
            })
            .await??;
            print!("{}", show(&shown, &r));
            Ok(())
        }
        Action::Redrive {
            filter,
            dry_run,
            kafka,
            db,
        } => {
            let records = read_matching(&kafka, filter.filter()?).await?;
            let pool = dossierflow_runtime::db::connect_and_migrate(&db).await?;
            let producer = match dry_run {
                true => None,
                false => Some(dossierflow_runtime::kafka::producer(
                    &brokers(&kafka)?,
                    &kafka.security,
                )?),
            };
            let dlq_topic = kafka.topic(topics::DEAD_LETTER);
            let c = dlq_redrive::redrive(&pool, producer.as_ref(), &dlq_topic, &records).await?;
            let verb = if dry_run { "would redrive" } else { "redriven" };
            println!(
                "matched {}, {verb} {}, already redriven {}, failed {}",
                c.matched, c.redriven, c.already, c.failed
            );
            if c.failed > 0 {
                anyhow::bail!("{} record(s) were not redriven (see above)", c.failed);
            }
            Ok(())
        }
    }
}

/// What `dlq show` prints: the id, the key, every header, the redacted payload.
fn show(topic: &str, r: &DlqRecord) -> String {
    let mut out = format!(
        "record   {} of {topic}\nkey      {}\nheaders\n",
        r.id,
        r.key_text()
    );
    for (k, v) in &r.headers {
        let value = match v.as_deref().map(std::str::from_utf8) {
            None => "(null)".to_owned(),
            Some(Ok(text)) => text.to_owned(),
            Some(Err(_)) => format!(
                "(binary) {}",
                dlq_redact::hex_preview(v.as_deref().unwrap_or_default())
            ),
        };
        out.push_str(&format!("  {k}: {value}\n"));
    }
    out.push_str("payload\n");
    out.push_str(&dlq_redact::render_payload(r.payload.as_deref()));
    out.push('\n');
    out
}
