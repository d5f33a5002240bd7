//! Fuzz target: a province-gateway JSON answer to a citizen lookup, as the gateway
//! client reads it (`wire::json::parse` behind `classify::classify_json`).
//!
//! Input: the response body (lossy UTF-8), classified as a 200 and as a 500.
//! Checks: no panic; what parses as citizens is written back by the simulator's writer
//! and parses to the same records.
#![no_main]

use dossierflow_csdlqg::classify::classify_json;
use dossierflow_csdlqg::wire::json;
use dossierflow_csdlqg::wire::response::Reply;
use dossierflow_fuzz::text;
use http::StatusCode;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let body = text(data);
    if let Ok(Reply::Citizens(records)) = json::parse(&body) {
        let written = json::write_citizens(&records).to_string();
        match json::parse(&written) {
            Ok(Reply::Citizens(again)) => {
                assert!(
                    again == records,
                    "citizens changed in a write/parse round trip"
                );
            }
            _ => panic!("the simulator's writer produced an unreadable answer"),
        }
    }
    for status in [StatusCode::OK, StatusCode::INTERNAL_SERVER_ERROR] {
        let _ = classify_json(status, None, &body, "001090123456");
    }
});
