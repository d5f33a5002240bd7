//! Fuzz target: what agencies send to the agency API: the page cursor of
//! `GET /v1/agencies/{id}/dossiers?cursor=…` (`agency_auth::Cursor::decode`) and the
//! body of `POST /v1/dossiers/{code}/status` (`StatusUpdateBody`, status name).
//!
//! Input: the cursor text or the body (lossy UTF-8), tried as both. Checks: no panic; a
//! decoded cursor encodes back to a cursor that decodes to itself.
#![no_main]

use dossierflow_domain::Status;
use dossierflow_fuzz::text;
use dossierflow_producers::intake::StatusUpdateBody;
use dossierflow_producers::intake::agency_auth::Cursor;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let s = text(data);
    if let Some(cursor) = Cursor::decode(&s) {
        assert_eq!(Cursor::decode(&cursor.encode()), Some(cursor));
    }
    if let Ok(body) = serde_json::from_slice::<StatusUpdateBody>(data) {
        let _ = Status::from_str_name(&body.status);
    }
});
