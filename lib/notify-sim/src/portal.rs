//! The national portal (`DongBoHoSoMC`, `CapNhatTienDoHoSoMC`) with field validation
//! and per-dossier status order, and the one-stop portal's signed status webhook.

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use hmac::{Hmac, Mac};
use serde_json::{Value, json};
use sha2::Sha256;

use crate::http::{answer, bearer_ok, gate, header, new_id};
use crate::state::{Admission, Channel, Sim, State as SimState};

/// Largest accepted distance between a webhook signature's timestamp and now.
const TOLERANCE_S: i64 = 300;

/// The two national-portal operations.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Operation {
    DongBo,
    CapNhat,
}

impl Operation {
    fn name(self) -> &'static str {
        match self {
            Operation::DongBo => "DongBoHoSoMC",
            Operation::CapNhat => "CapNhatTienDoHoSoMC",
        }
    }
}

/// `POST /dvcqg/DongBoHoSoMC`.
pub(crate) async fn dong_bo(State(sim): State<Sim>, headers: HeaderMap, body: Bytes) -> Response {
    national(sim, Operation::DongBo, headers, body).await
}

/// `POST /dvcqg/CapNhatTienDoHoSoMC`.
pub(crate) async fn cap_nhat(State(sim): State<Sim>, headers: HeaderMap, body: Bytes) -> Response {
    national(sim, Operation::CapNhat, headers, body).await
}

fn portal_error(message: &str) -> Response {
    answer(
        StatusCode::OK,
        json!({"error_code": "1", "message": message}),
    )
}

/// `yyyyMMddHHmmss`: fourteen digits forming a valid date and time.
pub(crate) fn valid_timestamp(s: &str) -> bool {
    s.len() == 14
        && s.bytes().all(|b| b.is_ascii_digit())
        && chrono::NaiveDateTime::parse_from_str(s, "%Y%m%d%H%M%S").is_ok()
}

/// Checks the fields the portal validates; the error names what is wrong.
pub(crate) fn validate_national(v: &Value) -> Result<(String, String), String> {
    let dossier = v["MaHoSoNoiBo"].as_str().unwrap_or_default();
    if uuid::Uuid::parse_str(dossier).is_err() {
        return Err("MaHoSoNoiBo không hợp lệ (phải là UUID)".to_owned());
    }
    let status = v["TrangThaiHoSo"].as_str().unwrap_or_default();
    if !(1..=10).any(|n: u8| n.to_string() == status) {
        return Err("TrangThaiHoSo không hợp lệ (1..10)".to_owned());
    }
    if !v["ThoiDiemCapNhat"].as_str().is_some_and(valid_timestamp) {
        return Err("ThoiDiemCapNhat không hợp lệ (yyyyMMddHHmmss)".to_owned());
    }
    for field in ["NgayHenTra", "NgayNopHoSo"] {
        match v.get(field) {
            None | Some(Value::Null) => {}
            Some(d) if d.as_str().is_some_and(valid_timestamp) => {}
            Some(_) => return Err(format!("{field} không hợp lệ (yyyyMMddHHmmss)")),
        }
    }
    Ok((dossier.to_owned(), status.to_owned()))
}

/// Validates and, for a valid first receipt, records the dossier's status in order.
fn record(st: &mut SimState, op: Operation, v: &Value) -> Result<Value, String> {
    let (dossier, status) = validate_national(v)?;
    match op {
        Operation::DongBo => {
            st.synced.insert(dossier.clone());
        }
        Operation::CapNhat if !st.synced.contains(&dossier) => {
            let c = &mut st.ch(Channel::NationalPortal).counters;
            c.out_of_order = Some(c.out_of_order.unwrap_or(0) + 1);
        }
        Operation::CapNhat => {}
    }
    st.dossiers.entry(dossier).or_default().push(status);
    Ok(json!({"operation": op.name(), "body": v}))
}

