//! National Public Service Portal client (channel `national_portal`): `POST
//! {url}/DongBoHoSoMC` for a dossier's first status (submitted) and `POST
//! {url}/CapNhatTienDoHoSoMC` for every later change, with a Bearer token and
//! `Idempotency-Key`.
//!
//! The body carries no personal data: ids, the dossier and procedure codes, the national
//! status code (`TrangThaiHoSo`, from `catalog/national_status.json`) and dates as
//! `yyyyMMddHHmmss` in Asia/Ho_Chi_Minh (UTC+7, no daylight saving). The portal answers
//! `200 {"error_code": "0"}` when it took the update (`Delivered`); another code is
//! `Rejected("portal error <code>")`.

use async_trait::async_trait;
use chrono::{DateTime, FixedOffset, Utc};
use dossierflow_domain::{NationalStatusMap, Status};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::super::channel::{Message, NotifyChannel, Outcome, Sender};
use super::{http, redacted};

/// Settings of the national portal.
#[derive(Clone)]
pub struct NationalPortalConfig {
    /// Base URL, e.g. `http://127.0.0.1:8095/dvcqg`; the operation name is appended.
    pub url: String,
    /// Sent as `Authorization: Bearer <token>`.
    pub token: String,
}

impl std::fmt::Debug for NationalPortalConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NationalPortalConfig")
            .field("url", &self.url)
            .field("token", &redacted(&self.token))
            .finish()
    }
}

/// The body of `DongBoHoSoMC` / `CapNhatTienDoHoSoMC`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct NationalBody {
    /// Our dossier id.
    pub ma_ho_so_noi_bo: Uuid,
    /// Dossier code, once assigned.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ma_ho_so: Option<String>,
    /// National procedure code.
    #[serde(rename = "MaTTHC")]
    pub ma_tthc: String,
    /// National status code.
    pub trang_thai_ho_so: String,
    /// When the status changed, `yyyyMMddHHmmss` (Vietnam time).
    pub thoi_diem_cap_nhat: String,
    /// When the dossier was submitted, `yyyyMMddHHmmss` (Vietnam time).
    pub ngay_nop_ho_so: String,
    /// Due date, `yyyyMMddHHmmss` (Vietnam time), when known.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ngay_hen_tra: Option<String>,
    /// Processing note (refusal, supplement, delay reason), when any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub noi_dung_xu_ly: Option<String>,
    /// The notification id.
    pub idempotency_key: Uuid,
}

/// Vietnam's offset: UTC+7 all year.
fn vietnam() -> FixedOffset {
    match FixedOffset::east_opt(7 * 3600) {
        Some(o) => o,
        None => unreachable!("UTC+7 is a valid offset"),
    }
}

/// `at` as `yyyyMMddHHmmss` in Asia/Ho_Chi_Minh.
pub fn portal_time(at: DateTime<Utc>) -> String {
    at.with_timezone(&vietnam())
        .format("%Y%m%d%H%M%S")
        .to_string()
}

/// The operation for `status`: `DongBoHoSoMC` for a new (submitted) dossier, else
/// `CapNhatTienDoHoSoMC`.
pub fn operation(status: Status) -> &'static str {
    if status == Status::Submitted {
        "DongBoHoSoMC"
    } else {
        "CapNhatTienDoHoSoMC"
    }
}

/// The request body for `msg`, or `None` if `map` has no code for its status (the
/// embedded map is validated complete, so this does not happen).
pub fn national_body(msg: &Message, map: &NationalStatusMap) -> Option<NationalBody> {
    let status = map.get(msg.status)?;
    Some(NationalBody {
        ma_ho_so_noi_bo: msg.dossier_id,
        ma_ho_so: msg.dossier_code.clone(),
        ma_tthc: msg.procedure_code.clone(),
        trang_thai_ho_so: status.code.clone(),
        thoi_diem_cap_nhat: portal_time(msg.changed_at),
        ngay_nop_ho_so: portal_time(msg.submitted_at),
        ngay_hen_tra: msg.due_at.map(portal_time),
        noi_dung_xu_ly: msg.reason.clone(),
        idempotency_key: msg.id,
    })
}

#[derive(Deserialize)]
pub(super) struct Answer {
    error_code: serde_json::Value,
}

/// The outcome of a `2xx` answer's `error_code` (a string, or a number).
pub(super) fn outcome(answer: &Answer) -> Outcome {
    let code = match &answer.error_code {
        serde_json::Value::String(s) => s.clone(),
        serde_json::Value::Number(n) => n.to_string(),
        _ => String::new(),
    };
    if code == "0" {
        Outcome::Delivered { provider_ref: None }
    } else {
        Outcome::Rejected {
            reason: format!("portal error {}", http::plain_code(&code)),
        }
    }
}

/// The national portal client.
pub struct NationalPortalSender {
    client: reqwest::Client,
    config: NationalPortalConfig,
    statuses: NationalStatusMap,
}

