//! The pipeline as real processes, for parts c and d: a fresh database `dfbench_<random>`
//! on the bench's PostgreSQL server, a fresh topic prefix on the broker, the simulators
//! (`csdlqg-sim`, `notify-sim`, `webhook-sim` with a webhook registered for every agency
//! of the catalogue) and each stage as its own process of this binary, configured through
//! the environment exactly as the chaos test's fleet is (`DOSSIER__KAFKA__BROKERS`,
//! `DOSSIER__KAFKA__TOPIC_PREFIX`, `DOSSIER__KAFKA__PARTITIONS`, `DOSSIER__DATABASE__URL`,
//! `DOSSIER__CSDLQG__URL`, `DOSSIER__ADMIN__ADDR`, `DOSSIER__INTAKE__ADDR`, the
//! `DOSSIER__NOTIFY__…` provider settings). [`Stack::finish`] kills every process, drops
//! the database and deletes the topics.

use std::time::Duration;

use dossierflow_domain::Catalog;
use dossierflow_runtime::config::DbArgs;
use dossierflow_runtime::db;
use dossierflow_runtime::kafka::{self, KafkaSecurity};
use dossierflow_runtime::tokens::BearerDigests;
use reqwest::Url;
use sqlx::PgPool;
use sqlx::postgres::PgPoolOptions;
use uuid::Uuid;

use super::procs::{Children, free_port};
use super::procstat::{Target, Who, find_broker};

/// Population seed of the CSDLQG simulator and of the generated applicants.
pub const SEED: u64 = 2023;
/// Shared secret of the agencies' webhook receiver (a bench-only value).
const HOOK_SECRET: &str = "bench-hook-secret";
/// Bench-only credentials between the notify stage and the provider simulator.
const CREDENTIALS: [(&str, &str); 6] = [
    ("--receipt-token-sms", "bench-receipt-sms"),
    ("--receipt-token-zalo", "bench-receipt-zalo"),
    ("--sms-key", "bench-sms-key"),
    ("--zalo-token", "bench-zalo-token"),
    ("--portal-token", "bench-dvcqg-token"),
    ("--portal-webhook-secret", "bench-portal-webhook-secret"),
];

/// Where the stack runs.
#[derive(Debug, Clone)]
pub struct StackPlan {
    /// Bootstrap servers.
    pub brokers: String,
    /// Client security (the bench's own clients; stage processes inherit the
    /// `DOSSIER__KAFKA__…` environment).
    pub security: KafkaSecurity,
    /// Topic and group prefix, unique per run and part.
    pub prefix: String,
    /// Partitions of the topics the stages create.
    pub partitions: i32,
    /// PostgreSQL server URL without a database.
    pub server: String,
    /// Keep the database (and the process logs) at the end.
    pub keep_db: bool,
    /// Citizens in the simulator's population.
    pub population: usize,
}

/// A running stack.
pub struct Stack {
    /// Its settings.
    pub plan: StackPlan,
    /// The processes.
    pub children: Children,
    /// A small pool on the stack's database, for the bench's queries.
    pub pool: PgPool,
    /// The intake API's base URL.
    pub api: Url,
    db_name: String,
    db_url: String,
    intake_port: u16,
    env: Vec<(String, String)>,
}

impl Stack {
    /// Creates and migrates the database and the log directory; starts nothing yet.
    pub async fn create(plan: StackPlan, part: &str) -> anyhow::Result<Self> {
        let server = plan.server.trim_end_matches('/').to_owned();
        let db_name = format!("dfbench_{}", Uuid::new_v4().simple());
        let db_url = format!("{server}/{db_name}");
        eprintln!("bench: creating and migrating database {db_name}");
        let pool = db::connect_and_migrate(&DbArgs {
            database_url: db_url.clone(),
            db_max_connections: 4,
        })
        .await?;
        let dir = std::env::temp_dir().join(format!("dfbench-{part}-{}", &db_name[8..20]));
        let children = Children::new(dir)?;
        eprintln!("bench: process logs in {}", children.dir().display());
        let intake_port = free_port()?;
        let env = [
            ("DOSSIER__KAFKA__BROKERS", plan.brokers.clone()),
            ("DOSSIER__KAFKA__TOPIC_PREFIX", plan.prefix.clone()),
            ("DOSSIER__KAFKA__PARTITIONS", plan.partitions.to_string()),
            ("DOSSIER__DATABASE__URL", db_url.clone()),
            ("DOSSIER__INTAKE__ADDR", format!("127.0.0.1:{intake_port}")),
            ("RUST_LOG", "warn,dossierflow=info".to_owned()),
        ];
        Ok(Self {
            api: Url::parse(&format!("http://127.0.0.1:{intake_port}/"))?,
            env: env.into_iter().map(|(k, v)| (k.to_owned(), v)).collect(),
            plan,
            children,
            pool,
            db_name,
            db_url,
            intake_port,
        })
    }

