//! Fuzz target: agency e-identifiers, procedure codes, dossier codes and status names
//! (`AgencyId`, `ProcedureCode`, `DossierCode::parse`, `Status::from_str_name`).
//!
//! Input: the text to parse (lossy UTF-8), tried as each. Checks: no panic; accepted
//! codes print in a form that parses back to the same code.
#![no_main]

use dossierflow_domain::{AgencyId, DossierCode, ProcedureCode, Status};
use dossierflow_fuzz::text;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let s = text(data);
    if let Ok(agency) = AgencyId::parse(&s) {
        assert_eq!(AgencyId::parse(agency.as_str()).ok(), Some(agency));
    }
    if let Ok(procedure) = ProcedureCode::parse(&s) {
        assert_eq!(
            ProcedureCode::parse(procedure.as_str()).ok(),
            Some(procedure)
        );
    }
    if let Ok(code) = DossierCode::parse(&s) {
        let again = DossierCode::parse(&code.to_string()).expect("a printed code re-parses");
        assert_eq!(again, code);
        let _ = (code.agency(), code.date(), code.seq());
    }
    if let Some(status) = Status::from_str_name(&s) {
        let _ = status.code();
    }
});
