//! The notification-provider simulator as a process, and the pipeline settings that
//! point every channel at it.

use std::collections::HashSet;
use std::time::Duration;

use dossierflow_runtime::tokens::BearerDigests;
use serde_json::{Value, json};
use uuid::Uuid;

use crate::common::Proc;

pub const SMS_RECEIPT_TOKEN: &str = "receipt-token-sms";
pub const ZALO_RECEIPT_TOKEN: &str = "receipt-token-zalo";
const SMS_KEY: &str = "sms-api-key";
const ZALO_TOKEN: &str = "zalo-access-token";
const PORTAL_TOKEN: &str = "dvcqg-token";
const WEBHOOK_SECRET: &str = "portal-webhook-secret";

/// A running `dossierflow notify-sim`.
pub struct Providers {
    pub _proc: Proc,
    pub url: String,
}

/// The pipeline's notification settings for providers at these ports: every channel on,
/// retries every `retry` for up to `attempts`, operator alerts to the simulator.
pub fn pipeline_env(
    http: u16,
    smtp: u16,
    retry: &str,
    attempts: u32,
) -> Vec<(&'static str, String)> {
    let base = format!("http://127.0.0.1:{http}");
    let clients = format!(
        "sms:{},zalo:{}",
        BearerDigests::digest_hex(SMS_RECEIPT_TOKEN),
        BearerDigests::digest_hex(ZALO_RECEIPT_TOKEN)
    );
    vec![
        ("DOSSIER__NOTIFY__SMS_URL", format!("{base}/sms/send")),
        ("DOSSIER__NOTIFY__SMS_KEY", SMS_KEY.into()),
        (
            "DOSSIER__NOTIFY__SMTP_URL",
            format!("smtp://127.0.0.1:{smtp}"),
        ),
        (
            "DOSSIER__NOTIFY__ZALO_URL",
            format!("{base}/zalo/message/template"),
        ),
        ("DOSSIER__NOTIFY__ZALO_TOKEN", ZALO_TOKEN.into()),
        (
            "DOSSIER__NOTIFY__NATIONAL_PORTAL_URL",
            format!("{base}/dvcqg"),
        ),
        (
            "DOSSIER__NOTIFY__NATIONAL_PORTAL_TOKEN",
            PORTAL_TOKEN.into(),
        ),
        (
            "DOSSIER__NOTIFY__PORTAL_WEBHOOK_URL",
            format!("{base}/portal/webhook"),
        ),
        (
            "DOSSIER__NOTIFY__PORTAL_WEBHOOK_SECRET",
            WEBHOOK_SECRET.into(),
        ),
        ("DOSSIER__NOTIFY__RECEIPT_CLIENTS", clients),
        ("DOSSIER__NOTIFY__RETRY_INTERVAL", retry.into()),
        ("DOSSIER__NOTIFY__MAX_ATTEMPTS", attempts.to_string()),
        ("DOSSIER__NOTIFY__ALERT_AFTER", "10".into()),
        ("DOSSIER__NOTIFY__ALERT_URL", format!("{base}/alerts")),
    ]
}

/// Starts the simulator on these ports, sending receipts to `api`.
pub async fn start(http: u16, smtp: u16, api: &str) -> Providers {
    let (h, s) = (format!("127.0.0.1:{http}"), format!("127.0.0.1:{smtp}"));
    let args = [
        "notify-sim",
        "--http-addr",
        &h,
        "--smtp-addr",
        &s,
        "--receipt-url",
        api,
        "--receipt-token-sms",
        SMS_RECEIPT_TOKEN,
        "--receipt-token-zalo",
        ZALO_RECEIPT_TOKEN,
        "--sms-key",
        SMS_KEY,
        "--zalo-token",
        ZALO_TOKEN,
        "--portal-token",
        PORTAL_TOKEN,
        "--portal-webhook-secret",
        WEBHOOK_SECRET,
    ];
    let mut proc = Proc::spawn(&args, &[]);
    let url = format!("http://{h}");
    proc.wait_ready(&format!("{url}/health"), Duration::from_secs(30))
        .await;
    Providers { _proc: proc, url }
}

impl Providers {
    async fn get(&self, path: &str) -> Value {
        reqwest::get(format!("{}{path}", self.url))
            .await
            .expect("simulator")
            .json()
            .await
            .expect("simulator json")
    }

    /// The counters of one channel.
    pub async fn stats(&self, channel: &str) -> Value {
        self.get("/admin/stats").await["channels"][channel].clone()
    }

    /// Every idempotency key the channel accepted.
    pub async fn keys(&self, channel: &str) -> HashSet<Uuid> {
        let keys = self.get(&format!("/admin/keys?channel={channel}")).await;
        keys.as_array()
            .expect("array of keys")
            .iter()
            .map(|k| k.as_str().expect("key").parse().expect("uuid key"))
            .collect()
    }

    /// The operator alerts received, as (channel, state).
    pub async fn alerts(&self) -> Vec<(String, String)> {
        let alerts = self.get("/admin/alerts").await;
        alerts
            .as_array()
            .expect("alerts")
            .iter()
            .map(|a| {
                let s = |k: &str| a[k].as_str().unwrap_or_default().to_owned();
                (s("channel"), s("state"))
            })
            .collect()
    }

    /// Sets a channel's fault mode, optionally for a limited time.
    pub async fn fault(&self, channel: &str, mode: &str, for_seconds: Option<u64>) {
        let r = reqwest::Client::new()
            .post(format!("{}/admin/faults", self.url))
            .json(&json!({ "channel": channel, "mode": mode, "for_seconds": for_seconds }))
            .send()
            .await
            .expect("faults");
        assert!(r.status().is_success(), "setting a fault: {}", r.status());
    }
}