    /// Starts `csdlqg-sim` (the bench's seed and population) with this added latency and
    /// points the stages at it.
    pub fn start_csdlqg_sim(
        &mut self,
        latency: Duration,
        p99: Option<Duration>,
    ) -> anyhow::Result<()> {
        let port = free_port()?;
        let addr = format!("127.0.0.1:{port}");
        let (seed, population) = (SEED.to_string(), self.plan.population.to_string());
        let latency = format!("{}ms", latency.as_millis());
        let mut args = vec!["csdlqg-sim", "--addr", &addr, "--seed", &seed];
        args.extend(["--population", &population, "--latency", &latency]);
        let p99 = p99.map(|d| format!("{}ms", d.as_millis()));
        if let Some(p99) = &p99 {
            args.extend(["--latency-p99", p99]);
        }
        let health = Some(format!("http://{addr}/health"));
        self.children.spawn("csdlqg-sim", &args, &[], health)?;
        self.env
            .push(("DOSSIER__CSDLQG__URL".into(), format!("http://{addr}/")));
        Ok(())
    }

    /// Starts `notify-sim` (every channel's provider, receipts to the intake API) and
    /// `webhook-sim` with a webhook registered for every agency of the catalogue.
    pub async fn start_providers(&mut self) -> anyhow::Result<()> {
        let (http, smtp, hook) = (free_port()?, free_port()?, free_port()?);
        let (h, s) = (format!("127.0.0.1:{http}"), format!("127.0.0.1:{smtp}"));
        let api = format!("http://127.0.0.1:{}", self.intake_port);
        let mut args = vec!["notify-sim", "--http-addr", &h, "--smtp-addr", &s];
        args.extend(["--receipt-url", &api]);
        for (flag, value) in CREDENTIALS {
            args.extend([flag, value]);
        }
        let health = Some(format!("http://{h}/health"));
        self.children.spawn("notify-sim", &args, &[], health)?;
        let base = format!("http://{h}");
        let clients = format!(
            "sms:{},zalo:{}",
            BearerDigests::digest_hex(CREDENTIALS[0].1),
            BearerDigests::digest_hex(CREDENTIALS[1].1)
        );
        let notify = [
            ("SMS_URL", format!("{base}/sms/send")),
            ("SMS_KEY", CREDENTIALS[2].1.into()),
            ("SMTP_URL", format!("smtp://{s}")),
            ("ZALO_URL", format!("{base}/zalo/message/template")),
            ("ZALO_TOKEN", CREDENTIALS[3].1.into()),
            ("NATIONAL_PORTAL_URL", format!("{base}/dvcqg")),
            ("NATIONAL_PORTAL_TOKEN", CREDENTIALS[4].1.into()),
            ("PORTAL_WEBHOOK_URL", format!("{base}/portal/webhook")),
            ("PORTAL_WEBHOOK_SECRET", CREDENTIALS[5].1.into()),
            ("RECEIPT_CLIENTS", clients),
            // A failed send is retried soon rather than after the default 5 minutes.
            ("RETRY_INTERVAL", "2s".into()),
        ];
        self.env.extend(
            notify
                .into_iter()
                .map(|(k, v)| (format!("DOSSIER__NOTIFY__{k}"), v)),
        );

        let hook_addr = format!("127.0.0.1:{hook}");
        let args = ["webhook-sim", "--addr", &hook_addr, "--secret", HOOK_SECRET];
        let health = Some(format!("http://{hook_addr}/health"));
        self.children.spawn("webhook-sim", &args, &[], health)?;
        let env = [
            ("DOSSIER__DATABASE__URL".to_owned(), self.db_url.clone()),
            ("DFBENCH_HOOK_SECRET".to_owned(), HOOK_SECRET.to_owned()),
        ];
        let url = format!("http://{hook_addr}/hook");
        for agency in Catalog::embedded()?.agencies() {
            let args = [
                "agency-webhook",
                "--agency",
                agency.id.as_str(),
                "--url",
                &url,
            ];
            let args = [&args[..], &["--secret-env", "DFBENCH_HOOK_SECRET"]].concat();
            self.children.run_once(&args, &env).await?;
        }
        Ok(())
    }

