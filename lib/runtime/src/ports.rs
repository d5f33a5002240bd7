//! Ports for child processes that this process starts (the bench's stages, the system
//! tests' simulators and apps).
//!
//! The usual trick, binding port 0 and releasing it, hands out a port from the kernel's
//! ephemeral range. Every outgoing connection (to PostgreSQL, to the broker) takes its
//! local port from that same range, so between the release and the child's own bind a
//! client socket can take the port, and the child fails with "address already in use".
//! CI saw exactly that. Ports here come from below the ephemeral range instead, where
//! the kernel never picks one on its own; each is handed out once per process, and only
//! after a bind on both `127.0.0.1` and `0.0.0.0` shows nobody holds it.

use std::net::TcpListener;
use std::sync::atomic::{AtomicU32, Ordering};

/// Lowest port handed out; ports under it are left to well-known services.
const FLOOR: u16 = 15_000;

/// How many candidates this process has tried; the next one is `start + count`.
static TRIED: AtomicU32 = AtomicU32::new(0);

/// A port nobody listens on now, never handed out before by this process, and outside
/// the kernel's ephemeral range when that range leaves room below it.
///
/// Processes that run at once start at different points of the range (derived from
/// their process id and the clock), so they rarely try the same ports.
pub fn free_port() -> std::io::Result<u16> {
    let (low, _) = ephemeral_range();
    if low <= FLOOR + 1_000 {
        // No room below the ephemeral range: fall back to asking the kernel.
        return TcpListener::bind("127.0.0.1:0")?
            .local_addr()
            .map(|a| a.port());
    }
    let span = u32::from(low - FLOOR);
    pick(FLOOR, span, start_offset(span), &TRIED).ok_or_else(|| {
        std::io::Error::new(
            std::io::ErrorKind::AddrInUse,
            format!("no free port between {FLOOR} and {low}"),
        )
    })
}

/// The first bindable port among the `span` ports from `floor`, trying them in turn
/// from `start` plus the candidates `tried` so far (each candidate is tried once).
fn pick(floor: u16, span: u32, start: u32, tried: &AtomicU32) -> Option<u16> {
    for _ in 0..span {
        let n = tried.fetch_add(1, Ordering::Relaxed);
        let port = floor + ((start + n) % span) as u16;
        if bindable(port) {
            return Some(port);
        }
    }
    None
}

/// Whether a listener could bind `port` on loopback and on every address right now.
fn bindable(port: u16) -> bool {
    // One at a time: while the first listener is open, the second bind would fail.
    let loopback = TcpListener::bind(("127.0.0.1", port)).is_ok();
    loopback && TcpListener::bind(("0.0.0.0", port)).is_ok()
}

/// This process's starting point in a span of `span` ports, fixed on first use.
fn start_offset(span: u32) -> u32 {
    static START: std::sync::OnceLock<u32> = std::sync::OnceLock::new();
    *START.get_or_init(|| {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.subsec_nanos())
            .unwrap_or(0);
        std::process::id().wrapping_mul(7_919).wrapping_add(nanos) % span
    })
}

/// The kernel's ephemeral port range, or Linux's default when it cannot be read.
fn ephemeral_range() -> (u16, u16) {
    std::fs::read_to_string("/proc/sys/net/ipv4/ip_local_port_range")
        .ok()
        .and_then(|text| {
            let mut parts = text.split_whitespace().map(|p| p.parse::<u16>().ok());
            Some((parts.next()??, parts.next()??))
        })
        .unwrap_or((32_768, 60_999))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ports_are_below_the_ephemeral_range_and_never_repeat() {
        let (low, _) = ephemeral_range();
        let ports: Vec<u16> = (0..200).map(|_| free_port().expect("port")).collect();
        let mut unique = ports.clone();
        unique.sort_unstable();
        unique.dedup();
        assert_eq!(unique.len(), ports.len(), "a port was handed out twice");
        if low > FLOOR + 1_000 {
            assert!(
                ports.iter().all(|&p| (FLOOR..low).contains(&p)),
                "{ports:?}"
            );
        }
    }

    #[test]
    fn a_port_someone_listens_on_is_skipped() {
        // Somebody listens on `held`, the first candidate of a private counter.
        let held = TcpListener::bind("127.0.0.1:0").expect("listen");
        let port = held.local_addr().expect("addr").port();
        let span = u32::from(u16::MAX - port).min(100);
        let got = pick(port, span, 0, &AtomicU32::new(0));
        assert!(got.is_some(), "a free port among {span}");
        assert_ne!(got, Some(port), "a port in use was handed out");
    }
}
