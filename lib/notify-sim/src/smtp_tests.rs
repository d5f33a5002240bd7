//! Tests of the SMTP server with lettre and over raw TCP.

use std::time::Duration;

use lettre::message::header::{ContentType, HeaderName, HeaderValue};
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use serde_json::json;
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;

use crate::SimConfig;
use crate::test_support::{Harness, start};

const SUBJECT: &str = "Hồ sơ 000.00.92.H55-230206-0001 đã được tiếp nhận";
const BODY: &str = "Kính gửi ông/bà Nguyễn Văn Ánh,\nHồ sơ của quý vị đã được tiếp nhận.\n.dòng bắt đầu bằng dấu chấm";

fn mailer(sim: &Harness) -> AsyncSmtpTransport<Tokio1Executor> {
    AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous("127.0.0.1")
        .port(sim.smtp.port())
        .timeout(Some(Duration::from_secs(5)))
        .build()
}

fn email(id: &str) -> Message {
    Message::builder()
        .from(
            "Cổng Dịch vụ công <noreply@dossierflow.test>"
                .parse()
                .expect("from"),
        )
        .to("citizen@example.test".parse().expect("to"))
        .subject(SUBJECT)
        .message_id(Some(format!("<{id}@dossierflow>")))
        .raw_header(HeaderValue::new(
            HeaderName::new_from_ascii_str("X-Dossierflow-Notification"),
            id.to_owned(),
        ))
        .header(ContentType::TEXT_PLAIN)
        .body(BODY.to_owned())
        .expect("message")
}

#[tokio::test]
async fn utf8_mail_arrives_decoded_and_repeats_are_duplicates() {
    let sim = start(SimConfig::default()).await;
    let mailer = mailer(&sim);
    let answer = mailer.send(email("n-1")).await.expect("sent");
    assert!(answer.code().is_positive());
    mailer.send(email("n-1")).await.expect("repeat still 250");
    mailer.send(email("n-2")).await.expect("sent");
    let st = sim.stats("email").await;
    assert_eq!(
        (st["accepted"].as_u64(), st["duplicates"].as_u64()),
        (Some(2), Some(1))
    );
    assert_eq!(
        sim.get("/admin/keys?channel=email").await,
        json!(["n-1", "n-2"])
    );
    let msgs = sim.get("/admin/messages?channel=email&limit=1").await;
    let m = &msgs[0];
    assert_eq!(m["subject"], SUBJECT);
    assert_eq!(m["body"], BODY);
    assert_eq!(m["message_id"], "n-2@dossierflow");
    assert_eq!(m["from"], "Cổng Dịch vụ công <noreply@dossierflow.test>");
    assert_eq!(m["to"], "citizen@example.test");
    assert_eq!(m["envelope_to"], json!(["citizen@example.test"]));
}

#[tokio::test]
async fn reject_is_permanent_and_fail_is_transient_for_lettre() {
    let sim = start(SimConfig {
        timeout_hold: Duration::from_millis(500),
        ..SimConfig::default()
    })
    .await;
    sim.fault(json!({"channel": "email", "mode": "reject"}))
        .await;
    let err = mailer(&sim).send(email("r-1")).await.expect_err("550");
    assert!(err.is_permanent(), "{err}");
    sim.fault(json!({"channel": "email", "mode": "fail", "for_seconds": 1}))
        .await;
    let err = mailer(&sim).send(email("r-1")).await.expect_err("421");
    assert!(err.is_transient(), "{err}");
    assert!(
        err.to_string().contains("421") || err.status().is_some_and(|c| c.to_string() == "421")
    );
    sim.fault(json!({"channel": "email", "mode": "timeout"}))
        .await;
    let quick = AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous("127.0.0.1")
        .port(sim.smtp.port())
        .timeout(Some(Duration::from_millis(200)))
        .build();
    assert!(
        quick.send(email("r-1")).await.is_err(),
        "no greeting in time"
    );
    sim.fault(json!({"channel": "email", "mode": "ok"})).await;
    mailer(&sim).send(email("r-1")).await.expect("ok again");
    let st = sim.stats("email").await;
    assert_eq!(st["failed"], 3);
    assert_eq!(st["accepted"], 1);
    assert_eq!(sim.get("/admin/keys?channel=email").await, json!(["r-1"]));
}

