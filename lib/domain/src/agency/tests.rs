//! Unit and property tests for agency, procedure and dossier codes.

use chrono::NaiveDate;
use proptest::prelude::*;

use super::*;

fn agency(s: &str) -> AgencyId {
    AgencyId::parse(s).unwrap()
}

#[test]
fn agency_table() {
    for ok in [
        "000.00.92.H55",
        "000.00.13.H43",
        "G01.001.01.H43",
        " 000.00.92.H55 ",
    ] {
        assert!(AgencyId::parse(ok).is_ok(), "{ok:?}");
    }
    for bad in [
        "000.00.92",
        "000.00.92.H55.1",
        "000..92.H55",
        "000.00.92.h55",
        "000.00.92.H-5",
        "",
        "...",
        "000.00.92.H55.",
    ] {
        assert!(
            matches!(AgencyId::parse(bad), Err(CodeError::BadAgency { .. })),
            "{bad:?}"
        );
    }
}

#[test]
fn procedure_table() {
    for ok in ["1.004227", "2.001763.000.00.00.H12", "A", &"9".repeat(40)] {
        assert!(ProcedureCode::parse(ok).is_ok(), "{ok:?}");
    }
    for bad in [
        "",
        "1,004227",
        "1.004 227",
        "1-004227",
        &"9".repeat(41),
        "thủ.tục",
    ] {
        assert!(
            matches!(
                ProcedureCode::parse(bad),
                Err(CodeError::BadProcedure { .. })
            ),
            "{bad:?}"
        );
    }
}

#[test]
fn dossier_code_from_the_guide() {
    let code = DossierCode::parse("000.00.92.H55-230206-0001").unwrap();
    assert_eq!(code.agency().as_str(), "000.00.92.H55");
    assert_eq!(code.date(), NaiveDate::from_ymd_opt(2023, 2, 6).unwrap());
    assert_eq!(code.seq(), 1);
    assert_eq!(code.to_string(), "000.00.92.H55-230206-0001");
    let built = DossierCode::new(
        agency("000.00.92.H55"),
        NaiveDate::from_ymd_opt(2023, 2, 6).unwrap(),
        1,
    )
    .unwrap();
    assert_eq!(built, code);
}

#[test]
fn dossier_code_table() {
    let ok = [
        ("000.00.92.H55-230206-0001", "000.00.92.H55-230206-0001", 1),
        (
            "000.00.92.H55-251231-12345",
            "000.00.92.H55-251231-12345",
            12345,
        ),
        (
            "000.00.00.G12-240229-000042",
            "000.00.00.G12-240229-000042",
            42,
        ),
        (
            "000.00.00.G12-240229-0000042",
            "000.00.00.G12-240229-0000042",
            42,
        ),
        (
            " 000.00.92.H55-230206-9999 ",
            "000.00.92.H55-230206-9999",
            9999,
        ),
    ];
    for (input, display, seq) in ok {
        let code = DossierCode::parse(input).unwrap();
        assert_eq!(
            (code.to_string().as_str(), code.seq()),
            (display, seq),
            "{input:?}"
        );
    }
    let bad = [
        "000.00.92.H55-230206-001",
        "000.00.92.H55-230206-0000",
        "000.00.92.H55-230230-0001",
        "000.00.92.H55-230206",
        "000.00.92-230206-0001",
        "000.00.92.H55-20230206-0001",
        "000.00.92.H55-230206-00a1",
        "000.00.92.H55-230206-99999999999",
        "-230206-0001",
        "",
    ];
    for input in bad {
        assert!(DossierCode::parse(input).is_err(), "{input:?}");
    }
    assert_eq!(
        DossierCode::parse("000.00.92.H55-230206-0000"),
        Err(CodeError::ZeroSequence)
    );
}

#[test]
fn new_validates() {
    let d = NaiveDate::from_ymd_opt(2023, 2, 6).unwrap();
    assert_eq!(
        DossierCode::new(agency("000.00.92.H55"), d, 0),
        Err(CodeError::ZeroSequence)
    );
    let old = NaiveDate::from_ymd_opt(1999, 12, 31).unwrap();
    assert_eq!(
        DossierCode::new(agency("000.00.92.H55"), old, 1),
        Err(CodeError::YearOutOfRange { year: 1999 })
    );
    let wide = DossierCode::with_width(agency("000.00.00.G12"), d, 7, 6).unwrap();
    assert_eq!(wide.to_string(), "000.00.00.G12-230206-000007");
}

#[test]
fn serde_as_strings() {
    let code = DossierCode::parse("000.00.92.H55-230206-0001").unwrap();
    assert_eq!(
        serde_json::to_string(&code).unwrap(),
        "\"000.00.92.H55-230206-0001\""
    );
    assert_eq!(
        serde_json::from_str::<DossierCode>("\"000.00.92.H55-230206-0001\"").unwrap(),
        code
    );
    assert_eq!(
        serde_json::to_string(&agency("000.00.92.H55")).unwrap(),
        "\"000.00.92.H55\""
    );
    assert!(serde_json::from_str::<AgencyId>("\"x\"").is_err());
    assert!(serde_json::from_str::<ProcedureCode>("\"1.004227\"").is_ok());
}

proptest! {
    #[test]
    fn dossier_code_round_trips(levels in prop::collection::vec("[A-Z0-9]{1,4}", 4), days in 0i64..36_500, seq in 1u32..=u32::MAX, width in 4usize..=8) {
        let agency = AgencyId::parse(&levels.join(".")).unwrap();
        let date = NaiveDate::from_ymd_opt(2000, 1, 1).unwrap() + chrono::Duration::days(days);
        prop_assume!(date.year() <= 2099);
        let code = DossierCode::with_width(agency, date, seq, width).unwrap();
        let text = code.to_string();
        let back = DossierCode::parse(&text).unwrap();
        prop_assert_eq!(back.to_string(), text);
        prop_assert_eq!(back, code);
    }
}

proptest! {
    #[test]
    fn agency_ids_need_exactly_four_upper_case_levels(levels in prop::collection::vec("[A-Z0-9]{1,5}", 1..7)) {
        let text = levels.join(".");
        let parsed = AgencyId::parse(&text);
        prop_assert_eq!(parsed.is_ok(), levels.len() == 4);
        if let Ok(id) = parsed {
            prop_assert_eq!(id.as_str(), text.as_str());
            let lower = text.to_lowercase();
            prop_assert!(AgencyId::parse(&lower).is_err() || text == lower);
        }
    }
}
