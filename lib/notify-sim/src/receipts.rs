//! Delivery receipts: after an SMS or Zalo acceptance the simulated provider POSTs
//! `{reference, message_id, status, completed_at}` to
//! `{receipt_url}/v1/notification-receipts/{channel}`, retrying on 5xx and connection
//! errors.

use serde_json::{Value, json};

use crate::state::{Channel, Sim};

/// Schedules the receipt of an accepted message (nothing without a receipt URL).
pub(crate) fn schedule(sim: &Sim, channel: Channel, reference: &str, message_id: &str) {
    let Some(base) = sim.config.receipt_url.as_deref() else {
        return;
    };
    let token = match channel {
        Channel::Sms => sim.config.receipt_token_sms.clone(),
        Channel::Zalo => sim.config.receipt_token_zalo.clone(),
        _ => None,
    };
    let url = format!(
        "{}/v1/notification-receipts/{}",
        base.trim_end_matches('/'),
        channel.name()
    );
    let status = sim.lock().ch(channel).fault.receipt_status;
    let body = json!({"reference": reference, "message_id": message_id, "status": status});
    let sim = sim.clone();
    let reference = reference.to_owned();
    tokio::spawn(async move {
        let delivered = send(&sim, &url, token.as_deref(), body).await;
        sim.count(channel, |c| {
            if delivered {
                c.receipts_sent += 1;
            } else {
                c.receipts_failed += 1;
            }
        });
        tracing::debug!(channel = channel.name(), key = %reference, delivered, "receipt done");
    });
}

/// Sends one receipt with its retries; true when answered 2xx.
async fn send(sim: &Sim, url: &str, token: Option<&str>, mut body: Value) -> bool {
    sim.pause(sim.config.receipt_delay).await;
    // The same body on every attempt: receipts are idempotent on the receiving side.
    body["completed_at"] =
        Value::String(chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true));
    for attempt in 0..=sim.config.receipt_retries {
        if sim.shutdown.is_cancelled() {
            return false;
        }
        if attempt > 0 {
            sim.pause(sim.config.receipt_retry_pause).await;
            if sim.shutdown.is_cancelled() {
                return false;
            }
        }
        let mut request = sim.client.post(url).json(&body);
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        match request.send().await {
            Ok(r) if r.status().is_success() => return true,
            Ok(r) if r.status().is_server_error() => {
                tracing::debug!(status = r.status().as_u16(), attempt, "receipt to retry");
            }
            Ok(r) => {
                tracing::warn!(status = r.status().as_u16(), "receipt refused");
                return false;
            }
            Err(e) => {
                tracing::debug!(error = %e.without_url(), attempt, "receipt not answered");
            }
        }
    }
    tracing::warn!("receipt given up after retries");
    false
}
