//! The bench's child processes: simulators and stage processes of this very binary
//! (`std::env::current_exe()`), each with its output in `<dir>/<name>.log`, every one
//! killed when the guard is dropped — on success, on error and on panic alike.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// One started process.
struct Member {
    name: String,
    child: Child,
    health: Option<String>,
}

/// The processes a part started; all killed on drop.
pub struct Children {
    dir: PathBuf,
    exe: PathBuf,
    members: Vec<Member>,
}

/// A port nobody listens on right now, outside the range the kernel gives client
/// sockets (see `dossierflow_runtime::ports`).
pub fn free_port() -> anyhow::Result<u16> {
    Ok(dossierflow_runtime::ports::free_port()?)
}

impl Children {
    /// No processes yet; logs will go to `dir` (created).
    pub fn new(dir: PathBuf) -> anyhow::Result<Self> {
        std::fs::create_dir_all(&dir)
            .map_err(|e| anyhow::anyhow!("cannot create {}: {e}", dir.display()))?;
        let mut exe = std::env::current_exe()
            .map_err(|e| anyhow::anyhow!("cannot find this program's path: {e}"))?;
        // Rebuilt while the bench runs, the file at that path is gone (Linux then names it
        // `… (deleted)`); the running image is still there.
        if !exe.exists() {
            exe = PathBuf::from("/proc/self/exe");
        }
        Ok(Self {
            dir,
            exe,
            members: Vec::new(),
        })
    }

    /// Where the processes' logs are.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Starts `dossierflow <args>` with `env` added to this process's environment; its
    /// stdout and stderr go to `<dir>/<name>.log`. `health` is polled by
    /// [`Children::wait_healthy`].
    pub fn spawn(
        &mut self,
        name: &str,
        args: &[&str],
        env: &[(String, String)],
        health: Option<String>,
    ) -> anyhow::Result<()> {
        let path = self.dir.join(format!("{name}.log"));
        let log = std::fs::File::create(&path)
            .map_err(|e| anyhow::anyhow!("cannot create {}: {e}", path.display()))?;
        let err = log.try_clone()?;
        let mut cmd = Command::new(&self.exe);
        cmd.args(args).stdin(Stdio::null()).stdout(log).stderr(err);
        for (k, v) in env {
            cmd.env(k, v);
        }
        let child = cmd
            .spawn()
            .map_err(|e| anyhow::anyhow!("cannot start {name}: {e}"))?;
        self.members.push(Member {
            name: name.to_owned(),
            child,
            health,
        });
        Ok(())
    }

    /// Runs `dossierflow <args>` to completion (a one-shot command such as
    /// `agency-webhook`); fails with its stderr on a non-zero exit.
    pub async fn run_once(&self, args: &[&str], env: &[(String, String)]) -> anyhow::Result<()> {
        let mut cmd = tokio::process::Command::new(&self.exe);
        cmd.args(args).stdin(Stdio::null());
        for (k, v) in env {
            cmd.env(k, v);
        }
        let out = cmd.output().await?;
        if !out.status.success() {
            anyhow::bail!(
                "`dossierflow {}` failed ({}): {}",
                args.first().copied().unwrap_or_default(),
                out.status,
                String::from_utf8_lossy(&out.stderr).trim()
            );
        }
        Ok(())
    }

    /// Waits until every member with a health URL answers 200 there. Fails when one
    /// exits first or `limit` passes.
    pub async fn wait_healthy(&mut self, limit: Duration) -> anyhow::Result<()> {
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(2))
            .build()?;
        let deadline = Instant::now() + limit;
        for i in 0..self.members.len() {
            let Some(url) = self.members[i].health.clone() else {
                continue;
            };
            loop {
                self.check_alive()?;
                if let Ok(r) = http.get(&url).send().await
                    && r.status().is_success()
                {
                    break;
                }
                if Instant::now() >= deadline {
                    let name = &self.members[i].name;
                    anyhow::bail!(
                        "{name} not healthy within {limit:?} ({url}); its log: {}",
                        self.dir.join(format!("{name}.log")).display()
                    );
                }
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
        }
        Ok(())
    }

    /// Fails naming the first member that has exited.
    pub fn check_alive(&mut self) -> anyhow::Result<()> {
        for m in &mut self.members {
            if let Ok(Some(status)) = m.child.try_wait() {
                anyhow::bail!(
                    "{} exited ({status}); its log: {}",
                    m.name,
                    self.dir.join(format!("{}.log", m.name)).display()
                );
            }
        }
        Ok(())
    }

    /// Name and process id of every member, in start order.
    pub fn pids(&self) -> Vec<(String, u32)> {
        self.members
            .iter()
            .map(|m| (m.name.clone(), m.child.id()))
            .collect()
    }

    /// Kills every member (SIGKILL) and reaps it.
    pub fn kill_all(&mut self) {
        for m in &mut self.members {
            let _ = m.child.kill();
            let _ = m.child.wait();
        }
        self.members.clear();
    }
}

impl Drop for Children {
    fn drop(&mut self) {
        self.kill_all();
    }
}
