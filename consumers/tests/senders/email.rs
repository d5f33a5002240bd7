//! The SMTP client against a scripted SMTP responder: the message that arrives, and the
//! outcomes of `250`, `550` at `RCPT`, a `421` greeting, silence and a refused connection.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use dossierflow_consumers::notify::channel::{Outcome, Sender};
use dossierflow_consumers::notify::senders::{EmailConfig, SendersConfig};
use dossierflow_consumers::notify::templates::{Channel, Templates};
use dossierflow_domain::Status;
use dossierflow_runtime::telemetry::Metrics;
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpStream};

use super::{TIMEOUT, message, no_channels, one, refused_base, rejected, retry};

/// How the responder answers.
#[derive(Clone, Copy)]
struct Script {
    greeting: &'static str,
    rcpt: &'static str,
}

const NORMAL: Script = Script {
    greeting: "220 sim.example ESMTP",
    rcpt: "250 2.1.5 OK",
};

type Mails = Arc<Mutex<Vec<String>>>;

async fn session(stream: TcpStream, script: Script, mails: Mails) -> std::io::Result<()> {
    let (read, mut write) = stream.into_split();
    let mut lines = BufReader::new(read).lines();
    write
        .write_all(format!("{}\r\n", script.greeting).as_bytes())
        .await?;
    if !script.greeting.starts_with("220") {
        return Ok(());
    }
    while let Some(line) = lines.next_line().await? {
        let verb = line.get(..4).unwrap_or_default().to_ascii_uppercase();
        let reply = match verb.as_str() {
            "EHLO" | "HELO" => "250 sim.example".to_owned(),
            "RCPT" => script.rcpt.to_owned(),
            "DATA" => {
                write.write_all(b"354 end with <CRLF>.<CRLF>\r\n").await?;
                let mut data = String::new();
                while let Some(l) = lines.next_line().await? {
                    if l == "." {
                        break;
                    }
                    data.push_str(&l);
                    data.push('\n');
                }
                mails.lock().expect("mails").push(data);
                "250 2.0.0 queued".to_owned()
            }
            "QUIT" => {
                write.write_all(b"221 bye\r\n").await?;
                return Ok(());
            }
            _ => "250 OK".to_owned(),
        };
        write.write_all(format!("{reply}\r\n").as_bytes()).await?;
    }
    Ok(())
}

/// A responder following `script`; returns its `smtp://` URL and the mails it took.
async fn responder(script: Script) -> (String, Mails) {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("addr");
    let mails = Mails::default();
    let taken = mails.clone();
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            tokio::spawn(session(stream, script, taken.clone()));
        }
    });
    (format!("smtp://{addr}"), mails)
}

fn config(url: &str) -> SendersConfig {
    SendersConfig {
        email: Some(EmailConfig {
            url: url.to_owned(),
            from: "Cổng Dịch vụ công <no-reply@dichvucong.example.vn>".into(),
            username: None,
            password: None,
        }),
        ..no_channels()
    }
}

fn sender(url: &str) -> Arc<dyn Sender> {
    one(&config(url), Metrics::new())
}

/// The (possibly folded) `Subject:` header of a formatted message.
fn subject_header(raw: &str) -> String {
    let mut out = String::new();
    let mut inside = false;
    for line in raw.lines() {
        if line.starts_with("Subject:") {
            inside = true;
        } else if inside && !line.starts_with([' ', '\t']) {
            break;
        }
        if inside {
            out.push_str(line);
            out.push('\n');
        }
    }
    out
}

#[tokio::test]
async fn delivered_message_carries_the_idempotency_key_and_utf8_subject() {
    let (url, mails) = responder(NORMAL).await;
    let msg = message(Status::Received);
    let expected_id = format!("<{}@dossierflow>", msg.id);
    assert_eq!(
        sender(&url).send(&msg).await,
        Outcome::Delivered {
            provider_ref: Some(expected_id.clone())
        }
    );
    let mails = mails.lock().expect("mails");
    assert_eq!(mails.len(), 1);
    let raw = &mails[0];
    assert!(raw.contains(&format!("Message-ID: {expected_id}")), "{raw}");
    assert!(
        raw.contains(&format!("X-Dossierflow-Notification: {}", msg.id)),
        "{raw}"
    );
    assert!(
        raw.contains("Content-Type: text/plain; charset=utf-8"),
        "{raw}"
    );
    assert!(raw.contains("To: an.nguyen@example.vn"), "{raw}");
    // The subject arrives exactly as lettre encodes the rendered UTF-8 subject.
    let templates = Templates::embedded().expect("templates");
    let rendered = templates
        .render("received", Channel::Email, &msg.context)
        .expect("render");
    let subject = rendered.subject.expect("subject");
    assert!(subject.contains("tiếp nhận"), "{subject}");
    let reference = lettre::Message::builder()
        .from("a@b.vn".parse().expect("from"))
        .to("c@d.vn".parse().expect("to"))
        .subject(subject)
        .body(String::new())
        .expect("reference message");
    let reference = String::from_utf8(reference.formatted()).expect("utf-8");
    let got = subject_header(raw);
    assert!(got.contains("=?utf-8?"), "{got}");
    assert_eq!(got, subject_header(&reference.replace("\r\n", "\n")));
}

#[tokio::test]
async fn unknown_recipient_is_rejected() {
    let (url, mails) = responder(Script {
        rcpt: "550 5.1.1 no such user an.nguyen@example.vn",
        ..NORMAL
    })
    .await;
    assert_eq!(
        sender(&url).send(&message(Status::Received)).await,
        rejected("SMTP 550")
    );
    assert!(mails.lock().expect("mails").is_empty());
}

#[tokio::test]
async fn busy_server_is_retried() {
    let (url, _mails) = responder(Script {
        greeting: "421 4.3.2 try again later",
        ..NORMAL
    })
    .await;
    assert_eq!(
        sender(&url).send(&message(Status::Received)).await,
        retry("SMTP 421", None)
    );
}

#[tokio::test]
async fn silent_server_and_refused_connection_are_retried() {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let url = format!("smtp://{}", listener.local_addr().expect("addr"));
    tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((stream, _)) = listener.accept().await {
            held.push(stream);
        }
    });
    let started = std::time::Instant::now();
    let outcome = sender(&url).send(&message(Status::Received)).await;
    assert_eq!(outcome, retry("timeout", None));
    assert!(started.elapsed() < TIMEOUT + Duration::from_secs(2));
    let refused = refused_base().replace("http://", "smtp://");
    assert_eq!(
        sender(&refused).send(&message(Status::Received)).await,
        retry("connection failed", None)
    );
}

#[tokio::test]
async fn missing_address_makes_no_connection() {
    let mut msg = message(Status::Received);
    msg.recipient.email = None;
    let refused = refused_base().replace("http://", "smtp://");
    assert_eq!(
        sender(&refused).send(&msg).await,
        rejected("no e-mail address")
    );
}
