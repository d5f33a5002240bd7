//! Settings shared by every subcommand, as `clap` argument groups.
//!
//! Every option has an environment variable `DOSSIER__SECTION__KEY`, so the same binary
//! is configured by flags on a laptop and by env in a deployment. Values are parsed into
//! real types at start-up; a bad value stops the process with a message naming it.

use std::net::SocketAddr;
use std::time::Duration;

use clap::{Args, ValueEnum};

/// Kafka connection and topic layout.
#[derive(Debug, Clone, Args)]
pub struct KafkaArgs {
    /// Bootstrap servers (e.g. `127.0.0.1:9092`). When absent, `run` starts an embedded
    /// in-process cluster for a zero-install demo; every other command requires it.
    #[arg(long = "brokers", env = "DOSSIER__KAFKA__BROKERS")]
    pub brokers: Option<String>,
    /// Prefix for every topic and consumer group name (isolates tests and tenants).
    #[arg(long, env = "DOSSIER__KAFKA__TOPIC_PREFIX", default_value = "")]
    pub topic_prefix: String,
    /// Partitions for topics created at start-up.
    #[arg(long, env = "DOSSIER__KAFKA__PARTITIONS", default_value_t = 6)]
    pub partitions: i32,
    /// librdkafka statistics interval of stage consumers, for the consumer-lag metrics:
    /// milliseconds or a duration such as `5s`; 0 disables them.
    #[arg(long = "kafka-stats-interval", env = "DOSSIER__KAFKA__STATS_INTERVAL", default_value = "5000", value_parser = parse_duration)]
    pub stats_interval: Duration,
    /// Security protocol, SASL and CA settings applied to every Kafka client.
    #[command(flatten)]
    pub security: crate::kafka::KafkaSecurity,
}

impl KafkaArgs {
    /// The full name of a base topic.
    pub fn topic(&self, base: &str) -> String {
        format!("{}{base}", self.topic_prefix)
    }

    /// The consumer group of a stage.
    pub fn group(&self, stage: &str) -> String {
        format!("{}dossierflow-{stage}", self.topic_prefix)
    }
}

/// PostgreSQL connection.
#[derive(Debug, Clone, Args)]
pub struct DbArgs {
    /// PostgreSQL URL. The database is created if it does not exist.
    #[arg(
        long = "database-url",
        env = "DOSSIER__DATABASE__URL",
        default_value = "postgres://postgres@127.0.0.1:5432/dossierflow"
    )]
    pub database_url: String,
    /// Maximum connections in this process's pool.
    #[arg(long, env = "DOSSIER__DATABASE__MAX_CONNECTIONS", default_value_t = 10)]
    pub db_max_connections: u32,
}

/// Log output format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum LogFormat {
    /// Human-readable, coloured when the output is a terminal.
    Pretty,
    /// One JSON object per line, for log shippers.
    Json,
}

/// Logs and the admin port.
#[derive(Debug, Clone, Args)]
pub struct TelemetryArgs {
    /// Log format.
    #[arg(long, env = "DOSSIER__LOG__FORMAT", value_enum, default_value_t = LogFormat::Pretty)]
    pub log_format: LogFormat,
    /// Admin HTTP address serving `/metrics` and `/health` (port 0 picks a free port).
    #[arg(long, env = "DOSSIER__ADMIN__ADDR", default_value = "127.0.0.1:9464")]
    pub admin_addr: SocketAddr,
    /// Scrapers allowed to read `/metrics`: `name:sha256(token)`, comma-separated (a list
    /// separate from the portal clients'). Empty: `/metrics` is open, which only a
    /// loopback address allows unless `--admin-allow-open`. `/health` is always open.
    #[arg(long, env = "DOSSIER__ADMIN__TOKENS", default_value = "")]
    pub admin_tokens: String,
    /// Serve an open `/metrics` on a non-loopback address (the network restricts access).
    #[arg(long, env = "DOSSIER__ADMIN__ALLOW_OPEN")]
    pub admin_allow_open: bool,
}

/// Outbox relay tuning.
#[derive(Debug, Clone, Args)]
pub struct OutboxArgs {
    /// How long the relay sleeps when the outbox is empty.
    #[arg(long, env = "DOSSIER__OUTBOX__IDLE_POLL", default_value = "20ms", value_parser = parse_duration)]
    pub outbox_idle_poll: Duration,
    /// Rows published per relay transaction.
    #[arg(long, env = "DOSSIER__OUTBOX__BATCH", default_value_t = 500)]
    pub outbox_batch: i64,
    /// Run a relay in this process (`true` or `false`). The outbox is one table, so one
    /// relay publishes every process's events; fewer relays take fuller batches. At least
    /// one running process must relay, or nothing is published.
    #[arg(long, env = "DOSSIER__OUTBOX__RELAY", default_value_t = true, action = clap::ArgAction::Set)]
    pub outbox_relay: bool,
    /// One relay per database leads and publishes every row; the others publish only
    /// rows older than this (a stuck leader, a backlog). `0s`: every relay publishes
    /// every row.
    #[arg(long, env = "DOSSIER__OUTBOX__TAKEOVER", default_value = "5s", value_parser = parse_duration)]
    pub outbox_takeover: Duration,
}