impl NationalPortalSender {
    /// A sender using `client`; loads the embedded status map (fails if it is invalid).
    pub fn new(client: reqwest::Client, config: NationalPortalConfig) -> anyhow::Result<Self> {
        let statuses = NationalStatusMap::embedded()?;
        Ok(Self {
            client,
            config,
            statuses,
        })
    }
}

#[async_trait]
impl Sender for NationalPortalSender {
    fn channel(&self) -> NotifyChannel {
        NotifyChannel::NationalPortal
    }

    async fn send(&self, msg: &Message) -> Outcome {
        let Some(body) = national_body(msg, &self.statuses) else {
            return Outcome::Rejected {
                reason: "unmapped status".to_owned(),
            };
        };
        let url = format!(
            "{}/{}",
            self.config.url.trim_end_matches('/'),
            operation(msg.status)
        );
        let request = self
            .client
            .post(url)
            .bearer_auth(&self.config.token)
            .header("Idempotency-Key", msg.id.to_string())
            .json(&body);
        let response = match http::send(request).await {
            Ok(r) => r,
            Err(outcome) => return outcome,
        };
        match http::read_json::<Answer>(response).await {
            Ok(answer) => outcome(&answer),
            Err(outcome) => outcome,
        }
    }
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::super::super::channel::Recipient;
    use super::super::super::templates::MessageContext;
    use super::*;

    fn utc(y: i32, mo: u32, d: u32, h: u32, mi: u32, s: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(y, mo, d, h, mi, s)
            .single()
            .expect("date")
    }

    fn message(status: Status) -> Message {
        Message {
            id: Uuid::from_u128(5),
            dossier_id: Uuid::from_u128(1),
            dossier_code: Some("000.00.92.H55-230206-0001".into()),
            procedure_code: "1.001193".into(),
            status,
            changed_at: utc(2023, 3, 6, 7, 27, 45),
            submitted_at: utc(2023, 3, 6, 7, 27, 45),
            due_at: Some(utc(2023, 3, 27, 7, 27, 45)),
            reason: Some("Bổ sung bản sao giấy chứng sinh".into()),
            template: String::new(),
            context: MessageContext::default(),
            recipient: Recipient::default(),
        }
    }

    fn map() -> NationalStatusMap {
        NationalStatusMap::embedded().expect("status map")
    }

    #[test]
    fn dates_are_vietnam_time() {
        assert_eq!(portal_time(utc(2023, 3, 6, 7, 27, 45)), "20230306142745");
        // 17:30 UTC on 31 December is already the new year in Vietnam.
        assert_eq!(portal_time(utc(2023, 12, 31, 17, 30, 0)), "20240101003000");
        assert_eq!(portal_time(utc(2024, 2, 28, 16, 59, 59)), "20240228235959");
    }

    #[test]
    fn body_has_every_field_in_portal_names() {
        let body = national_body(&message(Status::Received), &map()).expect("body");
        let json = serde_json::to_value(&body).expect("json");
        assert_eq!(
            json,
            serde_json::json!({
                "MaHoSoNoiBo": Uuid::from_u128(1),
                "MaHoSo": "000.00.92.H55-230206-0001",
                "MaTTHC": "1.001193",
                "TrangThaiHoSo": "2",
                "ThoiDiemCapNhat": "20230306142745",
                "NgayNopHoSo": "20230306142745",
                "NgayHenTra": "20230327142745",
                "NoiDungXuLy": "Bổ sung bản sao giấy chứng sinh",
                "IdempotencyKey": Uuid::from_u128(5),
            })
        );
    }

    #[test]
    fn unknown_fields_are_omitted() {
        let mut m = message(Status::Submitted);
        m.dossier_code = None;
        m.due_at = None;
        m.reason = None;
        let json = serde_json::to_value(national_body(&m, &map()).expect("body")).expect("json");
        let keys: Vec<_> = json.as_object().expect("object").keys().cloned().collect();
        for absent in ["MaHoSo", "NgayHenTra", "NoiDungXuLy"] {
            assert!(!keys.iter().any(|k| k == absent), "{absent} in {keys:?}");
        }
        assert_eq!(json["TrangThaiHoSo"], "1");
    }

    #[test]
    fn operation_depends_on_first_status() {
        assert_eq!(operation(Status::Submitted), "DongBoHoSoMC");
        assert_eq!(operation(Status::Received), "CapNhatTienDoHoSoMC");
        assert_eq!(operation(Status::Returned), "CapNhatTienDoHoSoMC");
    }

    #[test]
    fn answers_classify() {
        let ok = Answer {
            error_code: "0".into(),
        };
        assert_eq!(outcome(&ok), Outcome::Delivered { provider_ref: None });
        let numeric = Answer {
            error_code: 0.into(),
        };
        assert_eq!(outcome(&numeric), Outcome::Delivered { provider_ref: None });
        let bad = Answer {
            error_code: "E102".into(),
        };
        assert_eq!(
            outcome(&bad),
            Outcome::Rejected {
                reason: "portal error E102".into()
            }
        );
    }
}
