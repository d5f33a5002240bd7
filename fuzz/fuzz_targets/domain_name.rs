//! Fuzz target: citizens' full names (`CitizenName::parse`) and name comparison under
//! both diacritic policies.
//!
//! Input: the text to parse (lossy UTF-8). Checks: no panic; an accepted name re-parses
//! to itself and matches itself under both policies.
#![no_main]

use dossierflow_domain::{CitizenName, DiacriticPolicy};
use dossierflow_fuzz::text;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let s = text(data);
    let Ok(name) = CitizenName::parse(&s) else {
        return;
    };
    let again = CitizenName::parse(name.as_str()).expect("an accepted name re-parses");
    assert_eq!(again.as_str(), name.as_str());
    for policy in [DiacriticPolicy::Strict, DiacriticPolicy::FoldDiacritics] {
        assert!(name.matches(&again, policy));
    }
});