/// Keys for citizen data at rest.
#[derive(Debug, Clone, Args)]
pub struct CryptoArgs {
    /// Data keys, `id:base64(32 bytes)` comma-separated; keep old ids to read old data.
    /// The default is a public development key: the process warns when it is in use.
    #[arg(long, env = "DOSSIER__CRYPTO__KEYS", default_value = DEV_KEYS, hide_default_value = true, hide_env_values = true)]
    pub data_keys: String,
    /// The key id new data is sealed with.
    #[arg(long, env = "DOSSIER__CRYPTO__ACTIVE_KEY", default_value = "dev")]
    pub data_key_active: String,
    /// Blind-index keys (HMAC-SHA256 of the applicant's ID, for lookups by ID),
    /// `id:base64(≥ 32 bytes)` comma-separated; keep old ids until `keys rotate` has
    /// recomputed every index. Separate from the data keys and the audit key.
    #[arg(long, env = "DOSSIER__CRYPTO__INDEX_KEYS", default_value = DEV_INDEX_KEYS, hide_default_value = true, hide_env_values = true)]
    pub index_keys: String,
    /// The index key id new blind indexes are computed with.
    #[arg(
        long,
        env = "DOSSIER__CRYPTO__ACTIVE_INDEX_KEY",
        default_value = "dev-index"
    )]
    pub index_key_active: String,
}

/// The public development key (never for production data).
pub const DEV_KEYS: &str = "dev:ZG9zc2llcmZsb3ctbG9jYWwtZGV2LWtleS0wMDAwMDE=";

/// The public development blind-index key (never for production data).
pub const DEV_INDEX_KEYS: &str = "dev-index:ZG9zc2llcmZsb3ctbG9jYWwtZGV2LWluZGV4LTAwMDE=";

impl CryptoArgs {
    /// The keyring, warning when the development key is active.
    pub fn keyring(&self) -> anyhow::Result<crate::crypto::Keyring> {
        if self.data_keys == DEV_KEYS {
            tracing::warn!(
                "citizen data is sealed with the public DEVELOPMENT key: set DOSSIER__CRYPTO__KEYS in production"
            );
        }
        if self.index_keys == DEV_INDEX_KEYS {
            tracing::warn!(
                "blind indexes use the public DEVELOPMENT index key: set DOSSIER__CRYPTO__INDEX_KEYS in production"
            );
        }
        Ok(
            crate::crypto::Keyring::parse(&self.data_keys, &self.data_key_active)?
                .with_index_keys(&self.index_keys, &self.index_key_active)?,
        )
    }
}

/// Retention of CSDLQG-derived personal data (see `docs/personal-data.md`).
#[derive(Debug, Clone, Args)]
pub struct RetentionArgs {
    /// How long after a dossier reached a final status (refused, withdrawn, stopped,
    /// returned) its citizen data and sealed applicant ID are kept.
    #[arg(long, env = "DOSSIER__RETENTION__CITIZEN_DATA_AFTER", default_value = "30d", value_parser = parse_duration)]
    pub citizen_data_after: Duration,
    /// Age after which a staged CSDLQG record the enrich stage never consumed is deleted,
    /// whatever the dossier's status.
    #[arg(long, env = "DOSSIER__RETENTION__STAGING_AFTER", default_value = "7d", value_parser = parse_duration)]
    pub staging_after: Duration,
    /// Time between two retention runs of the scheduler.
    #[arg(long, env = "DOSSIER__RETENTION__TICK", default_value = "1h", value_parser = parse_duration)]
    pub retention_tick: Duration,
    /// Rows deleted per transaction.
    #[arg(long, env = "DOSSIER__RETENTION__BATCH", default_value_t = 500)]
    pub retention_batch: i64,
}

