//! Pure core of the enrich stage: data minimisation, shared with the portal's
//! synchronous lookups (`dossierflow_csdlqg::minimise`) so both disclose the same fields.

use dossierflow_csdlqg::CitizenRecord;
use dossierflow_domain::{Catalog, Procedure};

pub use dossierflow_csdlqg::minimise::{Enrichment, field_name};
use dossierflow_csdlqg::minimise::{Sensitive, minimise};

/// Extracts the fields `procedure` declares from `record`. Sensitive fields the procedure
/// declares are kept: the shell stores everything sealed.
pub fn decide(record: &CitizenRecord, procedure: &Procedure, catalog: &Catalog) -> Enrichment {
    minimise(record, procedure, catalog, Sensitive::Keep)
}
