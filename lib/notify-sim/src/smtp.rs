//! The SMTP listener: accepts plain-TCP connections (bounded in number), reads command
//! lines and message text (dot-unstuffing, size and line-length limits, idle timeout)
//! and drives a [`Session`] per connection.

use std::io;
use std::sync::Arc;

use tokio::io::{AsyncBufRead, AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::Semaphore;

use crate::smtp_session::{MAX_SIZE, Received, Session, Step};
use crate::state::{Channel, FaultMode, Sim};

/// Longest accepted line, CRLF included (RFC 5321 §4.5.3.1.6).
const MAX_LINE: usize = 1000;

/// One line read from the client.
enum Line {
    /// A complete line, CRLF included.
    Text,
    /// A line longer than [`MAX_LINE`] (discarded up to its end).
    TooLong,
    /// The client closed the connection.
    Eof,
}

/// Accepts connections until the simulator shuts down.
pub(crate) async fn serve(listener: TcpListener, sim: Sim) -> anyhow::Result<()> {
    let slots = Arc::new(Semaphore::new(sim.config.smtp_max_connections));
    loop {
        let accepted = tokio::select! {
            a = listener.accept() => a,
            () = sim.shutdown.cancelled() => return Ok(()),
        };
        let mut stream = match accepted {
            Ok((stream, _)) => {
                // Replies are small writes answered by the client's next command: without
                // this, Nagle's algorithm meets the client's delayed ACK and every reply
                // waits ~40 ms (measured: e-mail capped at ~40 messages/s).
                let _ = stream.set_nodelay(true);
                stream
            }
            Err(e) => {
                tracing::warn!(error = %e, "SMTP accept failed");
                sim.pause(std::time::Duration::from_millis(50)).await;
                continue;
            }
        };
        let sim = sim.clone();
        match slots.clone().try_acquire_owned() {
            Ok(permit) => {
                tokio::spawn(async move {
                    tokio::select! {
                        r = connection(&mut stream, &sim) => {
                            if let Err(e) = r {
                                tracing::debug!(error = %e, "SMTP connection ended");
                            }
                        }
                        () = sim.shutdown.cancelled() => {}
                    }
                    drop(permit);
                });
            }
            Err(_) => {
                tokio::spawn(async move {
                    let _ = reply(&mut stream, "421 4.3.2 Too many connections").await;
                });
            }
        }
    }
}

async fn reply<W: AsyncWriteExt + Unpin>(w: &mut W, text: &str) -> io::Result<()> {
    // One write per reply: a reply split over two segments is what Nagle delays.
    let mut line = Vec::with_capacity(text.len() + 2);
    line.extend_from_slice(text.as_bytes());
    line.extend_from_slice(b"\r\n");
    w.write_all(&line).await?;
    w.flush().await
}

/// Reads one line into `buf` (cleared first), at most [`MAX_LINE`] bytes.
async fn read_line<R: AsyncBufRead + Unpin>(r: &mut R, buf: &mut Vec<u8>) -> io::Result<Line> {
    buf.clear();
    let n = (&mut *r)
        .take(MAX_LINE as u64)
        .read_until(b'\n', buf)
        .await?;
    if buf.ends_with(b"\n") {
        return Ok(Line::Text);
    }
    if n < MAX_LINE {
        return Ok(Line::Eof);
    }
    let mut rest = Vec::new();
    loop {
        rest.clear();
        let n = (&mut *r)
            .take(64 * 1024)
            .read_until(b'\n', &mut rest)
            .await?;
        if rest.ends_with(b"\n") {
            return Ok(Line::TooLong);
        }
        if n == 0 {
            return Ok(Line::Eof);
        }
    }
}

/// [`read_line`] bounded by the idle timeout; `None` when the connection idled out.
async fn read_idle<R: AsyncBufRead + Unpin>(
    r: &mut R,
    buf: &mut Vec<u8>,
    sim: &Sim,
) -> io::Result<Option<Line>> {
    match tokio::time::timeout(sim.config.smtp_idle_timeout, read_line(r, buf)).await {
        Ok(line) => line.map(Some),
        Err(_) => Ok(None),
    }
}

/// Reads the message text after `354`, up to the lone dot; `None` on EOF or idle.
async fn read_data<R: AsyncBufRead + Unpin>(r: &mut R, sim: &Sim) -> io::Result<Option<Received>> {
    let mut received = Received::default();
    let mut line = Vec::new();
    loop {
        match read_idle(r, &mut line, sim).await? {
            None | Some(Line::Eof) => return Ok(None),
            Some(Line::TooLong) => received.line_too_long = true,
            Some(Line::Text) => {
                if line == b".\r\n" || line == b".\n" {
                    // The CRLF before the dot ends the last line and belongs to the
                    // terminator the client added.
                    if received.data.ends_with(b"\r\n") {
                        received.data.truncate(received.data.len() - 2);
                    }
                    return Ok(Some(received));
                }
                let text = line.strip_prefix(b".").unwrap_or(&line);
                if received.data.len() + text.len() > MAX_SIZE {
                    received.too_big = true;
                } else if !received.too_big {
                    received.data.extend_from_slice(text);
                }
            }
        }
    }
}

/// Serves one connection: fault checks, greeting, then commands until QUIT.
async fn connection(stream: &mut TcpStream, sim: &Sim) -> io::Result<()> {
    let (mode, latency) = {
        let mut st = sim.lock();
        let fault = &mut st.ch(Channel::Email).fault;
        (fault.current(), fault.latency)
    };
    match mode {
        FaultMode::Fail => {
            sim.count(Channel::Email, |c| {
                c.requests += 1;
                c.failed += 1;
            });
            return reply(stream, "421 4.3.0 Service temporarily unavailable").await;
        }
        FaultMode::Timeout => {
            sim.count(Channel::Email, |c| {
                c.requests += 1;
                c.failed += 1;
            });
            sim.pause(sim.config.timeout_hold).await;
            return Ok(());
        }
        FaultMode::Ok | FaultMode::Reject => {}
    }
    sim.pause(latency).await;
    let (read, mut write) = stream.split();
    let mut read = BufReader::new(read);
    let host = sim.config.smtp_hostname.clone();
    reply(
        &mut write,
        &format!("220 {host} ESMTP dossierflow notify-sim"),
    )
    .await?;
    let mut session = Session::new(sim.clone());
    let mut line = Vec::new();
    loop {
        let text = match read_idle(&mut read, &mut line, sim).await? {
            None => return reply(&mut write, "421 4.4.2 Idle timeout, closing").await,
            Some(Line::Eof) => return Ok(()),
            Some(Line::TooLong) => {
                reply(&mut write, "500 5.5.2 Line too long").await?;
                continue;
            }
            Some(Line::Text) => String::from_utf8_lossy(&line).into_owned(),
        };
        match session.command(text.trim_end_matches(['\r', '\n'])) {
            Step::Reply(r) => reply(&mut write, &r).await?,
            Step::Close(r) => return reply(&mut write, &r).await,
            Step::Hold => {
                sim.pause(sim.config.timeout_hold).await;
                return Ok(());
            }
            Step::Data => {
                reply(&mut write, "354 End data with <CR><LF>.<CR><LF>").await?;
                let Some(received) = read_data(&mut read, sim).await? else {
                    return Ok(());
                };
                let answer = session.message(received);
                let latency = sim.lock().ch(Channel::Email).fault.latency;
                sim.pause(latency).await;
                reply(&mut write, &answer).await?;
            }
        }
    }
}

#[cfg(test)]
#[path = "smtp_tests.rs"]
mod tests;
