//! Pure comparison of what was declared with what CSDLQG holds.
//!
//! CSDLQG returns the citizen by ID whatever name and date were sent, so
//! matching is ours: name per [`CitizenName::matches`] under the configured
//! diacritic policy, birth date per [`BirthDate::matches`](dossierflow_domain::BirthDate::matches) (a year-only date
//! matches on the year), and the ID against `SoDinhDanh` or `SoCMND`.

use dossierflow_domain::{CitizenName, DiacriticPolicy};
use serde::{Deserialize, Serialize};

use crate::{CitizenRecord, LookupRequest};

/// Result of checking a declaration against the population database.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// Name, birth date and ID all agree.
    Verified,
    /// The citizen exists but these declared fields disagree (in field order).
    Mismatch(Vec<MismatchField>),
    /// No citizen with this ID.
    NotFound,
}

/// A declared field that disagrees with the record.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MismatchField {
    /// `HoVaTen`.
    Name,
    /// `NgayThangNamSinh`.
    BirthDate,
    /// `SoDinhDanh` / `SoCMND`.
    Id,
}

/// Compares a request with the record CSDLQG returned for it (`None` = not found).
pub fn compare(
    req: &LookupRequest,
    record: Option<&CitizenRecord>,
    policy: DiacriticPolicy,
) -> Outcome {
    let Some(record) = record else {
        return Outcome::NotFound;
    };
    let mut mismatches = Vec::new();
    let name_matches = CitizenName::parse(&record.full_name)
        .map(|held| req.name.matches(&held, policy))
        .unwrap_or(false);
    if !name_matches {
        mismatches.push(MismatchField::Name);
    }
    if !req.birth.matches(&record.birth) {
        mismatches.push(MismatchField::BirthDate);
    }
    let declared = req.id.as_str();
    let id_matches = [record.id.as_deref(), record.old_id.as_deref()]
        .into_iter()
        .flatten()
        .any(|held| held == declared);
    if !id_matches {
        mismatches.push(MismatchField::Id);
    }
    if mismatches.is_empty() {
        Outcome::Verified
    } else {
        Outcome::Mismatch(mismatches)
    }
}

#[cfg(test)]
mod tests {
    use dossierflow_domain::{BirthDate, BloodType, Gender, MaritalStatus, NationalId};

    use super::*;
    use MismatchField::{BirthDate as Dob, Id, Name};

    fn record(name: &str, birth: BirthDate) -> CitizenRecord {
        CitizenRecord {
            id: Some("001090123456".into()),
            old_id: Some("012345678".into()),
            full_name: name.into(),
            gender: Gender::Male,
            ethnicity: None,
            religion: None,
            marital_status: MaritalStatus::Unknown,
            blood_type: BloodType::Unknown,
            birth,
            nationality: None,
            birth_registration: None,
            hometown: None,
            permanent: None,
            current: None,
            father: None,
            mother: None,
            spouse: None,
            representative: None,
            head_of_household: None,
            household_book: None,
        }
    }

    fn request(id: &str, name: &str, birth: &str) -> LookupRequest {
        LookupRequest {
            request_id: "r".into(),
            procedure_code: "p".into(),
            id: NationalId::parse(id).unwrap(),
            name: CitizenName::parse(name).unwrap(),
            birth: BirthDate::parse(birth).unwrap(),
            context: Default::default(),
        }
    }

    #[test]
    fn table() {
        let full = || BirthDate::parse("20/04/1990").unwrap();
        let strict = DiacriticPolicy::Strict;
        let fold = DiacriticPolicy::FoldDiacritics;
        let cases: Vec<(&str, LookupRequest, CitizenRecord, DiacriticPolicy, Outcome)> = vec![
            (
                "exact",
                request("001090123456", "Nguyễn Văn An", "20/04/1990"),
                record("Nguyễn Văn An", full()),
                strict,
                Outcome::Verified,
            ),
            (
                "case and spaces differ",
                request("001090123456", "  nguyễn   VĂN an ", "20/04/1990"),
                record("Nguyễn Văn An", full()),
                strict,
                Outcome::Verified,
            ),
            (
                "declared year only",
                request("001090123456", "Nguyễn Văn An", "1990"),
                record("Nguyễn Văn An", full()),
                strict,
                Outcome::Verified,
            ),
            (
                "record year only",
                request("001090123456", "Nguyễn Văn An", "20/04/1990"),
                record("Nguyễn Văn An", BirthDate::YearOnly(1990)),
                strict,
                Outcome::Verified,
            ),
            (
                "declared year differs",
                request("001090123456", "Nguyễn Văn An", "1991"),
                record("Nguyễn Văn An", full()),
                strict,
                Outcome::Mismatch(vec![Dob]),
            ),
            (
                "old CMND matches",
                request("012345678", "Nguyễn Văn An", "20/04/1990"),
                record("Nguyễn Văn An", full()),
                strict,
                Outcome::Verified,
            ),
            (
                "no diacritics, strict",
                request("001090123456", "Nguyen Van An", "20/04/1990"),
                record("Nguyễn Văn An", full()),
                strict,
                Outcome::Mismatch(vec![Name]),
            ),
            (
                "no diacritics, folded",
                request("001090123456", "Nguyen Van An", "20/04/1990"),
                record("Nguyễn Văn An", full()),
                fold,
                Outcome::Verified,
            ),
            (
                "everything wrong",
                request("001090999999", "Trần Thị Bích", "21/04/1990"),
                record("Nguyễn Văn An", full()),
                fold,
                Outcome::Mismatch(vec![Name, Dob, Id]),
            ),
            (
                "unparseable held name",
                request("001090123456", "Nguyễn Văn An", "20/04/1990"),
                record("   ", full()),
                strict,
                Outcome::Mismatch(vec![Name]),
            ),
        ];
        for (label, req, rec, policy, expected) in cases {
            assert_eq!(compare(&req, Some(&rec), policy), expected, "case: {label}");
        }
    }

    #[test]
    fn absent_record_is_not_found() {
        let req = request("001090123456", "Nguyễn Văn An", "1990");
        assert_eq!(
            compare(&req, None, DiacriticPolicy::Strict),
            Outcome::NotFound
        );
    }

    #[test]
    fn outcome_serialises_snake_case() {
        let json = serde_json::to_string(&Outcome::Mismatch(vec![Dob, Id])).unwrap();
        assert_eq!(json, r#"{"mismatch":["birth_date","id"]}"#);
        assert_eq!(
            serde_json::to_string(&Outcome::NotFound).unwrap(),
            r#""not_found""#
        );
    }
}
