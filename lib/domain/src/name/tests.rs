//! Unit and property tests for [`CitizenName`] and [`DiacriticPolicy`].

use proptest::prelude::*;

use super::*;

fn name(s: &str) -> CitizenName {
    CitizenName::parse(s).unwrap()
}

#[test]
fn parse_table() {
    let cases: &[(&str, Result<&str, NameError>)] = &[
        ("Nguyễn Văn An", Ok("Nguyễn Văn An")),
        ("  Nguyễn   Văn\tAn \n", Ok("Nguyễn Văn An")),
        // Decomposed input (e + combining circumflex + combining tilde) becomes NFC.
        ("Nguye\u{302}\u{303}n Thị Hà", Ok("Nguyễn Thị Hà")),
        ("Đặng Thị Ngọc Ánh", Ok("Đặng Thị Ngọc Ánh")),
        ("H'Hen Niê", Ok("H'Hen Niê")),
        ("Ê Ban", Ok("Ê Ban")),
        ("", Err(NameError::Empty)),
        ("   \t ", Err(NameError::Empty)),
        ("Nguyễn Văn 2", Err(NameError::ContainsDigit)),
        ("Trần Thị Ⅳ", Err(NameError::ContainsDigit)),
        ("Lê\u{7}Văn", Err(NameError::ContainsControl)),
        ("Lê\u{0}", Err(NameError::ContainsControl)),
    ];
    for (input, want) in cases {
        assert_eq!(
            CitizenName::parse(input).as_ref().map(CitizenName::as_str),
            want.as_ref().map(|s| *s),
            "{input:?}"
        );
    }
    let long = "a".repeat(101);
    assert_eq!(
        CitizenName::parse(&long),
        Err(NameError::TooLong { len: 101 })
    );
    assert!(
        CitizenName::parse(&"ễ".repeat(100)).is_ok(),
        "100 chars, 300 bytes"
    );
}

#[test]
fn matching_table() {
    use DiacriticPolicy::{FoldDiacritics as Fold, Strict};
    let cases = [
        ("Nguyễn Văn An", "NGUYỄN VĂN AN", Strict, true),
        ("Đặng Thị Ước", "đặng thị ước", Strict, true),
        ("ĐỖ THỊ ƠN", "Đỗ Thị Ơn", Strict, true),
        ("Nguyễn Văn An", "Nguyen Van An", Strict, false),
        ("Nguyễn Văn An", "Nguyên Văn An", Strict, false),
        ("Đặng Văn Dũng", "Dặng Văn Dũng", Strict, false),
        ("Nguyễn Văn An", "Nguyen Van An", Fold, true),
        ("Đặng Văn Dũng", "DANG VAN DUNG", Fold, true),
        ("Trương Thị Ước", "truong thi uoc", Fold, true),
        ("Nguyễn Văn An", "Nguyễn Văn Anh", Fold, false),
        ("Nguyễn Văn An", "Văn Nguyễn An", Fold, false),
    ];
    for (a, b, policy, want) in cases {
        assert_eq!(
            name(a).matches(&name(b), policy),
            want,
            "{a} vs {b} ({policy:?})"
        );
        assert_eq!(
            name(b).matches(&name(a), policy),
            want,
            "symmetric: {b} vs {a}"
        );
    }
}

#[test]
fn debug_redacts_display_shows() {
    let n = name("Nguyễn Văn An");
    assert_eq!(format!("{n:?}"), "CitizenName(<redacted, 13 chars>)");
    assert_eq!(n.to_string(), "Nguyễn Văn An");
    assert!(!NameError::TooLong { len: 101 }.to_string().contains("Nguy"));
}

#[test]
fn serde_forms() {
    assert_eq!(
        serde_json::to_string(&DiacriticPolicy::FoldDiacritics).unwrap(),
        "\"fold-diacritics\""
    );
    assert_eq!(
        serde_json::from_str::<DiacriticPolicy>("\"strict\"").unwrap(),
        DiacriticPolicy::Strict
    );
    assert_eq!(DiacriticPolicy::default(), DiacriticPolicy::Strict);
    let n: CitizenName = serde_json::from_str("\" Lê  Thị Hoa \"").unwrap();
    assert_eq!(serde_json::to_string(&n).unwrap(), "\"Lê Thị Hoa\"");
    assert!(serde_json::from_str::<CitizenName>("\"Lê 2\"").is_err());
}

proptest! {
    #[test]
    fn strict_match_implies_fold_match(a in "[a-zA-ZàáạảãâầấậẩẫăằắặẳẵèéẹẻẽêềếệểễđĐƯƠươ ]{1,30}", upper: bool) {
        prop_assume!(!a.trim().is_empty());
        let x = name(&a);
        let y = name(&if upper { a.to_uppercase() } else { a.to_lowercase() });
        prop_assert!(x.matches(&y, DiacriticPolicy::Strict));
        prop_assert!(x.matches(&y, DiacriticPolicy::FoldDiacritics));
    }

    #[test]
    fn parse_is_idempotent(s in "\\PC{0,40}") {
        if let Ok(n) = CitizenName::parse(&s) {
            prop_assert_eq!(CitizenName::parse(n.as_str()), Ok(n.clone()));
            prop_assert!(n.as_str().chars().count() <= MAX_NAME_CHARS);
            prop_assert!(!n.as_str().contains("  "));
        }
    }
}

#[test]
fn names_typed_in_decomposed_unicode_equal_their_composed_form() {
    // "Nguyễn Thị Hằng" typed with combining marks (NFD), as some keyboards and PDFs produce.
    let decomposed = "Nguye\u{0302}\u{0303}n Thi\u{0323} Ha\u{0306}\u{0300}ng";
    let composed = "Nguyễn Thị Hằng";
    assert_ne!(decomposed, composed, "the inputs really differ byte-wise");
    let a = CitizenName::parse(decomposed).unwrap();
    let b = CitizenName::parse(composed).unwrap();
    assert_eq!(a.as_str(), composed, "stored in NFC");
    assert!(a.matches(&b, DiacriticPolicy::Strict));
    // Upper case with Đ and horned vowels still matches strictly.
    let upper = CitizenName::parse("ĐẶNG VĂN ƯỚC").unwrap();
    assert!(upper.matches(
        &CitizenName::parse("Đặng Văn Ước").unwrap(),
        DiacriticPolicy::Strict
    ));
    assert!(!upper.matches(
        &CitizenName::parse("Dang Van Uoc").unwrap(),
        DiacriticPolicy::Strict
    ));
    assert!(upper.matches(
        &CitizenName::parse("Dang Van Uoc").unwrap(),
        DiacriticPolicy::FoldDiacritics
    ));
}
