//! Shared harness of the system tests: real processes against the real broker and
//! PostgreSQL, with a fresh database and topic prefix per test.
//!
//! The broker and PostgreSQL come from `ops/stack up` (the README's test command starts
//! them). `DOSSIER_TEST_BROKERS` and `DOSSIER_TEST_PG_ADMIN_URL` point elsewhere.

#![allow(dead_code)]

pub mod kafka;
pub mod portal;

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use sqlx::PgPool;
use sqlx::postgres::PgPoolOptions;
use uuid::Uuid;

pub const BIN: &str = env!("CARGO_BIN_EXE_dossierflow");

/// The portal token the default intake configuration admits (client `local-portal`);
/// `POST /v1/dossiers` and `GET /v1/dossiers/{id}` need it.
pub const PORTAL_TOKEN: &str = "local-portal-token";

pub fn brokers() -> String {
    std::env::var("DOSSIER_TEST_BROKERS").unwrap_or_else(|_| "127.0.0.1:9092".into())
}

pub fn admin_url() -> String {
    std::env::var("DOSSIER_TEST_PG_ADMIN_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into())
}

/// A port nobody listens on right now, outside the range the kernel gives client
/// sockets (see `dossierflow_runtime::ports`).
pub fn free_port() -> u16 {
    dossierflow_runtime::ports::free_port().expect("free port")
}

/// Fails with a clear message when the stack is not up, rather than hanging.
pub fn require_broker() {
    let addr = brokers();
    if std::net::TcpStream::connect_timeout(
        &addr.parse().expect("broker address"),
        Duration::from_secs(2),
    )
    .is_err()
    {
        panic!(
            "no Kafka-compatible broker at {addr}: run the tests with `ops/stack test` (it starts nisshi)"
        );
    }
}

/// A child process killed when dropped.
pub struct Proc(pub Child);

impl Proc {
    pub fn spawn(args: &[&str], env: &[(&str, String)]) -> Self {
        let mut cmd = Command::new(BIN);
        cmd.args(args).stdin(Stdio::null());
        for (k, v) in env {
            cmd.env(k, v);
        }
        if std::env::var_os("DOSSIER_TEST_QUIET").is_some() {
            cmd.stdout(Stdio::null()).stderr(Stdio::null());
        }
        Self(cmd.spawn().expect("spawn dossierflow"))
    }

    /// Like [`Proc::spawn`], with stdout and stderr written to `log` (for scanning).
    pub fn spawn_logged(args: &[&str], env: &[(&str, String)], log: &std::path::Path) -> Self {
        let file = std::fs::File::create(log).expect("log file");
        let err = file.try_clone().expect("log file");
        let mut cmd = Command::new(BIN);
        cmd.args(args).stdin(Stdio::null()).stdout(file).stderr(err);
        for (k, v) in env {
            cmd.env(k, v);
        }
        Self(cmd.spawn().expect("spawn dossierflow"))
    }

    /// Waits until `url` answers 200; fails at once if the process exits first.
    pub async fn wait_ready(&mut self, url: &str, limit: Duration) {
        let client = reqwest::Client::new();
        let started = Instant::now();
        loop {
            if let Some(status) = self.0.try_wait().expect("wait") {
                panic!(
                    "dossierflow exited with {status} before {url} was ready (see its stderr above)"
                );
            }
            if let Ok(r) = client.get(url).send().await
                && r.status().is_success()
            {
                return;
            }
            assert!(
                started.elapsed() < limit,
                "{url} did not become ready within {limit:?}"
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Sends SIGTERM and waits up to `limit` for the exit status.
    pub fn terminate(&mut self, limit: Duration) -> Option<std::process::ExitStatus> {
        let pid = self.0.id().to_string();
        Command::new("kill")
            .args(["-TERM", &pid])
            .status()
            .expect("kill");
        let started = Instant::now();
        while started.elapsed() < limit {
            if let Some(status) = self.0.try_wait().expect("wait") {
                return Some(status);
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        None
    }
}

impl Drop for Proc {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// A database created for one test and dropped afterwards.
pub struct TestDb {
    pub name: String,
    pub url: String,
}

impl TestDb {
    pub fn new() -> Self {
        let name = format!("dftest_{}", Uuid::new_v4().simple());
        let base = admin_url();
        let url = format!(
            "{}/{name}",
            base.rsplit_once('/').expect("url has a database").0
        );
        Self { name, url }
    }

    pub async fn pool(&self) -> PgPool {
        PgPoolOptions::new()
            .max_connections(4)
            .connect(&self.url)
            .await
            .expect("connect test db")
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        let name = self.name.clone();
        let admin = admin_url();
        // Drop synchronously on a private runtime: Drop cannot be async.
        let _ = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("rt");
            rt.block_on(async move {
                if let Ok(pool) = PgPoolOptions::new()
                    .max_connections(1)
                    .connect(&admin)
                    .await
                {
                    let sql = format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)");
                    let _ = sqlx::query(sqlx::AssertSqlSafe(sql)).execute(&pool).await;
                }
            })
        })
        .join();
    }
}

/// Polls `url` until it answers 200 or `limit` passes.
pub async fn wait_http_ok(url: &str, limit: Duration) {
    let client = reqwest::Client::new();
    let started = Instant::now();
    loop {
        if let Ok(r) = client.get(url).send().await
            && r.status().is_success()
        {
            return;
        }
        assert!(
            started.elapsed() < limit,
            "{url} did not become ready within {limit:?}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// The environment that configures a pipeline process for one test.
pub fn pipeline_env(db: &TestDb, prefix: &str) -> Vec<(&'static str, String)> {
    vec![
        ("DOSSIER__KAFKA__BROKERS", brokers()),
        ("DOSSIER__KAFKA__TOPIC_PREFIX", prefix.to_owned()),
        ("DOSSIER__KAFKA__PARTITIONS", "3".to_owned()),
        ("DOSSIER__DATABASE__URL", db.url.clone()),
        ("RUST_LOG", "warn,dossierflow=info".to_owned()),
    ]
}

/// A running CSDLQG simulator process.
pub struct Sim {
    /// The process (killed on drop).
    pub proc: Proc,
    /// Its base URL, `http://127.0.0.1:<port>`.
    pub url: String,
}

/// Starts `dossierflow csdlqg-sim` with a population and extra flags; waits for health.
pub async fn start_sim(seed: u64, population: usize, extra: &[&str]) -> Sim {
    let port = free_port();
    let (addr, seed, population) = (
        format!("127.0.0.1:{port}"),
        seed.to_string(),
        population.to_string(),
    );
    let mut args = vec![
        "csdlqg-sim",
        "--addr",
        &addr,
        "--seed",
        &seed,
        "--population",
        &population,
    ];
    args.extend(extra);
    let mut proc = Proc::spawn(&args, &[]);
    let url = format!("http://127.0.0.1:{port}");
    proc.wait_ready(&format!("{url}/health"), Duration::from_secs(60))
        .await;
    Sim { proc, url }
}

/// A running pipeline process.
pub struct App {
    /// The process (killed on drop).
    pub proc: Proc,
    /// Intake API base URL.
    pub api: String,
    /// Admin base URL (`/metrics`, `/health`).
    pub admin: String,
}

/// Starts `dossierflow <command>` on the test's database and topic prefix, pointed at
/// `sim` when given, with `extra` environment; waits until it reports healthy.
pub async fn start_app(
    command: &str,
    db: &TestDb,
    prefix: &str,
    sim: Option<&Sim>,
    extra: &[(&str, &str)],
) -> App {
    let (api_port, admin_port) = (free_port(), free_port());
    let mut env = pipeline_env(db, prefix);
    env.push(("DOSSIER__INTAKE__ADDR", format!("127.0.0.1:{api_port}")));
    env.push(("DOSSIER__ADMIN__ADDR", format!("127.0.0.1:{admin_port}")));
    if let Some(sim) = sim {
        env.push(("DOSSIER__CSDLQG__URL", format!("{}/", sim.url)));
    }
    for (k, v) in extra {
        env.retain(|(key, _)| key != k);
        env.push((k, (*v).to_owned()));
    }
    let mut proc = Proc::spawn(&[command], &env);
    let admin = format!("http://127.0.0.1:{admin_port}");
    proc.wait_ready(&format!("{admin}/health"), Duration::from_secs(60))
        .await;
    App {
        proc,
        api: format!("http://127.0.0.1:{api_port}"),
        admin,
    }
}

/// The sum of the samples of a metric line prefix on `/metrics` (0 when absent).
pub async fn metric(admin: &str, line_prefix: &str) -> f64 {
    let text = reqwest::get(format!("{admin}/metrics"))
        .await
        .expect("metrics")
        .text()
        .await
        .expect("text");
    text.lines()
        .filter(|l| l.starts_with(line_prefix))
        .filter_map(|l| l.rsplit(' ').next()?.parse::<f64>().ok())
        .sum()
}

/// A record's headers as text.
pub fn headers_of(m: &impl rdkafka::Message) -> std::collections::HashMap<String, String> {
    use rdkafka::message::Headers;
    m.headers()
        .map(|h| {
            h.iter()
                .map(|h| {
                    (
                        h.key.to_owned(),
                        String::from_utf8_lossy(h.value.unwrap_or_default()).into_owned(),
                    )
                })
                .collect()
        })
        .unwrap_or_default()
}
