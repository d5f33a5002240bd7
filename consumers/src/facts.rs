//! Read-only reference data every stage may consult: the catalogue and the calendar.

use std::path::Path;
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
        Self::load(None)
    }

    /// Loads the catalogue from `dir` (the embedded sample when `None`) and the calendar.
    pub fn load(dir: Option<&Path>) -> anyhow::Result<Self> {
        Ok(Self {
            catalog: Arc::new(load_catalog(dir)?),
            calendar: Arc::new(WorkingCalendar::vietnam()?),
        })
    }
}

/// Reads and validates the four catalogue files of `dir` (the embedded sample when
/// `None`). Errors name the file path and line.
pub fn load_catalog(dir: Option<&Path>) -> anyhow::Result<Catalog> {
    let Some(dir) = dir else {
        return Ok(Catalog::embedded()?);
    };
    let file = |name: &str| -> anyhow::Result<String> {
        let path = dir.join(name);
        std::fs::read_to_string(&path)
            .map_err(|e| anyhow::anyhow!("cannot read {}: {e}", path.display()))
    };
    Catalog::from_json(
        &file("procedures.json")?,
        &file("agencies.json")?,
        &file("units.json")?,
        &file("legacy_map.json")?,
    )
    .map_err(|e| anyhow::anyhow!("{}", dir.join(e.to_string()).display()))
}
