//! Fuzz target: a citizen-lookup request as the CSDLQG simulator reads it: the SOAP
//! envelope (`wire::request::parse`) and the gateway JSON form (`wire::json::validate`).
//!
//! Input: the request body (lossy UTF-8), tried as both forms. Checks: no panic.
#![no_main]

use dossierflow_csdlqg::wire::{json, request};
use dossierflow_fuzz::text;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let body = text(data);
    let _ = request::parse(&body);
    if let Ok(req) = serde_json::from_str::<json::JsonRequest>(&body) {
        let _ = json::validate(&req);
    }
});
