//! Unit and property tests for [`BirthDate`].

use chrono::NaiveDate;
use proptest::prelude::*;

use super::*;

fn ymd(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).unwrap()
}

fn today() -> NaiveDate {
    ymd(2026, 3, 15)
}

#[test]
fn parse_table() {
    use BirthDateError::*;
    let cases: &[(&str, Result<BirthDate, BirthDateError>)] = &[
        ("20/04/1990", Ok(BirthDate::Full(ymd(1990, 4, 20)))),
        ("5/1/1990", Ok(BirthDate::Full(ymd(1990, 1, 5)))),
        (" 05/01/1990 ", Ok(BirthDate::Full(ymd(1990, 1, 5)))),
        ("1990-04-20", Ok(BirthDate::Full(ymd(1990, 4, 20)))),
        ("1990", Ok(BirthDate::YearOnly(1990))),
        ("1900", Ok(BirthDate::YearOnly(1900))),
        ("2026", Ok(BirthDate::YearOnly(2026))),
        ("15/03/2026", Ok(BirthDate::Full(ymd(2026, 3, 15)))),
        ("29/02/2000", Ok(BirthDate::Full(ymd(2000, 2, 29)))),
        ("29/02/2024", Ok(BirthDate::Full(ymd(2024, 2, 29)))),
        ("29/02/1900", Err(NoSuchDate)),
        ("29/02/2023", Err(NoSuchDate)),
        ("31/04/1990", Err(NoSuchDate)),
        ("00/01/1990", Err(NoSuchDate)),
        ("16/03/2026", Err(InFuture)),
        ("2027", Err(InFuture)),
        ("1899", Err(TooOld { year: 1899 })),
        ("31/12/1899", Err(TooOld { year: 1899 })),
        ("1990-4-20", Err(BadFormat)),
        ("20/04/90", Err(BadFormat)),
        ("20.04.1990", Err(BadFormat)),
        ("20/04/1990/1", Err(BadFormat)),
        ("+1/04/1990", Err(BadFormat)),
        ("199O", Err(BadFormat)),
        ("", Err(BadFormat)),
        ("april 1990", Err(BadFormat)),
    ];
    for (input, want) in cases {
        assert_eq!(BirthDate::parse_on(input, today()), *want, "{input:?}");
    }
}

#[test]
fn matching_rules() {
    let a = BirthDate::Full(ymd(1990, 4, 20));
    assert!(a.matches(&BirthDate::Full(ymd(1990, 4, 20))));
    assert!(!a.matches(&BirthDate::Full(ymd(1990, 4, 21))));
    assert!(a.matches(&BirthDate::YearOnly(1990)));
    assert!(BirthDate::YearOnly(1990).matches(&a));
    assert!(!a.matches(&BirthDate::YearOnly(1991)));
    assert!(BirthDate::YearOnly(1990).matches(&BirthDate::YearOnly(1990)));
}

#[test]
fn csdlqg_and_display_forms() {
    let a = BirthDate::Full(ymd(1990, 4, 5));
    assert_eq!(a.to_csdlqg(), CsdlqgDate::Full("19900405".into()));
    assert_eq!(a.to_string(), "05/04/1990");
    assert_eq!(
        BirthDate::YearOnly(1990).to_csdlqg(),
        CsdlqgDate::Year("1990".into())
    );
    assert_eq!(BirthDate::YearOnly(1990).to_string(), "1990");
    assert_eq!(a.year(), 1990);
}

#[test]
fn debug_is_redacted_and_serde_round_trips() {
    let a = BirthDate::Full(ymd(1990, 4, 5));
    let dbg = format!("{a:?} {:?}", BirthDate::YearOnly(1990));
    assert!(!dbg.contains("1990") && !dbg.contains("04"), "{dbg}");
    assert_eq!(serde_json::to_string(&a).unwrap(), "\"05/04/1990\"");
    assert_eq!(
        serde_json::from_str::<BirthDate>("\"05/04/1990\"").unwrap(),
        a
    );
    assert_eq!(
        serde_json::from_str::<BirthDate>("\"1990\"").unwrap(),
        BirthDate::YearOnly(1990)
    );
    assert!(serde_json::from_str::<BirthDate>("\"31/02/1990\"").is_err());
}

proptest! {
    #[test]
    fn display_parse_round_trip(days in 0i64..(126 * 365), year_only: bool) {
        let date = ymd(1900, 1, 1) + chrono::Duration::days(days);
        prop_assume!(date <= today());
        let b = if year_only { BirthDate::YearOnly(date.year()) } else { BirthDate::Full(date) };
        prop_assert_eq!(BirthDate::parse_on(&b.to_string(), today()), Ok(b));
        prop_assert!(b.matches(&b));
        prop_assert!(b.matches(&BirthDate::YearOnly(b.year())));
    }

    #[test]
    fn parse_never_panics(s in "\\PC{0,16}") {
        let _ = BirthDate::parse_on(&s, today());
    }
}