/// How stages handle records: concurrency, retry topics, bad-deploy protection.
#[derive(Debug, Clone, Args)]
pub struct RetryArgs {
    /// Records a stage handles at once from its main topic (records of one dossier stay
    /// in order). The verify stage uses `--csdlqg-max-in-flight` instead.
    #[arg(long, env = "DOSSIER__STAGE__CONCURRENCY", default_value_t = 16)]
    pub stage_concurrency: usize,
    /// Records a stage may commit together in one database transaction (group commit:
    /// one WAL flush for many records; 1 commits each record alone). At most 60.
    #[arg(long, env = "DOSSIER__STAGE__COMMIT_GROUP", default_value_t = 32,
          value_parser = clap::value_parser!(u32).range(1..=60))]
    pub stage_commit_group: u32,
    /// Delay of each retry topic, comma-separated; a deferred record walks through them,
    /// then goes to the dead-letter topic.
    #[arg(long, env = "DOSSIER__RETRY__DELAYS", default_value = "10s,60s,300s", value_parser = parse_durations)]
    pub retry_delays: Durations,
    /// Bad-deploy protection: a stage stops (exits non-zero, records stay in Kafka) when a
    /// dead letter would make more than this share of its last records; 1 disables it.
    #[arg(
        long,
        env = "DOSSIER__RETRY__DEAD_LETTER_MAX_RATIO",
        default_value_t = 0.5
    )]
    pub dead_letter_max_ratio: f64,
    /// How many recent records the bad-deploy protection remembers.
    #[arg(
        long,
        env = "DOSSIER__RETRY__DEAD_LETTER_WINDOW",
        default_value_t = 100
    )]
    pub dead_letter_window: usize,
    /// Fewer recent records than this never stop a stage.
    #[arg(long, env = "DOSSIER__RETRY__DEAD_LETTER_MIN", default_value_t = 20)]
    pub dead_letter_min: usize,
}

impl RetryArgs {
    /// The bad-deploy protection's limits.
    pub fn dead_letter_limit(&self) -> crate::stage::DeadLetterLimit {
        crate::stage::DeadLetterLimit {
            window: self.dead_letter_window.max(1),
            min_records: self.dead_letter_min.max(1),
            max_ratio: self.dead_letter_max_ratio.clamp(0.0, 1.0),
        }
    }
}

/// A list of durations parsed from `10s,1m`.
#[derive(Debug, Clone, PartialEq)]
pub struct Durations(pub Vec<Duration>);

/// Parses a comma-separated list of durations (empty: no retry topics).
pub fn parse_durations(s: &str) -> Result<Durations, String> {
    s.split(',')
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .map(parse_duration)
        .collect::<Result<Vec<_>, _>>()
        .map(Durations)
}

/// Parses `250ms`, `5s`, `2m` or a bare number of milliseconds.
pub fn parse_duration(s: &str) -> Result<Duration, String> {
    let s = s.trim();
    let (num, unit) = match s.find(|c: char| !c.is_ascii_digit() && c != '.') {
        Some(i) => s.split_at(i),
        None => (s, "ms"),
    };
    let n: f64 = num
        .parse()
        .map_err(|_| format!("{s:?} is not a duration (use e.g. 250ms, 5s, 2m)"))?;
    let secs = match unit {
        "ms" => n / 1000.0,
        "s" => n,
        "m" => n * 60.0,
        "h" => n * 3600.0,
        "d" => n * 86_400.0,
        _ => return Err(format!("{s:?}: unknown unit {unit:?} (ms, s, m, h, d)")),
    };
    Ok(Duration::from_secs_f64(secs))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_parse_with_units() {
        assert_eq!(parse_duration("250ms"), Ok(Duration::from_millis(250)));
        assert_eq!(parse_duration("5s"), Ok(Duration::from_secs(5)));
        assert_eq!(parse_duration("2m"), Ok(Duration::from_secs(120)));
        assert_eq!(parse_duration("40"), Ok(Duration::from_millis(40)));
        assert_eq!(parse_duration("30d"), Ok(Duration::from_secs(30 * 86_400)));
        assert!(parse_duration("5 parsecs").is_err());
        assert!(parse_duration("fast").is_err());
        assert_eq!(
            parse_durations("10s, 1m"),
            Ok(Durations(vec![
                Duration::from_secs(10),
                Duration::from_secs(60)
            ]))
        );
        assert_eq!(parse_durations(""), Ok(Durations(vec![])));
    }

    #[test]
    fn prefix_applies_to_topics_and_groups() {
        let k = KafkaArgs {
            brokers: None,
            topic_prefix: "t1.".into(),
            partitions: 3,
            stats_interval: Duration::ZERO,
            security: Default::default(),
        };
        assert_eq!(k.topic("dossier.submitted.v1"), "t1.dossier.submitted.v1");
        assert_eq!(k.group("verify"), "t1.dossierflow-verify");
    }
}
