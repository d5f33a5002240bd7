//! The pipeline as separate stage processes under a supervisor: the test SIGKILLs one
//! and starts it again, and the supervisor restarts any process that exits by itself
//! (as systemd or Kubernetes would), counting both.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crate::common::{BIN, free_port};

/// The stage processes a dossier crosses.
pub const STAGES: [&str; 6] = ["intake", "verify", "enrich", "route", "notify", "webhooks"];

struct Member {
    child: Option<Child>,
    admin_port: u16,
    log: PathBuf,
    killed: u32,
    exited: u32,
}

/// Stage processes by name; shared between the fault injector and the supervisor.
#[derive(Clone)]
pub struct Fleet {
    inner: Arc<Mutex<BTreeMap<&'static str, Member>>>,
    env: Arc<Vec<(String, String)>>,
    /// Fixed intake port, so the API keeps its address across restarts.
    pub intake_port: u16,
}

impl Fleet {
    /// Starts every stage with `env` (plus its own admin address).
    pub fn start(env: Vec<(String, String)>, dir: &std::path::Path, intake_port: u16) -> Self {
        let mut members = BTreeMap::new();
        for stage in STAGES {
            members.insert(
                stage,
                Member {
                    child: None,
                    admin_port: free_port(),
                    log: dir.join(format!("{stage}.log")),
                    killed: 0,
                    exited: 0,
                },
            );
        }
        let fleet = Self {
            inner: Arc::new(Mutex::new(members)),
            env: Arc::new(env),
            intake_port,
        };
        for stage in STAGES {
            fleet.spawn(stage);
        }
        fleet
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, BTreeMap<&'static str, Member>> {
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn spawn(&self, stage: &'static str) {
        let mut members = self.lock();
        let m = members.get_mut(stage).expect("known stage");
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&m.log)
            .expect("stage log");
        let mut cmd = Command::new(BIN);
        cmd.arg(stage)
            .stdin(Stdio::null())
            .stdout(log.try_clone().expect("log"))
            .stderr(log);
        for (k, v) in self.env.iter() {
            cmd.env(k, v);
        }
        cmd.env(
            "DOSSIER__ADMIN__ADDR",
            format!("127.0.0.1:{}", m.admin_port),
        );
        cmd.env(
            "DOSSIER__INTAKE__ADDR",
            format!("127.0.0.1:{}", self.intake_port),
        );
        m.child = Some(cmd.spawn().expect("spawn a stage"));
    }

    /// The stage's admin base URL.
    pub fn admin(&self, stage: &str) -> String {
        format!("http://127.0.0.1:{}", self.lock()[stage].admin_port)
    }

    /// SIGKILLs `stage` and starts it again after `down_for`.
    pub async fn kill_and_restart(&self, stage: &'static str, down_for: Duration) {
        {
            let mut members = self.lock();
            let m = members.get_mut(stage).expect("known stage");
            if let Some(mut c) = m.child.take() {
                let _ = c.kill(); // SIGKILL
                let _ = c.wait();
            }
            m.killed += 1;
        }
        tokio::time::sleep(down_for).await;
        self.spawn(stage);
    }

    /// Restarts every process that exited by itself; returns how many.
    pub fn supervise_once(&self) -> usize {
        let mut restart = vec![];
        {
            let mut members = self.lock();
            for (name, m) in members.iter_mut() {
                if let Some(c) = m.child.as_mut()
                    && c.try_wait().ok().flatten().is_some()
                {
                    m.child = None;
                    m.exited += 1;
                    restart.push(*name);
                }
            }
        }
        for stage in &restart {
            self.spawn(stage);
        }
        restart.len()
    }

    /// Waits until every stage answers `/health` (supervising meanwhile).
    pub async fn wait_healthy(&self, limit: Duration) {
        let http = reqwest::Client::new();
        let started = Instant::now();
        for stage in STAGES {
            let url = format!("{}/health", self.admin(stage));
            loop {
                self.supervise_once();
                if let Ok(r) = http.get(&url).send().await
                    && r.status().is_success()
                {
                    break;
                }
                assert!(
                    started.elapsed() < limit,
                    "{stage} not healthy within {limit:?} (log: {})",
                    self.lock()[stage].log.display()
                );
                tokio::time::sleep(Duration::from_millis(200)).await;
            }
        }
    }

    /// (SIGKILLs by the test, exits by themselves) per stage.
    pub fn counts(&self) -> BTreeMap<&'static str, (u32, u32)> {
        self.lock()
            .iter()
            .map(|(k, m)| (*k, (m.killed, m.exited)))
            .collect()
    }

    /// Stops every stage (SIGTERM, then SIGKILL after 10 s).
    pub fn stop(&self) {
        let mut members = self.lock();
        for m in members.values_mut() {
            if let Some(mut c) = m.child.take() {
                let _ = Command::new("kill")
                    .args(["-TERM", &c.id().to_string()])
                    .status();
                let deadline = Instant::now() + Duration::from_secs(10);
                while c.try_wait().ok().flatten().is_none() && Instant::now() < deadline {
                    std::thread::sleep(Duration::from_millis(50));
                }
                let _ = c.kill();
                let _ = c.wait();
            }
        }
    }
}

impl Drop for Fleet {
    fn drop(&mut self) {
        if Arc::strong_count(&self.inner) == 1 {
            self.stop();
        }
    }
}