    /// Starts one stage process (`intake`, `verify`, …) with its own admin port and
    /// `extra` environment on top of the stack's.
    pub fn start_stage(&mut self, stage: &str, extra: &[(&str, String)]) -> anyhow::Result<()> {
        let admin = free_port()?;
        let mut env = self.env.clone();
        env.push(("DOSSIER__ADMIN__ADDR".into(), format!("127.0.0.1:{admin}")));
        env.extend(extra.iter().map(|(k, v)| ((*k).to_owned(), v.clone())));
        let health = Some(format!("http://127.0.0.1:{admin}/health"));
        self.children.spawn(stage, &[stage], &env, health)
    }

    /// Waits until every process answers `/health`.
    pub async fn wait_healthy(&mut self) -> anyhow::Result<()> {
        self.children.wait_healthy(Duration::from_secs(180)).await
    }

    /// What to meter: every process started, the broker if found, PostgreSQL, the bench.
    pub fn targets(&self) -> (Vec<Target>, bool) {
        let mut t: Vec<Target> = self
            .children
            .pids()
            .into_iter()
            .map(|(name, pid)| Target {
                name,
                who: Who::Own(pid),
            })
            .collect();
        let broker = find_broker(&self.plan.brokers);
        if let Some(pid) = broker {
            t.push(Target {
                name: "broker (nisshi)".into(),
                who: Who::Found(pid),
            });
        }
        t.push(Target {
            name: "postgres (whole server)".into(),
            who: Who::Postgres,
        });
        t.push(Target {
            name: "bench (load + queries)".into(),
            who: Who::Own(std::process::id()),
        });
        (t, broker.is_some())
    }

    /// Kills every process, then drops the database and deletes the stack's topics
    /// (unless `--keep-db`). On failure the log directory is kept and named.
    pub async fn finish(mut self, ok: bool) {
        self.children.kill_all();
        self.pool.close().await;
        let dir = self.children.dir().to_path_buf();
        if !ok {
            eprintln!("bench: process logs kept in {}", dir.display());
        }
        if self.plan.keep_db {
            eprintln!(
                "bench: kept database {} and logs in {}",
                self.db_name,
                dir.display()
            );
            return;
        }
        if ok {
            let _ = std::fs::remove_dir_all(&dir);
        }
        if let Err(e) = drop_database(&self.plan.server, &self.db_name).await {
            eprintln!("bench: could not drop database {}: {e:#}", self.db_name);
        }
        let topics = prefixed_topics(&self.plan).unwrap_or_default();
        super::broker::delete_topics(&self.plan.brokers, &self.plan.security, &topics).await;
    }
}

/// `DROP DATABASE … WITH (FORCE)` through the server's `postgres` database.
pub async fn drop_database(server: &str, name: &str) -> anyhow::Result<()> {
    let server = server.trim_end_matches('/');
    let admin = PgPoolOptions::new()
        .max_connections(1)
        .connect(&format!("{server}/postgres"))
        .await?;
    let sql = format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)");
    sqlx::query(sqlx::AssertSqlSafe(sql))
        .execute(&admin)
        .await?;
    admin.close().await;
    Ok(())
}

/// Every topic whose name starts with the stack's prefix.
fn prefixed_topics(plan: &StackPlan) -> anyhow::Result<Vec<String>> {
    use rdkafka::consumer::{BaseConsumer, Consumer};
    let consumer: BaseConsumer = kafka::client_config(&plan.brokers, &plan.security)?.create()?;
    let metadata = consumer.fetch_metadata(None, Duration::from_secs(10))?;
    Ok(metadata
        .topics()
        .iter()
        .map(|t| t.name().to_owned())
        .filter(|n| n.starts_with(&plan.prefix))
        .collect())
}
