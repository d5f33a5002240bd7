//! Fuzz target: a `POST /v1/dossiers` body, as intake reads it (JSON, then
//! `intake::validate::parse` against the embedded catalogue).
//!
//! Input: the raw body. Checks: no panic; every rejection names at least one field
//! error with a code that has a Vietnamese message.
#![no_main]

use std::sync::LazyLock;

use dossierflow_domain::Catalog;
use dossierflow_producers::intake::validate::{parse, vi_message};
use libfuzzer_sys::fuzz_target;

static CATALOG: LazyLock<Option<Catalog>> = LazyLock::new(|| Catalog::embedded().ok());

fuzz_target!(|data: &[u8]| {
    let Some(catalog) = CATALOG.as_ref() else {
        panic!("the embedded catalogue does not load");
    };
    let Ok(value) = serde_json::from_slice::<serde_json::Value>(data) else {
        return;
    };
    if let Err(errors) = parse(&value, catalog) {
        assert!(!errors.is_empty(), "a rejection without a reason");
        for e in &errors {
            let _ = vi_message(e.code);
        }
    }
});
