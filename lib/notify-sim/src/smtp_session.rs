//! The SMTP command state machine of one connection (no I/O): greeting state, the mail
//! transaction, fault decisions, and what to do with a received message.

use serde_json::json;

use crate::mime;
use crate::state::{Admission, Channel, FaultMode, Sim};

/// Largest accepted message (bytes after dot-unstuffing).
pub(crate) const MAX_SIZE: usize = 10 * 1024 * 1024;
/// Most recipients of one transaction.
const MAX_RCPTS: usize = 100;

/// What the connection does after a command.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Step {
    /// Send this reply and read the next command.
    Reply(String),
    /// Send `354` and read the message.
    Data,
    /// Send this reply and close the connection.
    Close(String),
    /// Hold the connection without answering (the `timeout` fault), then close.
    Hold,
}

/// How the message text ended.
#[derive(Debug, Default)]
pub(crate) struct Received {
    /// The dot-unstuffed message.
    pub data: Vec<u8>,
    /// More than [`MAX_SIZE`] bytes were sent.
    pub too_big: bool,
    /// A line was longer than 1000 bytes.
    pub line_too_long: bool,
}

/// One connection's SMTP state.
pub(crate) struct Session {
    sim: Sim,
    greeted: bool,
    from: Option<String>,
    rcpts: Vec<String>,
}

/// The address between `<` and `>` after `prefix` (case-insensitive), and the rest.
fn path_arg<'a>(arg: &'a str, prefix: &str) -> Option<(&'a str, &'a str)> {
    let head = arg.get(..prefix.len())?;
    if !head.eq_ignore_ascii_case(prefix) {
        return None;
    }
    let rest = arg[prefix.len()..].trim_start();
    let rest = rest.strip_prefix('<')?;
    let end = rest.find('>')?;
    Some((&rest[..end], rest[end + 1..].trim()))
}

impl Session {
    /// A fresh session (before `EHLO`).
    pub fn new(sim: Sim) -> Self {
        Session {
            sim,
            greeted: false,
            from: None,
            rcpts: Vec::new(),
        }
    }

    fn reset(&mut self) {
        self.from = None;
        self.rcpts.clear();
    }

    fn mode(&self) -> FaultMode {
        self.sim.lock().ch(Channel::Email).fault.current()
    }

    /// Handles one command line (without its CRLF).
    pub fn command(&mut self, line: &str) -> Step {
        let (verb, arg) = line.split_once(' ').unwrap_or((line, ""));
        let arg = arg.trim();
        let reply = |s: &str| Step::Reply(s.to_owned());
        match verb.to_ascii_uppercase().as_str() {
            "EHLO" | "HELO" if arg.is_empty() => reply("501 5.5.4 Domain name required"),
            "EHLO" => {
                self.reset();
                self.greeted = true;
                let host = &self.sim.config.smtp_hostname;
                Step::Reply(format!(
                    "250-{host}\r\n250-8BITMIME\r\n250-SMTPUTF8\r\n250 SIZE {MAX_SIZE}"
                ))
            }
            "HELO" => {
                self.reset();
                self.greeted = true;
                Step::Reply(format!("250 {}", self.sim.config.smtp_hostname))
            }
            "MAIL" if !self.greeted => reply("503 5.5.1 Send EHLO first"),
            "MAIL" if self.from.is_some() => reply("503 5.5.1 Nested MAIL command"),
            "MAIL" => self.mail(arg),
            "RCPT" if self.from.is_none() => reply("503 5.5.1 Need MAIL before RCPT"),
            "RCPT" => self.rcpt(arg),
            "DATA" if self.from.is_none() || self.rcpts.is_empty() => {
                reply("503 5.5.1 Need RCPT before DATA")
            }
            "DATA" => Step::Data,
            "RSET" => {
                self.reset();
                reply("250 2.0.0 OK")
            }
            "NOOP" => reply("250 2.0.0 OK"),
            "QUIT" => Step::Close("221 2.0.0 Bye".to_owned()),
            "STARTTLS" => reply("454 4.7.0 TLS not available"),
            _ => reply("500 5.5.2 Command not recognized"),
        }
    }

    fn mail(&mut self, arg: &str) -> Step {
        let Some((from, _params)) = path_arg(arg, "FROM:") else {
            return Step::Reply("501 5.5.4 Syntax: MAIL FROM:<address>".to_owned());
        };
        let (mode, _) = self.sim.begin(Channel::Email);
        match mode {
            FaultMode::Fail => {
                self.sim.count(Channel::Email, |c| c.failed += 1);
                Step::Close("421 4.3.0 Service temporarily unavailable".to_owned())
            }
            FaultMode::Timeout => {
                self.sim.count(Channel::Email, |c| c.failed += 1);
                Step::Hold
            }
            FaultMode::Ok | FaultMode::Reject => {
                self.from = Some(from.to_owned());
                Step::Reply("250 2.1.0 OK".to_owned())
            }
        }
    }

    fn rcpt(&mut self, arg: &str) -> Step {
        let Some((to, _params)) = path_arg(arg, "TO:") else {
            return Step::Reply("501 5.5.4 Syntax: RCPT TO:<address>".to_owned());
        };
        if to.is_empty() {
            return Step::Reply("501 5.1.3 Recipient address required".to_owned());
        }
        if self.rcpts.len() >= MAX_RCPTS {
            return Step::Reply("452 4.5.3 Too many recipients".to_owned());
        }
        if self.mode() == FaultMode::Reject {
            self.sim.count(Channel::Email, |c| c.failed += 1);
            return Step::Reply("550 5.1.1 Mailbox unavailable".to_owned());
        }
        self.rcpts.push(to.to_owned());
        Step::Reply("250 2.1.5 OK".to_owned())
    }

    /// Handles a received message and ends the transaction; returns the reply.
    pub fn message(&mut self, received: Received) -> String {
        let from = self.from.take().unwrap_or_default();
        let rcpts = std::mem::take(&mut self.rcpts);
        if received.too_big {
            self.sim.count(Channel::Email, |c| c.rejected += 1);
            return "552 5.3.4 Message size exceeds fixed maximum message size".to_owned();
        }
        if received.line_too_long {
            self.sim.count(Channel::Email, |c| c.rejected += 1);
            return "500 5.5.2 Line too long".to_owned();
        }
        let p = mime::parse(&received.data);
        let key = p
            .notification
            .clone()
            .or_else(|| p.message_id.clone())
            .unwrap_or_else(|| uuid::Uuid::new_v4().to_string());
        let message = json!({
            "from": p.from, "to": p.to, "subject": p.subject, "body": p.body,
            "message_id": p.message_id, "notification_id": p.notification,
            "multipart": p.multipart, "envelope_from": from, "envelope_to": rcpts,
            "size": received.data.len(),
        });
        let queue_id = || uuid::Uuid::new_v4().simple().to_string()[..16].to_uppercase();
        match self
            .sim
            .admit(Channel::Email, &key, queue_id, |_| Ok::<_, ()>(message))
        {
            Admission::Accepted(id) => {
                tracing::debug!(channel = "email", key = %key, "accepted");
                format!("250 2.0.0 OK queued as {id}")
            }
            Admission::Duplicate(id) => format!("250 2.0.0 OK queued as {id}"),
            Admission::Invalid(()) => "554 5.6.0 Message refused".to_owned(),
        }
    }
}
