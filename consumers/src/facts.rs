//! Read-only reference data every stage may consult: the catalogue and the calendar.

use std::sync::Arc;

use dossierflow_domain::{Catalog, WorkingCalendar};

/// Reference data loaded once at start-up and shared by all stages of a process.
#[derive(Clone)]
pub struct Facts {
    /// Procedures, agencies and administrative units.
    pub catalog: Arc<Catalog>,
    /// Working days and office hours for due dates.
    pub calendar: Arc<WorkingCalendar>,
}

impl Facts {
    /// Loads the embedded catalogue and calendar.
    pub fn embedded() -> anyhow::Result<Self> {
        Ok(Self {
            catalog: Arc::new(Catalog::embedded()?),
            calendar: Arc::new(WorkingCalendar::vietnam()?),
        })
    }
}
