//! Fuzz target: what the notification providers answer, as the senders read it: the
//! Zalo-style ZNS body, the national portal's body, the SMS gateway's body, and a
//! non-2xx status with its `Retry-After` header (`notify::senders::fuzzing`).
//!
//! Input: the body; its first two bytes also pick a status code and its first line is the
//! `Retry-After` value. Checks: no panic; every reason is short fixed-vocabulary ASCII
//! (a provider must not be able to put its text, or a recipient's, into our reasons).
#![no_main]

use dossierflow_consumers::notify::channel::Outcome;
use dossierflow_consumers::notify::senders::fuzzing::{
    national_answer, plain_code, sms_message_id, status_outcome, zalo_answer,
};
use libfuzzer_sys::fuzz_target;

fn check_reason(outcome: Option<Outcome>) {
    if let Some(Outcome::Retry { reason, .. } | Outcome::Rejected { reason }) = outcome {
        assert!(
            reason.len() <= 40 && reason.bytes().all(|b| b.is_ascii_graphic() || b == b' '),
            "reason is not a short fixed-vocabulary text"
        );
    }
}

fuzz_target!(|data: &[u8]| {
    check_reason(zalo_answer(data));
    check_reason(national_answer(data));
    let _ = sms_message_id(data);
    let status = match data {
        [a, b, ..] => 100 + u16::from_le_bytes([*a, *b]) % 500,
        _ => 503,
    };
    let first_line = data.split(|&b| b == b'\n').next().unwrap_or_default();
    check_reason(status_outcome(status, first_line));
    let code = String::from_utf8_lossy(data);
    let plain = plain_code(&code);
    assert!(plain == "?" || (plain.len() <= 16 && plain.is_ascii()));
});