async fn national(sim: Sim, op: Operation, headers: HeaderMap, body: Bytes) -> Response {
    let ch = Channel::NationalPortal;
    let refusal = || portal_error("Hồ sơ bị từ chối");
    if let Some(r) = gate(&sim, ch, refusal).await {
        return r;
    }
    if !bearer_ok(&headers, sim.config.portal_token.as_deref()) {
        sim.count(ch, |c| c.rejected += 1);
        return answer(
            StatusCode::UNAUTHORIZED,
            json!({"error_code": "401", "message": "unauthorized"}),
        );
    }
    let Ok(v) = serde_json::from_slice::<Value>(&body) else {
        sim.count(ch, |c| c.rejected += 1);
        return portal_error("JSON không hợp lệ");
    };
    let key = header(&headers, "idempotency-key").or(v["IdempotencyKey"].as_str());
    let Some(key) = key else {
        sim.count(ch, |c| c.rejected += 1);
        return portal_error("Thiếu Idempotency-Key");
    };
    match sim.admit(ch, key, || new_id("dvc"), |st| record(st, op, &v)) {
        Admission::Accepted(_) | Admission::Duplicate(_) => answer(
            StatusCode::OK,
            json!({"error_code": "0", "message": "Thành công"}),
        ),
        Admission::Invalid(message) => portal_error(&message),
    }
}

/// Checks `t=<unix>,v1=<hex HMAC-SHA256(secret, "<t>.<body>")>` at time `now`.
pub(crate) fn verify_signature(header: &str, secret: &[u8], body: &[u8], now: i64) -> bool {
    let mut t = None;
    let mut sigs = Vec::new();
    for part in header.split(',') {
        match part.trim().split_once('=') {
            Some(("t", v)) => t = v.parse::<i64>().ok(),
            Some(("v1", v)) => match hex::decode(v) {
                Ok(s) => sigs.push(s),
                Err(_) => return false,
            },
            _ => {}
        }
    }
    let Some(t) = t else {
        return false;
    };
    if (now - t).abs() > TOLERANCE_S {
        return false;
    }
    sigs.iter().any(|s| {
        let Ok(mut mac) = Hmac::<Sha256>::new_from_slice(secret) else {
            return false;
        };
        mac.update(t.to_string().as_bytes());
        mac.update(b".");
        mac.update(body);
        mac.verify_slice(s).is_ok()
    })
}

/// `POST /portal/webhook`.
pub(crate) async fn webhook(State(sim): State<Sim>, headers: HeaderMap, body: Bytes) -> Response {
    let ch = Channel::PortalWebhook;
    let refusal = || {
        answer(
            StatusCode::UNPROCESSABLE_ENTITY,
            json!({"error": "rejected"}),
        )
    };
    if let Some(r) = gate(&sim, ch, refusal).await {
        return r;
    }
    if let Some(secret) = sim.config.portal_webhook_secret.as_deref() {
        let now = chrono::Utc::now().timestamp();
        let signed = header(&headers, "x-dossierflow-signature")
            .is_some_and(|h| verify_signature(h, secret.as_bytes(), &body, now));
        if !signed {
            sim.count(ch, |c| {
                c.bad_signature = Some(c.bad_signature.unwrap_or(0) + 1)
            });
            return answer(StatusCode::UNAUTHORIZED, json!({"error": "bad_signature"}));
        }
    }
    let Some(key) = header(&headers, "idempotency-key") else {
        sim.count(ch, |c| c.rejected += 1);
        return answer(
            StatusCode::BAD_REQUEST,
            json!({"error": "missing_idempotency_key"}),
        );
    };
    let event = header(&headers, "x-dossierflow-event").map(str::to_owned);
    let store = |_: &mut SimState| match serde_json::from_slice::<Value>(&body) {
        Ok(v) if v.is_object() => Ok(json!({"event": event, "body": v})),
        _ => Err(()),
    };
    match sim.admit(ch, key, || new_id("hook"), store) {
        Admission::Accepted(_) | Admission::Duplicate(_) => {
            answer(StatusCode::OK, json!({"status": "received"}))
        }
        Admission::Invalid(()) => answer(StatusCode::BAD_REQUEST, json!({"error": "invalid_json"})),
    }
}

#[cfg(test)]
#[path = "portal_tests.rs"]
mod tests;
