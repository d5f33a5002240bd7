//! Fuzz target: an SMS / Zalo delivery receipt body
//! (`POST /v1/notification-receipts/{channel}`, `notify::receipts::parse`).
//!
//! Input: the raw body. Checks: no panic; a rejection's reason never repeats a run of
//! nine or more digits from the body (a phone or ID number: personal data that must not
//! reach a log or an error answer).
#![no_main]

use dossierflow_consumers::notify::receipts::parse;
use libfuzzer_sys::fuzz_target;

/// Maximal runs of at least nine ASCII digits.
fn digit_runs(text: &str) -> Vec<&str> {
    text.split(|c: char| !c.is_ascii_digit())
        .filter(|run| run.len() >= 9)
        .collect()
}

fuzz_target!(|data: &[u8]| {
    if let Err(reason) = parse(data) {
        let body = String::from_utf8_lossy(data);
        for run in digit_runs(&body) {
            assert!(
                !reason.contains(run),
                "the rejection repeats a number from the body"
            );
        }
    }
});
