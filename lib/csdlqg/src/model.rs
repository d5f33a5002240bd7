//! What a lookup asks and what CSDLQG answers.
//!
//! Both types carry personal data, so their `Debug` output is redacted: a
//! request shows only its correlation fields and the masked ID, a record shows
//! nothing but its type name.

use std::fmt;

use dossierflow_domain::{BirthDate, BloodType, CitizenName, Gender, MaritalStatus, NationalId};
use serde::{Deserialize, Serialize};

/// One `TraCuuThongTinCongDan` lookup: who asks (correlation and procedure) and
/// the three facts typed by the officer or taken from VNeID.
#[derive(Clone, PartialEq, Eq)]
pub struct LookupRequest {
    /// `MaYeuCau`: caller-unique request id (≤ 40 chars), the correlation key.
    pub request_id: String,
    /// `MaDVC`: national procedure code (≤ 20 chars); lookups are licensed per procedure.
    pub procedure_code: String,
    /// `SoDinhDanh` (12-digit CCCD) or `SoCMND` (9-digit), chosen by the ID kind.
    pub id: NationalId,
    /// `HoVaTen`: full name as declared.
    pub name: CitizenName,
    /// `NgayThangNamSinh`: full date, or year only.
    pub birth: BirthDate,
    /// Who looks up, for which purpose (for the lookup audit; not sent to CSDLQG).
    pub context: LookupContext,
}

/// Who looks up whom and why: recorded by the lookup audit, never sent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LookupContext {
    /// Officer code, or `citizen-self` for a citizen's own lookup.
    pub actor: String,
    /// Agency e-identifier of the unit on whose behalf.
    pub unit: String,
    /// The dossier the lookup serves, when there is one.
    pub dossier_id: Option<String>,
    /// `pipeline` (verify stage) or `portal_sync` (synchronous portal lookup).
    pub channel: &'static str,
    /// Names of the citizen fields asked for (never values).
    pub fields_requested: Vec<String>,
}

impl Default for LookupContext {
    fn default() -> Self {
        Self {
            actor: "dossierflow".into(),
            unit: String::new(),
            dossier_id: None,
            channel: "pipeline",
            fields_requested: Vec::new(),
        }
    }
}

impl fmt::Debug for LookupRequest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LookupRequest")
            .field("request_id", &self.request_id)
            .field("procedure_code", &self.procedure_code)
            .field("id", &self.id.masked())
            .field("name", &"<redacted>")
            .field("birth", &"<redacted>")
            .finish()
    }
}

/// A CSDLQG address: unit codes only (names come from the unit catalogue).
#[derive(Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Address {
    /// `MaTinhThanh`: province code.
    pub province: Option<String>,
    /// `MaQuanHuyen`: district code (legacy; districts were abolished in 2025).
    pub district: Option<String>,
    /// `MaPhuongXa`: commune/ward code.
    pub commune: Option<String>,
    /// `ChiTiet`: free-text detail (house number, street, hamlet).
    pub detail: Option<String>,
    /// `QuocGia`: country code.
    pub country: Option<String>,
}

impl fmt::Debug for Address {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Address").finish_non_exhaustive()
    }
}

/// One `CongDan` element of the response, decoded into domain types.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CitizenRecord {
    /// `SoDinhDanh`: 12-digit personal ID.
    pub id: Option<String>,
    /// `SoCMND`: old 9-digit ID card number.
    pub old_id: Option<String>,
    /// `HoVaTen`: `Ho ChuDem Ten` joined by single spaces.
    pub full_name: String,
    /// `GioiTinh`.
    pub gender: Gender,
    /// `DanToc`: ethnicity catalogue code (sensitive data).
    pub ethnicity: Option<String>,
    /// `TonGiao`: religion catalogue code (sensitive data).
    pub religion: Option<String>,
    /// `TinhTrangHonNhan`.
    pub marital_status: MaritalStatus,
    /// `NhomMau`.
    pub blood_type: BloodType,
    /// `NgayThangNamSinh`.
    pub birth: BirthDate,
    /// `QuocTich`, e.g. `VN`.
    pub nationality: Option<String>,
    /// `NoiDangKyKhaiSinh`: place of birth registration.
    pub birth_registration: Option<Address>,
    /// `QueQuan`: hometown.
    pub hometown: Option<Address>,
    /// `ThuongTru`: permanent residence.
    pub permanent: Option<Address>,
    /// `NoiOHienTai`: current residence.
    pub current: Option<Address>,
}

impl fmt::Debug for CitizenRecord {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CitizenRecord").finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn request_debug_hides_personal_data() {
        let req = LookupRequest {
            request_id: "req-1".into(),
            procedure_code: "1.000001".into(),
            id: NationalId::parse("001090123456").unwrap(),
            name: CitizenName::parse("Nguyễn Văn An").unwrap(),
            birth: BirthDate::parse("20/04/1990").unwrap(),
            context: Default::default(),
        };
        let shown = format!("{req:?}");
        assert!(shown.contains("req-1"));
        assert!(!shown.contains("001090123456"), "{shown}");
        assert!(!shown.contains("Nguyễn"), "{shown}");
        assert!(!shown.contains("1990"), "{shown}");
    }

    #[test]
    fn record_debug_shows_no_values() {
        let rec = CitizenRecord {
            id: Some("001090123456".into()),
            old_id: None,
            full_name: "Nguyễn Văn An".into(),
            gender: Gender::Male,
            ethnicity: Some("01".into()),
            religion: None,
            marital_status: MaritalStatus::Single,
            blood_type: BloodType::O,
            birth: BirthDate::YearOnly(1990),
            nationality: Some("VN".into()),
            birth_registration: None,
            hometown: None,
            permanent: Some(Address {
                detail: Some("12 Hàng Bông".into()),
                ..Address::default()
            }),
            current: None,
        };
        let shown = format!("{rec:?} {:?}", rec.permanent);
        assert!(!shown.contains("0010"), "{shown}");
        assert!(!shown.contains("Nguyễn"), "{shown}");
        assert!(!shown.contains("Hàng"), "{shown}");
        // Serde keeps the values: the verify stage stores the record as JSONB.
        let json = serde_json::to_string(&rec).unwrap();
        let back: CitizenRecord = serde_json::from_str(&json).unwrap();
        assert_eq!(back, rec);
    }
}
