//! What a lookup asks and what CSDLQG answers.
//!
//! These types carry personal data, so their `Debug` output is redacted: a
//! request shows only its correlation fields and the masked ID, a record shows
//! nothing but its type name, a relative only which of its fields are present.

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

/// A relative or household member of a citizen (`Cha`, `Me`, `VoChong`,
/// `NguoiDaiDien`, `ChuHo`): `{QuanHe, SoDinhDanh, SoCMND, HoVaTen}`.
#[derive(Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Relative {
    /// `QuanHe`: relationship, as text or code (`Cha`, `Mẹ`, `Chủ hộ`…).
    #[serde(default)]
    pub relation: Option<String>,
    /// `SoDinhDanh`: 12-digit personal ID.
    #[serde(default)]
    pub id: Option<String>,
    /// `SoCMND`: old 9-digit ID card number.
    #[serde(default)]
    pub old_id: Option<String>,
    /// `HoVaTen`: full name, parts joined by single spaces.
    #[serde(default)]
    pub full_name: Option<String>,
}

impl Relative {
    /// Whether no field is present (such an element is treated as absent).
    pub fn is_empty(&self) -> bool {
        *self == Relative::default()
    }
}

impl fmt::Debug for Relative {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Relative")
            .field("relation", &self.relation.is_some())
            .field("id", &self.id.is_some())
            .field("old_id", &self.old_id.is_some())
            .field("full_name", &self.full_name.is_some())
            .finish()
    }
}

/// One `CongDan` element of the response, decoded into domain types.
///
/// Relatives and the household book were added later: they default to `None`
/// so records stored as JSON before then still deserialize.
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
    /// `Cha`: father.
    #[serde(default)]
    pub father: Option<Relative>,
    /// `Me`: mother.
    #[serde(default)]
    pub mother: Option<Relative>,
    /// `VoChong`: spouse.
    #[serde(default)]
    pub spouse: Option<Relative>,
    /// `NguoiDaiDien`: legal representative (guardian of a minor…).
    #[serde(default)]
    pub representative: Option<Relative>,
    /// `ChuHo`: head of household. The simulator puts the citizen's relation
    /// to the head in `QuanHe` (`Con`, `Chủ hộ`); the real service's meaning
    /// is unconfirmed.
    #[serde(default)]
    pub head_of_household: Option<Relative>,
    /// `SoSoHoKhau`: household book number.
    #[serde(default)]
    pub household_book: Option<String>,
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
            father: None,
            mother: Some(Relative {
                relation: Some("Mẹ".into()),
                id: Some("001160987654".into()),
                old_id: None,
                full_name: Some("Trần Thị Bình".into()),
            }),
            spouse: None,
            representative: None,
            head_of_household: None,
            household_book: Some("010123456".into()),
        };
        let shown = format!("{rec:?} {:?}", rec.permanent);
        assert!(!shown.contains("0010"), "{shown}");
        assert!(!shown.contains("Nguyễn"), "{shown}");
        assert!(!shown.contains("Hàng"), "{shown}");
        let mother = format!("{:?}", rec.mother);
        assert!(
            !mother.contains("0011") && !mother.contains("Trần"),
            "{mother}"
        );
        assert!(!mother.contains("Mẹ"), "{mother}");
        assert!(mother.contains("id: true") && mother.contains("old_id: false"));
        // Serde keeps the values: the verify stage stores the record as JSONB.
        let json = serde_json::to_string(&rec).unwrap();
        let back: CitizenRecord = serde_json::from_str(&json).unwrap();
        assert_eq!(back, rec);
    }

    #[test]
    fn record_stored_before_relatives_still_deserializes() {
        let stored = r#"{"id":"001090123456","old_id":null,"full_name":"Nguyễn Văn An",
            "gender":"male","ethnicity":"01","religion":null,"marital_status":"single",
            "blood_type":"O","birth":"1990","nationality":"VN","birth_registration":null,
            "hometown":null,"permanent":null,"current":null}"#;
        let rec: CitizenRecord = serde_json::from_str(stored).unwrap();
        assert_eq!(rec.full_name, "Nguyễn Văn An");
        assert_eq!(rec.father, None);
        assert_eq!(rec.mother, None);
        assert_eq!(rec.spouse, None);
        assert_eq!(rec.representative, None);
        assert_eq!(rec.head_of_household, None);
        assert_eq!(rec.household_book, None);
        let partial: Relative = serde_json::from_str(r#"{"full_name":"Lê Thị Hoa"}"#).unwrap();
        assert_eq!(partial.full_name.as_deref(), Some("Lê Thị Hoa"));
        assert!(partial.id.is_none() && !partial.is_empty());
    }
}
