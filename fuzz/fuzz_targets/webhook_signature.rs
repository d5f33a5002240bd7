//! Fuzz target: the `X-Dossierflow-Signature` header of agency webhooks
//! (`webhooks::verify`, what an agency's receiver and our webhook simulator run).
//!
//! Input: the header value (lossy UTF-8). Checks: no panic for any header at any
//! clock; only a header signed with the secret verifies.
#![no_main]

use dossierflow_consumers::webhooks::{signature_header, verify};
use dossierflow_fuzz::text;
use libfuzzer_sys::fuzz_target;

const SECRET: &[u8] = b"fuzz-secret";
const BODY: &[u8] = br#"{"dossier_code":"000.00.01.H55-261127-0001"}"#;

fuzz_target!(|data: &[u8]| {
    let header = text(data);
    for now in [0, 1_780_000_000, i64::MIN, i64::MAX, -1] {
        if verify(&header, SECRET, BODY, now, 300).is_ok() {
            assert!(
                header.contains("v1="),
                "verified a header without a signature"
            );
        }
    }
    let signed = signature_header(SECRET, 1_780_000_000, BODY);
    assert!(verify(&signed, SECRET, BODY, 1_780_000_100, 300).is_ok());
});
