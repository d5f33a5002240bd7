//! Unit and property tests for [`NationalId`].

use chrono::NaiveDate;
use proptest::prelude::*;

use super::*;

fn full(y: i32, m: u32, d: u32) -> BirthDate {
    BirthDate::Full(NaiveDate::from_ymd_opt(y, m, d).unwrap())
}

#[test]
fn parse_table() {
    let cases: &[(&str, Result<IdKind, IdError>)] = &[
        ("001203004587", Ok(IdKind::Cccd)),
        ("  025190000123 ", Ok(IdKind::Cccd)),
        ("096099123456", Ok(IdKind::Cccd)),
        ("123456789", Ok(IdKind::Cmnd)),
        ("003203004587", Err(IdError::UnknownProvince { code: 3 })),
        ("000203004587", Err(IdError::UnknownProvince { code: 0 })),
        ("097203004587", Err(IdError::UnknownProvince { code: 97 })),
        ("00120300458", Err(IdError::WrongLength { len: 11 })),
        ("0012030045870", Err(IdError::WrongLength { len: 13 })),
        ("12345678", Err(IdError::WrongLength { len: 8 })),
        ("", Err(IdError::WrongLength { len: 0 })),
        ("0012 0300 4587", Err(IdError::NotDigits)),
        ("00120300458a", Err(IdError::NotDigits)),
        ("００１203004587", Err(IdError::NotDigits)),
        ("-12345678", Err(IdError::NotDigits)),
    ];
    for (input, want) in cases {
        assert_eq!(
            NationalId::parse(input).map(|id| id.kind()),
            *want,
            "{input:?}"
        );
    }
}

#[test]
fn masking_never_shows_the_middle() {
    let id = NationalId::parse("001203004587").unwrap();
    assert_eq!(id.masked(), "0012******87");
    assert_eq!(id.to_string(), "0012******87");
    assert_eq!(format!("{id:?}"), "NationalId(0012******87)");
    assert_eq!(id.as_str(), "001203004587");
    let cmnd = NationalId::parse("123456789").unwrap();
    assert_eq!(cmnd.masked(), "1234***89");
}

#[test]
fn century_and_gender_digit() {
    let cases = [
        ("001090000001", 1990, Gender::Male),
        ("001190000001", 1990, Gender::Female),
        ("001205000001", 2005, Gender::Male),
        ("001305000001", 2005, Gender::Female),
        ("001400000001", 2100, Gender::Male),
        ("001599000001", 2199, Gender::Female),
        ("001612000001", 2212, Gender::Male),
        ("001701000001", 2201, Gender::Female),
        ("001801000001", 2301, Gender::Male),
        ("001999000001", 2399, Gender::Female),
    ];
    for (s, year, gender) in cases {
        let id = NationalId::parse(s).unwrap();
        assert_eq!(id.birth_year(), Some(year), "{s}");
        assert_eq!(id.gender(), Some(gender), "{s}");
    }
    let cmnd = NationalId::parse("123456789").unwrap();
    assert_eq!(
        (cmnd.birth_year(), cmnd.gender(), cmnd.province_code()),
        (None, None, None)
    );
    assert_eq!(
        NationalId::parse("025190000123").unwrap().province_code(),
        Some(25)
    );
}

#[test]
fn consistency_table() {
    let id = NationalId::parse("025190000123").unwrap(); // female, 1990
    assert_eq!(
        id.check_consistency(&full(1990, 4, 20), Some(Gender::Female)),
        Ok(())
    );
    assert_eq!(
        id.check_consistency(&BirthDate::YearOnly(1990), None),
        Ok(())
    );
    assert_eq!(
        id.check_consistency(&full(1990, 4, 20), Some(Gender::Unknown)),
        Ok(())
    );
    assert_eq!(
        id.check_consistency(&full(1991, 4, 20), Some(Gender::Female)),
        Err(IdError::BirthYearMismatch {
            id_year: 1990,
            declared_year: 1991
        })
    );
    // Same YY, wrong century: the one-public-parser bug of 8/9 → 1800s would hide this.
    assert_eq!(
        id.check_consistency(&BirthDate::YearOnly(2090), None),
        Err(IdError::BirthYearMismatch {
            id_year: 1990,
            declared_year: 2090
        })
    );
    assert_eq!(
        id.check_consistency(&full(1990, 4, 20), Some(Gender::Male)),
        Err(IdError::GenderMismatch {
            id_gender: Gender::Female,
            declared: Gender::Male
        })
    );
    let cmnd = NationalId::parse("123456789").unwrap();
    assert_eq!(
        cmnd.check_consistency(&full(1950, 1, 1), Some(Gender::Male)),
        Ok(())
    );
}

#[test]
fn errors_never_leak_the_id() {
    for input in ["003203004587", "00120300458a", "0012030045870"] {
        let err = NationalId::parse(input).unwrap_err();
        assert!(!err.to_string().contains(input), "{err}");
    }
    let id = NationalId::parse("025190000123").unwrap();
    let err = id
        .check_consistency(&BirthDate::YearOnly(1991), Some(Gender::Female))
        .unwrap_err();
    assert!(!err.to_string().contains(id.as_str()));
}

#[test]
fn serde_carries_full_digits_and_validates() {
    let id = NationalId::parse("001203004587").unwrap();
    assert_eq!(serde_json::to_string(&id).unwrap(), "\"001203004587\"");
    let back: NationalId = serde_json::from_str("\"001203004587\"").unwrap();
    assert_eq!(back, id);
    assert!(serde_json::from_str::<NationalId>("\"003203004587\"").is_err());
    assert_eq!(serde_json::to_string(&IdKind::Cccd).unwrap(), "\"cccd\"");
}

proptest! {
    #[test]
    fn any_twelve_digits_with_known_prefix_parse(p in 0usize..63, rest in "[0-9]{9}") {
        let s = format!("{:03}{rest}", crate::province::LEGACY_PROVINCES[p].0);
        let id = NationalId::parse(&s).unwrap();
        prop_assert_eq!(id.kind(), IdKind::Cccd);
        prop_assert_eq!(id.as_str(), s.as_str());
        let masked = id.masked();
        prop_assert_eq!(masked.len(), 12);
        prop_assert_eq!(&masked[..4], &s[..4]);
        prop_assert_eq!(&masked[10..], &s[10..]);
        prop_assert_eq!(&masked[4..10], "******");
        let year = id.birth_year().unwrap();
        prop_assert!((1900..2400).contains(&year));
        prop_assert_eq!(id.check_consistency(&BirthDate::YearOnly(year), id.gender()), Ok(()));
    }

    #[test]
    fn wrong_lengths_are_rejected(s in "[0-9]{0,20}") {
        prop_assume!(s.len() != 9 && s.len() != 12);
        prop_assert_eq!(NationalId::parse(&s), Err(IdError::WrongLength { len: s.len() }));
    }
}
