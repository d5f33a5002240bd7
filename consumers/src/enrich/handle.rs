//! Pure core of the enrich stage: data minimisation, shared with the portal's
//! synchronous lookups (`dossierflow_csdlqg::minimise`) so both disclose the same fields.

use dossierflow_csdlqg::CitizenRecord;
use dossierflow_domain::{Catalog, Procedure};

pub use dossierflow_csdlqg::minimise::{Enrichment, field_name};

/// Extracts the fields `procedure` declares from `record`.
pub fn decide(record: &CitizenRecord, procedure: &Procedure, catalog: &Catalog) -> Enrichment {
    dossierflow_csdlqg::minimise::minimise(record, procedure, catalog)
}
