//! Pure core of the verify stage.

use chrono::{DateTime, Utc};
use dossierflow_csdlqg::{MismatchField, Outcome};
use dossierflow_domain::{BirthDate, CitizenName, NationalId, Status};
use dossierflow_schemas::{ApplicantV1, StatusV1, VerificationOutcome, VerifiedV1};
use uuid::Uuid;

/// The applicant, parsed once from the wire.
#[derive(Debug, Clone)]
pub struct Applicant {
    /// Personal ID.
    pub id: NationalId,
    /// Full name.
    pub name: CitizenName,
    /// Date of birth.
    pub birth: BirthDate,
}

/// Parses the applicant; the error names the bad fields without their values.
pub fn parse_applicant(a: &ApplicantV1) -> Result<Applicant, String> {
    let id = NationalId::parse(&a.id_number);
    let name = CitizenName::parse(&a.full_name);
    let birth = BirthDate::parse(&a.birth_date);
    match (id, name, birth) {
        (Ok(id), Ok(name), Ok(birth)) => Ok(Applicant { id, name, birth }),
        (id, name, birth) => {
            let bad: Vec<String> = [
                id.err().map(|e| format!("id_number: {e}")),
                name.err().map(|e| format!("full_name: {e}")),
                birth.err().map(|e| format!("birth_date: {e}")),
            ]
            .into_iter()
            .flatten()
            .collect();
            Err(bad.join("; "))
        }
    }
}

/// What the stage records and emits for one lookup.
#[derive(Debug, Clone, PartialEq)]
pub struct Decision {
    /// The verification event.
    pub verified: VerifiedV1,
    /// A refusal status change, when verification failed.
    pub refusal: Option<StatusV1>,
    /// The dossier's stage after this step.
    pub stage: &'static str,
}

/// Decides from the lookup outcome.
pub fn decide(
    dossier_id: Uuid,
    request_id: &str,
    outcome: &Outcome,
    now: DateTime<Utc>,
) -> Decision {
    let (kind, fields) = match outcome {
        Outcome::Verified => (VerificationOutcome::Verified, vec![]),
        Outcome::NotFound => (VerificationOutcome::NotFound, vec![]),
        Outcome::Mismatch(f) => (
            VerificationOutcome::Mismatch,
            f.iter().map(field_name).collect(),
        ),
    };
    let verified = VerifiedV1 {
        dossier_id,
        outcome: kind,
        mismatched_fields: fields.iter().map(|s| s.to_string()).collect(),
        request_id: request_id.to_owned(),
        verified_at: now,
    };
    let reason = match kind {
        VerificationOutcome::Verified => None,
        VerificationOutcome::NotFound => Some(
            "Không tìm thấy công dân trong CSDL quốc gia về dân cư (citizen not found in CSDLQG)"
                .to_owned(),
        ),
        VerificationOutcome::Mismatch => Some(format!(
            "Thông tin không khớp với CSDL quốc gia về dân cư: {} (does not match CSDLQG)",
            fields.join(", ")
        )),
    };
    let refusal = reason.map(|reason| StatusV1 {
        dossier_id,
        dossier_code: None,
        status_code: Status::Refused.code(),
        status: Status::Refused.as_str().to_owned(),
        previous_code: Some(Status::Submitted.code()),
        reason: Some(reason),
        due_at: None,
        changed_at: now,
    });
    let stage = if refusal.is_some() {
        "refused"
    } else {
        "verified"
    };
    Decision {
        verified,
        refusal,
        stage,
    }
}

fn field_name(f: &MismatchField) -> &'static str {
    match f {
        MismatchField::Name => "name",
        MismatchField::BirthDate => "birth_date",
        MismatchField::Id => "id",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn now() -> DateTime<Utc> {
        DateTime::parse_from_rfc3339("2026-11-27T07:00:00Z")
            .expect("time")
            .with_timezone(&Utc)
    }

    #[test]
    fn outcomes_map_to_events_and_refusals() {
        let id = Uuid::now_v7();
        let cases = [
            (
                Outcome::Verified,
                VerificationOutcome::Verified,
                None,
                "verified",
            ),
            (
                Outcome::NotFound,
                VerificationOutcome::NotFound,
                Some(3u8),
                "refused",
            ),
            (
                Outcome::Mismatch(vec![MismatchField::BirthDate]),
                VerificationOutcome::Mismatch,
                Some(3),
                "refused",
            ),
        ];
        for (outcome, kind, refusal, stage) in cases {
            let d = decide(id, "req-1", &outcome, now());
            assert_eq!(d.verified.outcome, kind);
            assert_eq!(d.refusal.as_ref().map(|s| s.status_code), refusal);
            assert_eq!(d.stage, stage);
            assert_eq!(d.verified.request_id, "req-1");
        }
    }

    #[test]
    fn mismatch_names_the_fields() {
        let d = decide(
            Uuid::now_v7(),
            "r",
            &Outcome::Mismatch(vec![MismatchField::Name, MismatchField::BirthDate]),
            now(),
        );
        assert_eq!(d.verified.mismatched_fields, vec!["name", "birth_date"]);
        let reason = d.refusal.and_then(|s| s.reason).unwrap_or_default();
        assert!(reason.contains("name, birth_date"), "{reason}");
    }

    #[test]
    fn bad_applicant_fields_are_all_named_without_values() {
        let a = ApplicantV1 {
            full_name: "Nguyễn Văn 3".into(),
            id_number: "12345".into(),
            birth_date: "31/02/1990".into(),
            phone: None,
            email: None,
        };
        let err = parse_applicant(&a).expect_err("three bad fields");
        for field in ["id_number", "full_name", "birth_date"] {
            assert!(err.contains(field), "{err}");
        }
        assert!(!err.contains("12345"), "{err}");
    }
}
