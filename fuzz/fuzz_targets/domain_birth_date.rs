//! Fuzz target: dates of birth (`BirthDate::parse_on`, with a fixed "today") and their
//! CSDLQG form.
//!
//! Input: the text to parse (lossy UTF-8). Checks: no panic; an accepted date prints in
//! a form that parses back to the same date; it matches itself.
#![no_main]

use dossierflow_domain::BirthDate;
use dossierflow_fuzz::{text, today};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let s = text(data);
    let Ok(birth) = BirthDate::parse_on(&s, today()) else {
        return;
    };
    let shown = birth.to_string();
    let again = BirthDate::parse_on(&shown, today()).expect("a printed date re-parses");
    assert_eq!(again, birth);
    assert!(birth.matches(&birth));
    let _ = (birth.year(), birth.to_csdlqg());
});
