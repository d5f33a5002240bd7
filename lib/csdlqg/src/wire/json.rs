//! The province-gateway JSON form of `TraCuuThongTinCongDan` (no I/O).
//!
//! Request: `{maYeuCau, maDVC, maTichHop, maDonVi, maCanBo, soDinhDanh | soCMND,
//! hoVaTen, ngayThangNamSinh: {ngayThangNam} | {nam}}`. Answer: `{congDan: [...]}`
//! with the SOAP `CongDan` fields in camelCase (empty array = not found), or
//! `{maLoi, moTa}` for an error. Codes are read as strings or numbers, since
//! gateways differ. Errors name fields, never values: serde's own messages
//! are dropped because they can quote the payload.

use dossierflow_domain::{CsdlqgDate, IdKind};
use serde::{Deserialize, Serialize};

use super::json_citizen::{JsonCitizen, citizen_of, record_of};
use super::request::Caller;
use super::response::{Fault, NOT_AUTHORISED_CODES, Reply};
use super::{WireError, all_digits};
use crate::{CitizenRecord, LookupRequest};

/// A lookup request body. No `Debug`: it holds personal data.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct JsonRequest {
    /// `maYeuCau`: correlation id.
    pub ma_yeu_cau: String,
    /// `maDVC`: procedure code.
    #[serde(rename = "maDVC")]
    pub ma_dvc: String,
    /// `maTichHop`: integration-service code.
    #[serde(default)]
    pub ma_tich_hop: String,
    /// `maDonVi`: agency e-identifier.
    #[serde(default)]
    pub ma_don_vi: String,
    /// `maCanBo`: officer code.
    #[serde(default)]
    pub ma_can_bo: String,
    /// `soDinhDanh`: 12-digit CCCD.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub so_dinh_danh: Option<String>,
    /// `soCMND`: 9-digit CMND, when there is no CCCD.
    #[serde(rename = "soCMND", default, skip_serializing_if = "Option::is_none")]
    pub so_cmnd: Option<String>,
    /// `hoVaTen`: declared full name.
    pub ho_va_ten: String,
    /// `ngayThangNamSinh`.
    pub ngay_thang_nam_sinh: JsonDate,
}

/// `{ngayThangNam: "yyyyMMdd"}` or `{nam: "yyyy"}`.
#[derive(Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct JsonDate {
    /// Full date, `yyyyMMdd`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ngay_thang_nam: Option<String>,
    /// Year only, `yyyy`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nam: Option<Code>,
}

/// A code sent as a string or a bare number (`"1"` or `1`).
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Code {
    /// `"01"`.
    Text(String),
    /// `1`.
    Number(u64),
}

impl Code {
    /// The code as text.
    pub fn into_string(self) -> String {
        match self {
            Code::Text(t) => t,
            Code::Number(n) => n.to_string(),
        }
    }
}

/// The body of an answer: citizens and/or an error code.
#[derive(Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct JsonReply {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    cong_dan: Option<Vec<JsonCitizen>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    ma_loi: Option<Code>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    mo_ta: Option<String>,
}

/// Builds the request body for one lookup.
pub fn build(req: &LookupRequest, caller: Caller<'_>) -> JsonRequest {
    let (so_dinh_danh, so_cmnd) = match req.id.kind() {
        IdKind::Cccd => (Some(req.id.as_str().to_owned()), None),
        IdKind::Cmnd => (None, Some(req.id.as_str().to_owned())),
    };
    let ngay_thang_nam_sinh = match req.birth.to_csdlqg() {
        CsdlqgDate::Full(ymd) => JsonDate {
            ngay_thang_nam: Some(ymd),
            nam: None,
        },
        CsdlqgDate::Year(y) => JsonDate {
            ngay_thang_nam: None,
            nam: Some(Code::Text(y)),
        },
    };
    JsonRequest {
        ma_yeu_cau: req.request_id.clone(),
        ma_dvc: req.procedure_code.clone(),
        ma_tich_hop: caller.integration.to_owned(),
        ma_don_vi: caller.agency.to_owned(),
        ma_can_bo: caller.officer.to_owned(),
        so_dinh_danh,
        so_cmnd,
        ho_va_ten: req.name.as_str().to_owned(),
        ngay_thang_nam_sinh,
    }
}

/// Checks a request as the simulator reads it; returns the ID asked for.
pub fn validate(req: &JsonRequest) -> Result<&str, WireError> {
    let id = match (&req.so_dinh_danh, &req.so_cmnd) {
        (Some(id), _) if all_digits(id, 12) => id,
        (Some(_), _) => return Err(WireError::Invalid("soDinhDanh")),
        (None, Some(id)) if all_digits(id, 9) => id,
        (None, Some(_)) => return Err(WireError::Invalid("soCMND")),
        (None, None) => return Err(WireError::Missing("soDinhDanh")),
    };
    let fields = [
        (req.ma_yeu_cau.as_str(), 40, "maYeuCau"),
        (req.ma_dvc.as_str(), 20, "maDVC"),
        (req.ho_va_ten.as_str(), 100, "hoVaTen"),
    ];
    for (value, max, name) in fields {
        if value.trim().is_empty() {
            return Err(WireError::Missing(name));
        }
        if value.chars().count() > max {
            return Err(WireError::Invalid(name));
        }
    }
    let dob = &req.ngay_thang_nam_sinh;
    match (&dob.ngay_thang_nam, &dob.nam) {
        (Some(d), _) if all_digits(d, 8) => Ok(id),
        (Some(_), _) => Err(WireError::Invalid("ngayThangNam")),
        (None, Some(y)) if all_digits(&y.clone().into_string(), 4) => Ok(id),
        (None, Some(_)) => Err(WireError::Invalid("nam")),
        (None, None) => Err(WireError::Missing("ngayThangNamSinh")),
    }
}

/// Writes `{"congDan": [...]}` (the simulator's side).
pub fn write_citizens(records: &[CitizenRecord]) -> serde_json::Value {
    let reply = JsonReply {
        cong_dan: Some(records.iter().map(citizen_of).collect()),
        ..JsonReply::default()
    };
    serde_json::to_value(reply).unwrap_or_default()
}

/// Writes `{"maLoi": code, "moTa": message}`.
pub fn write_error(code: &str, message: &str) -> serde_json::Value {
    serde_json::json!({ "maLoi": code, "moTa": message })
}

/// Reads an answer body: citizens, or an error code.
pub fn parse(body: &str) -> Result<Reply, WireError> {
    let reply: JsonReply = serde_json::from_str(body).map_err(|_| WireError::Json)?;
    let vendor = reply.ma_loi.map(Code::into_string);
    if let Some(code) = vendor
        .as_deref()
        .filter(|c| NOT_AUTHORISED_CODES.contains(c))
    {
        return Ok(Reply::Fault(fault(code)));
    }
    match (reply.cong_dan, vendor) {
        (Some(citizens), _) => citizens
            .into_iter()
            .map(record_of)
            .collect::<Result<Vec<_>, _>>()
            .map(Reply::Citizens),
        (None, Some(code)) => Ok(Reply::Fault(fault(&code))),
        (None, None) => Err(WireError::Missing("congDan")),
    }
}

fn fault(code: &str) -> Fault {
    Fault {
        fault_code: None,
        vendor_code: Some(code.to_owned()),
    }
}

#[cfg(test)]
#[path = "json_tests.rs"]
mod tests;
