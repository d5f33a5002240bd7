//! Fuzz target: CCCD / CMND numbers (`NationalId::parse`) and their consistency check
//! against a birth date.
//!
//! Input: the text to parse (lossy UTF-8). Checks: no panic; an accepted ID re-parses
//! from its own form to the same ID; masking keeps the length and hides the middle.
#![no_main]

use dossierflow_domain::{BirthDate, Gender, NationalId};
use dossierflow_fuzz::text;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let s = text(data);
    let Ok(id) = NationalId::parse(&s) else {
        return;
    };
    let again = NationalId::parse(id.as_str()).expect("an accepted ID re-parses");
    assert_eq!(again.as_str(), id.as_str());
    let masked = id.masked();
    assert_eq!(masked.chars().count(), id.as_str().chars().count());
    assert_ne!(masked, id.as_str(), "masking must hide something");
    let _ = (id.kind(), id.province_code(), id.gender(), id.to_string());
    if let Some(year) = id.birth_year() {
        let birth = BirthDate::YearOnly(year);
        assert!(id.check_consistency(&birth, None).is_ok());
        for g in [Gender::Male, Gender::Female] {
            let _ = id.check_consistency(&birth, Some(g));
        }
    }
});
