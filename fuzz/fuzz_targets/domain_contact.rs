//! Fuzz target: mobile numbers (`PhoneNumber::parse`) and e-mail addresses
//! (`Email::parse`).
//!
//! Input: the text to parse (lossy UTF-8), tried as both. Checks: no panic; accepted
//! values re-parse from their stored form (and a phone number from its E.164 form) to
//! the same value; masking never panics.
#![no_main]

use dossierflow_domain::{Email, PhoneNumber};
use dossierflow_fuzz::text;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let s = text(data);
    if let Ok(phone) = PhoneNumber::parse(&s) {
        let again = PhoneNumber::parse(phone.as_str()).expect("a phone number re-parses");
        assert_eq!(again.as_str(), phone.as_str());
        let e164 = PhoneNumber::parse(&phone.e164()).expect("its E.164 form re-parses");
        assert_eq!(e164.as_str(), phone.as_str());
        let _ = (phone.masked(), phone.to_string());
    }
    if let Ok(email) = Email::parse(&s) {
        let again = Email::parse(email.as_str()).expect("an e-mail address re-parses");
        assert_eq!(again.as_str(), email.as_str());
        let _ = (email.masked(), email.to_string());
    }
});
