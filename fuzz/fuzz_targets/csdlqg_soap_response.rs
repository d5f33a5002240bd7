//! Fuzz target: a CSDLQG `TraCuuThongTinCongDan` SOAP answer, as the client reads it
//! (`wire::response::parse` behind `classify::classify`, over `wire::dom`).
//!
//! Input: the response body (lossy UTF-8). The body is classified as the answer to a
//! 200, a 500, a 429 and a 503 whose `Retry-After` is the body's first line.
//! Checks: no panic; what parses as citizens is written back by the simulator's writer
//! and parses to the same records.
#![no_main]

use dossierflow_csdlqg::classify::{classify, parse_retry_after};
use dossierflow_csdlqg::wire::{dom, response};
use dossierflow_fuzz::text;
use http::StatusCode;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let body = text(data);
    let _ = dom::parse(&body);
    if let Ok(response::Reply::Citizens(records)) = response::parse(&body) {
        let written = response::write_citizens(&records);
        match response::parse(&written) {
            Ok(response::Reply::Citizens(again)) => {
                assert!(
                    again == records,
                    "citizens changed in a write/parse round trip"
                );
            }
            _ => panic!("the simulator's writer produced an unreadable answer"),
        }
    }
    let first_line = body.lines().next().unwrap_or_default();
    let _ = parse_retry_after(first_line);
    for (status, retry) in [
        (StatusCode::OK, None),
        (StatusCode::INTERNAL_SERVER_ERROR, None),
        (StatusCode::TOO_MANY_REQUESTS, None),
        (StatusCode::SERVICE_UNAVAILABLE, Some(first_line)),
    ] {
        let _ = classify(status, retry, &body, "001090123456");
    }
});
