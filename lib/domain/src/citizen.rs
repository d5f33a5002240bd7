//! Code tables shared with the CSDLQG client (domain.md §3): gender, blood type, marital status
//! and the names of the citizen fields a procedure may request from the population database.

use serde::{Deserialize, Serialize};

/// Gender as recorded by CSDLQG (`GioiTinh`: `1` male, `2` female, anything else unknown).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Gender {
    /// Nam.
    Male,
    /// Nữ.
    Female,
    /// Not recorded or not recognised.
    Unknown,
}

impl Gender {
    /// Decodes the CSDLQG `GioiTinh` code; unknown codes map to [`Gender::Unknown`].
    pub fn from_csdlqg(code: &str) -> Gender {
        match code.trim() {
            "1" => Gender::Male,
            "2" => Gender::Female,
            _ => Gender::Unknown,
        }
    }
}

/// Blood group as recorded by CSDLQG (`NhomMau`: `00` unknown, `01` A, `02` B, `03` AB, `04` O).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum BloodType {
    /// Not recorded (`00`) or an unrecognised code.
    #[serde(rename = "unknown")]
    Unknown,
    /// Group A (`01`).
    A,
    /// Group B (`02`).
    B,
    /// Group AB (`03`).
    AB,
    /// Group O (`04`).
    O,
}

impl BloodType {
    /// Decodes the CSDLQG `NhomMau` code; unknown codes map to [`BloodType::Unknown`].
    pub fn from_csdlqg(code: &str) -> BloodType {
        match code.trim() {
            "01" => BloodType::A,
            "02" => BloodType::B,
            "03" => BloodType::AB,
            "04" => BloodType::O,
            _ => BloodType::Unknown,
        }
    }
}

/// Marital status as recorded by CSDLQG (`TinhTrangHonNhan`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MaritalStatus {
    /// Chưa kết hôn (`1`).
    Single,
    /// Đã kết hôn (`2`).
    Married,
    /// Ly hôn hoặc góa (`3`).
    DivorcedOrWidowed,
    /// Not recorded or an unrecognised code.
    Unknown,
}

impl MaritalStatus {
    /// Decodes the CSDLQG `TinhTrangHonNhan` code; unknown codes map to [`MaritalStatus::Unknown`].
    pub fn from_csdlqg(code: &str) -> MaritalStatus {
        match code.trim() {
            "1" => MaritalStatus::Single,
            "2" => MaritalStatus::Married,
            "3" => MaritalStatus::DivorcedOrWidowed,
            _ => MaritalStatus::Unknown,
        }
    }
}

/// A field CSDLQG can return about a citizen. Procedures list the fields they need
/// (data minimisation, §8) and lookup logs record field *names*, never values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CitizenField {
    /// Họ và tên.
    FullName,
    /// Số định danh cá nhân (CCCD).
    IdNumber,
    /// Số CMND cũ.
    OldIdNumber,
    /// Giới tính.
    Gender,
    /// Dân tộc (sensitive).
    Ethnicity,
    /// Tôn giáo (sensitive).
    Religion,
    /// Tình trạng hôn nhân.
    MaritalStatus,
    /// Nhóm máu.
    BloodType,
    /// Ngày tháng năm sinh.
    BirthDate,
    /// Quốc tịch.
    Nationality,
    /// Nơi đăng ký khai sinh.
    BirthRegistrationPlace,
    /// Quê quán.
    Hometown,
    /// Nơi thường trú.
    PermanentAddress,
    /// Nơi ở hiện tại.
    CurrentAddress,
}

impl CitizenField {
    /// Every field, in declaration order.
    pub const ALL: [CitizenField; 14] = [
        CitizenField::FullName,
        CitizenField::IdNumber,
        CitizenField::OldIdNumber,
        CitizenField::Gender,
        CitizenField::Ethnicity,
        CitizenField::Religion,
        CitizenField::MaritalStatus,
        CitizenField::BloodType,
        CitizenField::BirthDate,
        CitizenField::Nationality,
        CitizenField::BirthRegistrationPlace,
        CitizenField::Hometown,
        CitizenField::PermanentAddress,
        CitizenField::CurrentAddress,
    ];

    /// Whether the field is sensitive personal data under Law 91/2025/QH15 (ethnicity, religion).
    pub fn is_sensitive(self) -> bool {
        matches!(self, CitizenField::Ethnicity | CitizenField::Religion)
    }

    /// The snake_case name used on the wire and in lookup logs, e.g. `"permanent_address"`.
    pub fn as_str(self) -> &'static str {
        match self {
            CitizenField::FullName => "full_name",
            CitizenField::IdNumber => "id_number",
            CitizenField::OldIdNumber => "old_id_number",
            CitizenField::Gender => "gender",
            CitizenField::Ethnicity => "ethnicity",
            CitizenField::Religion => "religion",
            CitizenField::MaritalStatus => "marital_status",
            CitizenField::BloodType => "blood_type",
            CitizenField::BirthDate => "birth_date",
            CitizenField::Nationality => "nationality",
            CitizenField::BirthRegistrationPlace => "birth_registration_place",
            CitizenField::Hometown => "hometown",
            CitizenField::PermanentAddress => "permanent_address",
            CitizenField::CurrentAddress => "current_address",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csdlqg_codes_decode() {
        let cases = [
            ("1", Gender::Male),
            ("2", Gender::Female),
            ("0", Gender::Unknown),
            ("", Gender::Unknown),
            (" 2 ", Gender::Female),
        ];
        for (code, want) in cases {
            assert_eq!(Gender::from_csdlqg(code), want, "{code:?}");
        }
        let blood = [
            ("00", BloodType::Unknown),
            ("01", BloodType::A),
            ("02", BloodType::B),
            ("03", BloodType::AB),
            ("04", BloodType::O),
            ("05", BloodType::Unknown),
            ("1", BloodType::Unknown),
        ];
        for (code, want) in blood {
            assert_eq!(BloodType::from_csdlqg(code), want, "{code:?}");
        }
        let marital = [
            ("1", MaritalStatus::Single),
            ("2", MaritalStatus::Married),
            ("3", MaritalStatus::DivorcedOrWidowed),
            ("4", MaritalStatus::Unknown),
        ];
        for (code, want) in marital {
            assert_eq!(MaritalStatus::from_csdlqg(code), want, "{code:?}");
        }
    }

    #[test]
    fn only_ethnicity_and_religion_are_sensitive() {
        let sensitive: Vec<_> = CitizenField::ALL
            .into_iter()
            .filter(|f| f.is_sensitive())
            .collect();
        assert_eq!(sensitive, [CitizenField::Ethnicity, CitizenField::Religion]);
        assert!(!CitizenField::BloodType.is_sensitive());
    }

    #[test]
    fn field_names_match_serde() -> Result<(), serde_json::Error> {
        for field in CitizenField::ALL {
            assert_eq!(
                serde_json::to_string(&field)?,
                format!("\"{}\"", field.as_str())
            );
        }
        assert_eq!(
            serde_json::to_string(&MaritalStatus::DivorcedOrWidowed)?,
            "\"divorced_or_widowed\""
        );
        assert_eq!(serde_json::to_string(&BloodType::AB)?, "\"AB\"");
        Ok(())
    }
}
