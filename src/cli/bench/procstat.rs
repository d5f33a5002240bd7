//! CPU time and memory per process over one measurement, from `/proc`: utime + stime of
//! `/proc/<pid>/stat` (all threads) as a delta, peak RSS (`VmHWM`, reset at the start
//! through `/proc/<pid>/clear_refs` for our own children) and RSS at the end (`VmRSS`).
//! The broker (the `nisshi` process whose command line names the bench's listener) and
//! PostgreSQL (every process named `postgres`, the whole server) are measured as found.

use std::collections::BTreeMap;
use std::time::Instant;

/// Which process(es) a row measures.
#[derive(Debug, Clone)]
pub enum Who {
    /// A process the bench started: peak RSS is reset at the start.
    Own(u32),
    /// A process found running (the broker): CPU and RSS at the end.
    Found(u32),
    /// Every `postgres` process at each sample (the server and its backends): CPU only.
    Postgres,
}

/// A named measurement target.
#[derive(Debug, Clone)]
pub struct Target {
    /// Row label.
    pub name: String,
    /// The process(es).
    pub who: Who,
}

/// What one target used over the measurement.
#[derive(Debug, Clone)]
pub struct Usage {
    /// Row label.
    pub name: String,
    /// CPU seconds (user + system) during the measurement.
    pub cpu_s: f64,
    /// Peak resident set during the measurement, MB (own processes only).
    pub peak_mb: Option<f64>,
    /// Resident set at the end, MB.
    pub rss_mb: Option<f64>,
}

/// CPU ticks per pid of each target at the start.
pub struct Meter {
    started: Instant,
    targets: Vec<Target>,
    before: Vec<BTreeMap<u32, u64>>,
    tick: f64,
}

impl Meter {
    /// Resets the peaks of own processes and takes the first CPU sample.
    pub fn start(targets: Vec<Target>, tick: f64) -> Self {
        for t in &targets {
            if let Who::Own(pid) = t.who {
                reset_peak(pid);
            }
        }
        let before = targets.iter().map(|t| ticks_of(&t.who)).collect();
        Self {
            started: Instant::now(),
            targets,
            before,
            tick,
        }
    }

    /// Seconds since the start and each target's usage.
    pub fn finish(&self) -> (f64, Vec<Usage>) {
        let secs = self.started.elapsed().as_secs_f64();
        let usage = self
            .targets
            .iter()
            .zip(&self.before)
            .map(|(t, before)| {
                let after = ticks_of(&t.who);
                // A process that appeared meanwhile counts from zero; one that ended is
                // lost (PostgreSQL backends that disconnected during the measurement).
                let ticks: u64 = after
                    .iter()
                    .map(|(pid, a)| a.saturating_sub(before.get(pid).copied().unwrap_or(0)))
                    .sum();
                let (peak_mb, rss_mb) = match t.who {
                    Who::Own(pid) => memory(pid),
                    Who::Found(pid) => (None, memory(pid).1),
                    Who::Postgres => (None, None),
                };
                Usage {
                    name: t.name.clone(),
                    cpu_s: ticks as f64 / self.tick,
                    peak_mb,
                    rss_mb,
                }
            })
            .collect();
        (secs, usage)
    }
}

fn ticks_of(who: &Who) -> BTreeMap<u32, u64> {
    let pids = match who {
        Who::Own(pid) | Who::Found(pid) => vec![*pid],
        Who::Postgres => pids_named("postgres", None),
    };
    pids.into_iter()
        .filter_map(|pid| cpu_ticks(pid).map(|t| (pid, t)))
        .collect()
}

/// utime + stime of a process, in clock ticks.
pub fn cpu_ticks(pid: u32) -> Option<u64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // The command name (field 2) may hold spaces and parentheses: split after the last ')'.
    let (_, rest) = stat.rsplit_once(')')?;
    let fields: Vec<&str> = rest.split_whitespace().collect();
    // rest starts at field 3 (state); utime and stime are fields 14 and 15.
    let utime: u64 = fields.get(11)?.parse().ok()?;
    let stime: u64 = fields.get(12)?.parse().ok()?;
    Some(utime + stime)
}

/// (VmHWM, VmRSS) in MB.
fn memory(pid: u32) -> (Option<f64>, Option<f64>) {
    let Ok(status) = std::fs::read_to_string(format!("/proc/{pid}/status")) else {
        return (None, None);
    };
    let kb = |key: &str| {
        status
            .lines()
            .find_map(|l| l.strip_prefix(key))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<f64>().ok())
            .map(|kb| kb / 1024.0)
    };
    (kb("VmHWM:"), kb("VmRSS:"))
}

/// Resets a process's peak RSS (`echo 5 > /proc/<pid>/clear_refs`); best effort.
fn reset_peak(pid: u32) {
    if let Err(e) = std::fs::write(format!("/proc/{pid}/clear_refs"), "5") {
        tracing::debug!(pid, error = %e, "cannot reset the peak RSS");
    }
}

/// Clock ticks per second (`getconf CLK_TCK`; `unsafe` code, and so `sysconf`, is
/// forbidden in this workspace), and whether it was read rather than assumed (100).
pub fn clock_tick() -> (f64, bool) {
    let read = std::process::Command::new("getconf")
        .arg("CLK_TCK")
        .output()
        .ok()
        .filter(|o| o.status.success())
        .and_then(|o| {
            String::from_utf8_lossy(&o.stdout)
                .trim()
                .parse::<f64>()
                .ok()
        })
        .filter(|t| *t > 0.0);
    match read {
        Some(t) => (t, true),
        None => (100.0, false),
    }
}

/// Processes whose `comm` is `name` and, when given, whose command line contains `arg`.
pub fn pids_named(name: &str, arg: Option<&str>) -> Vec<u32> {
    let Ok(dir) = std::fs::read_dir("/proc") else {
        return Vec::new();
    };
    dir.filter_map(|e| e.ok()?.file_name().to_str()?.parse::<u32>().ok())
        .filter(|pid| {
            std::fs::read_to_string(format!("/proc/{pid}/comm")).is_ok_and(|c| c.trim() == name)
        })
        .filter(|pid| {
            arg.is_none_or(|arg| {
                std::fs::read(format!("/proc/{pid}/cmdline"))
                    .is_ok_and(|c| String::from_utf8_lossy(&c).contains(arg))
            })
        })
        .collect()
}

/// The nisshi broker listening on the first address of `brokers`, if exactly one
/// `nisshi` process names it on its command line.
pub fn find_broker(brokers: &str) -> Option<u32> {
    let addr = brokers.split(',').next()?.trim();
    match pids_named("nisshi", Some(addr))[..] {
        [pid] => Some(pid),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn own_process_has_cpu_and_memory() {
        let pid = std::process::id();
        let mut x = 0u64;
        for i in 0..2_000_000u64 {
            x = x.wrapping_mul(31).wrapping_add(i);
        }
        assert!(x != 1);
        assert!(cpu_ticks(pid).is_some());
        let (peak, rss) = memory(pid);
        assert!(peak.is_some_and(|p| p > 0.0) && rss.is_some_and(|r| r > 0.0));
        assert!(clock_tick().0 > 0.0);
    }
}
