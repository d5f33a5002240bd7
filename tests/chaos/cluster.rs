//! The chaos test's own infrastructure, so that restarting it disturbs no other test:
//! a private PostgreSQL cluster (initdb in a temporary directory, on a free port) for
//! the pipeline's database, and a private nisshi broker on its durable `postgres://`
//! storage engine (in its own database on the machine's PostgreSQL).

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::common::free_port;

/// PostgreSQL's server programs (Debian's layout), newest version first.
fn pg_bin(program: &str) -> PathBuf {
    let mut versions: Vec<PathBuf> = std::fs::read_dir("/usr/lib/postgresql")
        .expect("PostgreSQL server programs under /usr/lib/postgresql")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .collect();
    versions.sort();
    let dir = versions.pop().expect("a PostgreSQL version");
    dir.join("bin").join(program)
}

/// Runs a PostgreSQL server program as the `postgres` user (it refuses root).
fn as_postgres(program: &str, args: &[&str]) -> std::process::Output {
    let out = Command::new("runuser")
        .args(["-u", "postgres", "--"])
        .arg(pg_bin(program))
        .args(args)
        .stdin(Stdio::null())
        .output()
        .expect("runuser");
    assert!(
        out.status.success(),
        "{program} {args:?} failed: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

fn port_open(port: u16) -> bool {
    std::net::TcpStream::connect_timeout(
        &std::net::SocketAddr::from(([127, 0, 0, 1], port)),
        Duration::from_millis(300),
    )
    .is_ok()
}

/// A private PostgreSQL cluster, stopped and removed on drop.
pub struct PrivatePg {
    dir: PathBuf,
    pub port: u16,
}

impl PrivatePg {
    /// initdb (trust auth) and start. `fsync=off`: the faults are process crashes, after
    /// which the operating system still holds every write; power loss is not simulated.
    pub fn start() -> Self {
        let dir = std::env::temp_dir().join(format!("dfchaos-pg-{}", uuid::Uuid::new_v4()));
        std::fs::create_dir_all(&dir).expect("cluster dir");
        let chown = Command::new("chown")
            .args(["postgres:postgres"])
            .arg(&dir)
            .status()
            .expect("chown");
        assert!(chown.success(), "chown the cluster directory to postgres");
        let data = dir.join("data");
        let data_s = data.to_string_lossy().into_owned();
        as_postgres(
            "initdb",
            &["-D", &data_s, "-A", "trust", "-U", "postgres", "--no-sync"],
        );
        let pg = Self {
            dir,
            port: free_port(),
        };
        pg.ctl(&["start"]);
        pg
    }

    fn ctl(&self, action: &[&str]) {
        let data = self.dir.join("data").to_string_lossy().into_owned();
        let log = self.dir.join("server.log").to_string_lossy().into_owned();
        let opts = format!(
            "-p {} -k {} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=200",
            self.port,
            self.dir.to_string_lossy()
        );
        let mut args = vec!["-D", &data, "-l", &log, "-w", "-t", "60", "-o", &opts];
        args.extend_from_slice(action);
        as_postgres("pg_ctl", &args);
    }

    /// The URL of database `name` on this cluster.
    pub fn url(&self, name: &str) -> String {
        format!("postgres://postgres@127.0.0.1:{}/{name}", self.port)
    }

    /// An immediate-mode restart: every connection is cut without a checkpoint, as in a
    /// crash, and the server recovers from its write-ahead log. Returns the downtime.
    pub fn restart(&self, down_for: Duration) -> Duration {
        let started = Instant::now();
        self.ctl(&["-m", "immediate", "stop"]);
        std::thread::sleep(down_for);
        self.ctl(&["start"]);
        started.elapsed()
    }
}

impl Drop for PrivatePg {
    fn drop(&mut self) {
        if std::env::var_os("DOSSIER_CHAOS_KEEP").is_none() {
            self.ctl(&["-m", "immediate", "stop"]);
            let _ = std::fs::remove_dir_all(&self.dir);
        }
    }
}

/// A private nisshi broker on the durable `postgres://` engine; killed on drop.
pub struct Broker {
    child: Option<Child>,
    pub port: u16,
    storage: String,
    log: PathBuf,
}

impl Broker {
    /// Starts nisshi with `storage` (a `postgres://` URL of its own database; TLS is
    /// turned off: the local server's certificate names `localhost`, not 127.0.0.1).
    pub fn start(storage: String) -> Self {
        let storage = format!("{storage}?sslmode=disable");
        let port = free_port();
        let log = std::env::temp_dir().join(format!("dfchaos-nisshi-{port}.log"));
        let mut b = Self {
            child: None,
            port,
            storage,
            log,
        };
        b.spawn();
        b
    }

    /// `127.0.0.1:<port>`.
    pub fn addr(&self) -> String {
        format!("127.0.0.1:{}", self.port)
    }

    fn spawn(&mut self) {
        let listener = format!("tcp://127.0.0.1:{}", self.port);
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&self.log)
            .expect("broker log");
        let mut child = Command::new("nisshi")
            .args(["broker", "--listener-url", &listener])
            .args(["--advertised-listener-url", &listener])
            .args(["--storage-engine", &self.storage])
            .args(["--group-initial-rebalance-delay", "0s"])
            .stdin(Stdio::null())
            .stdout(log.try_clone().expect("log"))
            .stderr(log)
            .spawn()
            .expect("nisshi is installed (ops/stack up installs it)");
        let started = Instant::now();
        while !port_open(self.port) {
            if let Ok(Some(status)) = child.try_wait() {
                panic!(
                    "nisshi exited with {status} at start-up (log: {})",
                    self.log.display()
                );
            }
            assert!(
                started.elapsed() < Duration::from_secs(60),
                "nisshi did not listen on {} within 60 s (log: {})",
                self.port,
                self.log.display()
            );
            std::thread::sleep(Duration::from_millis(100));
        }
        self.child = Some(child);
    }

    /// Stops the broker (SIGKILL when `kill`, else SIGTERM), keeps it down for
    /// `down_for`, starts it again on the same storage. Returns the downtime.
    pub fn restart(&mut self, kill: bool, down_for: Duration) -> Duration {
        let started = Instant::now();
        if let Some(mut child) = self.child.take() {
            let signal = if kill { "-KILL" } else { "-TERM" };
            let _ = Command::new("kill")
                .args([signal, &child.id().to_string()])
                .status();
            let deadline = Instant::now() + Duration::from_secs(20);
            while child.try_wait().ok().flatten().is_none() && Instant::now() < deadline {
                std::thread::sleep(Duration::from_millis(50));
            }
            let _ = child.kill();
            let _ = child.wait();
        }
        std::thread::sleep(down_for);
        self.spawn();
        started.elapsed()
    }
}

impl Drop for Broker {
    fn drop(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}
