//! The faults the chaos test injects, in a fixed rotation, and their tally: SIGKILL of
//! each stage process, a broker restart, a PostgreSQL crash-restart, a CSDLQG outage
//! (its server gone) and a notification-provider outage (its gateways failing).

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::json;

use crate::cluster::{Broker, PrivatePg};
use crate::common::Proc;
use crate::fleet::{Fleet, STAGES};

/// The CSDLQG simulator on a fixed port, so it can go away and come back.
pub struct Csdlqg {
    proc: Option<Proc>,
    pub port: u16,
    seed: u64,
    population: usize,
}

impl Csdlqg {
    pub async fn start(port: u16, seed: u64, population: usize) -> Self {
        let mut s = Self {
            proc: None,
            port,
            seed,
            population,
        };
        s.spawn().await;
        s
    }

    async fn spawn(&mut self) {
        let addr = format!("127.0.0.1:{}", self.port);
        let (seed, pop) = (self.seed.to_string(), self.population.to_string());
        let args = ["csdlqg-sim", "--addr", &addr, "--seed", &seed];
        let mut proc = Proc::spawn(&[&args[..], &["--population", &pop]].concat(), &[]);
        proc.wait_ready(&format!("http://{addr}/health"), Duration::from_secs(60))
            .await;
        self.proc = Some(proc);
    }
}

/// Everything a fault can act on.
pub struct Targets {
    pub fleet: Fleet,
    pub broker: Arc<Mutex<Broker>>,
    pub pg: Arc<PrivatePg>,
    pub csdlqg: Csdlqg,
    /// The notification-provider simulator's base URL.
    pub providers: String,
}

/// How long each outage lasts.
pub const OUTAGE: Duration = Duration::from_secs(8);

/// One row of the summary: how often, total time down, longest recovery to healthy.
#[derive(Default, Clone)]
pub struct Tally {
    pub count: u32,
    pub down: Duration,
    pub worst_recovery: Duration,
}

/// The rotation: every stage killed, then broker, PostgreSQL, CSDLQG and providers.
pub fn rotation() -> Vec<String> {
    let mut r: Vec<String> = STAGES.iter().map(|s| format!("SIGKILL {s}")).collect();
    r.extend(
        [
            "broker restart (SIGKILL)",
            "PostgreSQL crash-restart",
            "CSDLQG outage",
            "provider outage (SMS, national portal)",
        ]
        .map(String::from),
    );
    r
}

/// Injects `fault` and waits until every stage is healthy again.
pub async fn inject(t: &mut Targets, fault: &str, tally: &mut BTreeMap<String, Tally>) {
    let started = Instant::now();
    let down = if let Some(stage) = fault.strip_prefix("SIGKILL ") {
        let stage = STAGES.into_iter().find(|s| *s == stage).expect("a stage");
        t.fleet
            .kill_and_restart(stage, Duration::from_millis(500))
            .await;
        Duration::from_millis(500)
    } else if fault.starts_with("broker") {
        let broker = t.broker.clone();
        tokio::task::spawn_blocking(move || {
            let mut b = broker.lock().unwrap_or_else(|p| p.into_inner());
            b.restart(true, Duration::from_secs(2))
        })
        .await
        .expect("broker restart")
    } else if fault.starts_with("PostgreSQL") {
        let pg = t.pg.clone();
        tokio::task::spawn_blocking(move || pg.restart(Duration::from_secs(2)))
            .await
            .expect("postgres restart")
    } else if fault.starts_with("CSDLQG") {
        t.csdlqg.proc = None; // killed on drop
        tokio::time::sleep(OUTAGE).await;
        t.csdlqg.spawn().await;
        started.elapsed()
    } else {
        let http = reqwest::Client::new();
        for channel in ["sms", "national_portal"] {
            let r = http
                .post(format!("{}/admin/faults", t.providers))
                .json(
                    &json!({ "channel": channel, "mode": "fail", "for_seconds": OUTAGE.as_secs() }),
                )
                .send()
                .await
                .expect("provider faults");
            assert!(r.status().is_success(), "setting a provider fault");
        }
        tokio::time::sleep(OUTAGE).await;
        OUTAGE
    };
    t.fleet.wait_healthy(Duration::from_secs(120)).await;
    let row = tally.entry(fault.to_owned()).or_default();
    row.count += 1;
    row.down += down;
    row.worst_recovery = row.worst_recovery.max(started.elapsed());
    println!(
        "chaos: {fault} (down {:.1} s, healthy again after {:.1} s)",
        down.as_secs_f64(),
        started.elapsed().as_secs_f64()
    );
}
