//! The mapping from our lifecycle statuses to the National Public Service Portal's status
//! codes (DVCQG, `CapNhatTienDoHoSoMC`), kept as data in `catalog/national_status.json`.
//!
//! Our [`Status`] uses the national codes today, but the portal's codes are the portal's:
//! keeping the mapping as a validated data file means a change on their side is a data
//! change here.

use std::collections::HashMap;

use serde::Deserialize;
use thiserror::Error;

use crate::status::Status;

/// A status as the national portal knows it.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct NationalStatus {
    /// The portal's code (`TrangThaiHoSo`), e.g. `"2"`.
    pub code: String,
    /// The portal's Vietnamese name.
    pub name: String,
}

#[derive(Deserialize)]
struct Entry {
    status: String,
    code: String,
    name: String,
}

#[derive(Deserialize)]
struct File {
    entries: Vec<Entry>,
}

/// Why the mapping file is unusable.
#[derive(Debug, Error, PartialEq, Eq)]
pub enum PortalMapError {
    /// Not valid JSON of the expected shape.
    #[error("national_status.json: {0}")]
    Json(String),
    /// An entry names a status we do not have.
    #[error("national_status.json: unknown status {0:?}")]
    UnknownStatus(String),
    /// A status appears twice.
    #[error("national_status.json: status {0} is mapped twice")]
    Duplicate(&'static str),
    /// Two statuses map to the same portal code.
    #[error("national_status.json: portal code {0:?} is used twice")]
    DuplicateCode(String),
    /// A status has no portal code.
    #[error("national_status.json: status {0} has no portal code")]
    Missing(&'static str),
}

/// Status → national portal status, complete and one-to-one.
#[derive(Debug, Clone)]
pub struct NationalStatusMap(HashMap<Status, NationalStatus>);

impl NationalStatusMap {
    /// The embedded mapping.
    pub fn embedded() -> Result<Self, PortalMapError> {
        Self::from_json(include_str!("../catalog/national_status.json"))
    }

    /// Parses and validates a mapping file.
    pub fn from_json(json: &str) -> Result<Self, PortalMapError> {
        let file: File =
            serde_json::from_str(json).map_err(|e| PortalMapError::Json(e.to_string()))?;
        let mut map = HashMap::new();
        let mut codes = HashMap::new();
        for e in file.entries {
            let status =
                Status::from_str_name(&e.status).ok_or(PortalMapError::UnknownStatus(e.status))?;
            if codes.insert(e.code.clone(), status).is_some() {
                return Err(PortalMapError::DuplicateCode(e.code));
            }
            let national = NationalStatus {
                code: e.code,
                name: e.name,
            };
            if map.insert(status, national).is_some() {
                return Err(PortalMapError::Duplicate(status.as_str()));
            }
        }
        match Status::ALL.iter().find(|s| !map.contains_key(s)) {
            Some(s) => Err(PortalMapError::Missing(s.as_str())),
            None => Ok(Self(map)),
        }
    }

    /// The portal's status for ours. Total: validation guarantees every status is mapped.
    pub fn get(&self, status: Status) -> Option<&NationalStatus> {
        self.0.get(&status)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn embedded_mapping_covers_every_status_with_its_national_code() {
        let m = NationalStatusMap::embedded().expect("valid");
        for s in Status::ALL {
            let n = m.get(s).expect("mapped");
            assert_eq!(n.code, s.code().to_string());
            assert_eq!(n.name, s.name_vi());
        }
    }

    #[test]
    fn broken_mappings_are_refused() {
        let good = include_str!("../catalog/national_status.json");
        let missing = good.replacen("\"status\": \"returned\"", "\"status\": \"completed\"", 1);
        assert!(matches!(
            NationalStatusMap::from_json(&missing),
            Err(PortalMapError::Duplicate("completed"))
        ));
        let unknown = good.replacen("\"status\": \"returned\"", "\"status\": \"archived\"", 1);
        assert_eq!(
            NationalStatusMap::from_json(&unknown).err(),
            Some(PortalMapError::UnknownStatus("archived".into()))
        );
        let code = good.replacen("\"code\": \"10\"", "\"code\": \"9\"", 1);
        assert_eq!(
            NationalStatusMap::from_json(&code).err(),
            Some(PortalMapError::DuplicateCode("9".into()))
        );
    }
}