struct Raw {
    read: BufReader<tokio::net::tcp::OwnedReadHalf>,
    write: tokio::net::tcp::OwnedWriteHalf,
}

impl Raw {
    async fn connect(sim: &Harness) -> (Raw, String) {
        let (read, write) = TcpStream::connect(sim.smtp)
            .await
            .expect("tcp")
            .into_split();
        let mut raw = Raw {
            read: BufReader::new(read),
            write,
        };
        let greeting = raw.reply().await;
        (raw, greeting)
    }

    /// Reads one (possibly multi-line) reply.
    async fn reply(&mut self) -> String {
        let mut all = String::new();
        loop {
            let mut line = String::new();
            self.read.read_line(&mut line).await.expect("read");
            all.push_str(&line);
            if line.len() < 4 || line.as_bytes()[3] != b'-' {
                return all;
            }
        }
    }

    async fn cmd(&mut self, line: &str) -> String {
        self.write
            .write_all(format!("{line}\r\n").as_bytes())
            .await
            .expect("write");
        self.reply().await
    }
}

#[tokio::test]
async fn raw_commands_order_errors_and_dot_unstuffing() {
    let sim = start(SimConfig::default()).await;
    let (mut c, greeting) = Raw::connect(&sim).await;
    assert!(greeting.starts_with("220 "));
    assert!(c.cmd("MAIL FROM:<a@x.test>").await.starts_with("503"));
    let ehlo = c.cmd("EHLO client.test").await;
    assert!(
        ehlo.contains("250-8BITMIME") && ehlo.contains("250 SIZE 10485760"),
        "{ehlo}"
    );
    assert!(c.cmd("RCPT TO:<b@x.test>").await.starts_with("503"));
    assert!(c.cmd("DATA").await.starts_with("503"));
    assert!(c.cmd("STARTTLS").await.starts_with("454"));
    assert!(c.cmd("FROB").await.starts_with("500"));
    assert!(c.cmd(&"X".repeat(1200)).await.starts_with("500"));
    assert!(c.cmd("NOOP").await.starts_with("250"));
    let mail = c.cmd("MAIL FROM:<a@x.test> BODY=8BITMIME SMTPUTF8").await;
    assert!(mail.starts_with("250"), "{mail}");
    assert!(c.cmd("MAIL FROM:<a@x.test>").await.starts_with("503"));
    assert!(c.cmd("RCPT TO:<b@x.test>").await.starts_with("250"));
    assert!(c.cmd("DATA").await.starts_with("354"));
    let data =
        "X-Dossierflow-Notification: raw-1\r\nSubject: plain\r\n\r\nline one\r\n..dotted\r\n.\r\n";
    c.write.write_all(data.as_bytes()).await.expect("data");
    assert!(c.reply().await.starts_with("250 2.0.0 OK queued as"));
    // A second message on the same connection, then RSET and QUIT.
    assert!(c.cmd("MAIL FROM:<>").await.starts_with("250"));
    assert!(c.cmd("RSET").await.starts_with("250"));
    assert!(c.cmd("DATA").await.starts_with("503"));
    assert!(c.cmd("QUIT").await.starts_with("221"));
    let msgs = sim.get("/admin/messages?channel=email").await;
    assert_eq!(msgs[0]["body"], "line one\n.dotted");
    assert_eq!(msgs[0]["subject"], "plain");
    assert_eq!(sim.stats("email").await["accepted"], 1);
}

#[tokio::test]
async fn oversized_messages_get_552_and_idle_connections_close() {
    let sim = start(SimConfig {
        smtp_idle_timeout: Duration::from_millis(300),
        ..SimConfig::default()
    })
    .await;
    let (mut c, _) = Raw::connect(&sim).await;
    c.cmd("HELO client.test").await;
    c.cmd("MAIL FROM:<a@x.test>").await;
    c.cmd("RCPT TO:<b@x.test>").await;
    assert!(c.cmd("DATA").await.starts_with("354"));
    let line = format!("{}\r\n", "a".repeat(998));
    let chunk = line.repeat(1024);
    for _ in 0..11 {
        c.write.write_all(chunk.as_bytes()).await.expect("chunk");
    }
    c.write.write_all(b".\r\n").await.expect("end");
    assert!(c.reply().await.starts_with("552"));
    assert_eq!(sim.stats("email").await["accepted"], 0);
    let idle = c.reply().await;
    assert!(idle.starts_with("421"), "idle connection closed: {idle}");
}
