//! The procedure catalogue: procedures, agencies and administrative units (domain.md §2, §3).
//!
//! Units are versioned: `legacy_63` (before 1 July 2025, with districts) and `current_34`
//! (two-tier, communes directly under provinces), plus a legacy→current commune map. The same
//! code may exist in both schemes (e.g. province `25`); lookups by bare code prefer `current_34`.
//!
//! [`Catalog::embedded`] loads a **sample** catalogue of the new Phú Thọ province from JSON files
//! in `lib/domain/catalog/` (see the `_source` note in each file).

mod load;
mod validate;

use std::collections::HashMap;

use serde::{Deserialize, Serialize};

use crate::agency::{AgencyId, ProcedureCode};
use crate::citizen::CitizenField;

pub use load::CatalogError;

/// The government level that handles a procedure or that an agency belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Level {
    /// Province departments (Sở …) and the provincial People's Committee.
    Province,
    /// Commune/ward People's Committees (UBND xã/phường).
    Commune,
}

/// Statutory processing time of a procedure; 8 working hours make 1 working day.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ProcessingTime {
    /// So many working days, serialised `{"working_days": 15}`.
    WorkingDays(u32),
    /// So many working hours, serialised `{"working_hours": 4}`.
    WorkingHours(u32),
}

impl ProcessingTime {
    /// Working hours in total (days × 8), saturating.
    pub fn working_hours(self) -> u64 {
        match self {
            ProcessingTime::WorkingDays(d) => u64::from(d) * 8,
            ProcessingTime::WorkingHours(h) => u64::from(h),
        }
    }
}

/// How far a procedure can be done online.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Channel {
    /// Dịch vụ công trực tuyến toàn trình: fully online.
    FullyOnline,
    /// Một phần: submitted online, some steps in person.
    PartlyOnline,
    /// Only at the desk.
    Offline,
}

/// One administrative procedure as offered in this province.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Procedure {
    /// National catalogue code.
    pub code: ProcedureCode,
    /// Official Vietnamese name.
    pub name: String,
    /// Field (*lĩnh vực*), e.g. "Hộ tịch".
    pub field: String,
    /// Level that handles it.
    pub level: Level,
    /// Agencies that receive it (all of the same level as the procedure).
    pub agencies: Vec<AgencyId>,
    /// Statutory processing time.
    pub processing: ProcessingTime,
    /// Online channel.
    pub channel: Channel,
    /// The citizen fields this procedure may request from CSDLQG (data minimisation).
    pub csdlqg_fields: Vec<CitizenField>,
}

/// A receiving agency.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Agency {
    /// QCVN 102 e-identifier.
    pub id: AgencyId,
    /// Official Vietnamese name.
    pub name: String,
    /// Province department or commune committee.
    pub level: Level,
    /// Parent agency, if any.
    pub parent: Option<AgencyId>,
    /// The `current_34` unit it serves (province code or 5-digit commune code).
    pub unit_code: String,
}

/// Level of an administrative unit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum UnitLevel {
    /// Province or centrally-run city (2-digit code).
    Province,
    /// District (3-digit code); exists only in the legacy scheme.
    District,
    /// Commune, ward or township (5-digit code).
    Commune,
}

/// Which version of the administrative map a unit belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum UnitScheme {
    /// 63 provinces with districts, before 1 July 2025 (still used by CCCD prefixes, old dossiers).
    #[serde(rename = "legacy_63")]
    Legacy63,
    /// 34 provinces, two-tier, from 1 July 2025.
    #[serde(rename = "current_34")]
    Current34,
}

/// An administrative unit.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Unit {
    /// Statistical code: 2 digits (province), 3 (district), 5 (commune).
    pub code: String,
    /// Vietnamese name.
    pub name: String,
    /// Level.
    pub level: UnitLevel,
    /// Map version.
    pub scheme: UnitScheme,
    /// Code of the parent unit in the same scheme.
    pub parent: Option<String>,
}

/// A validated catalogue with indexes for lookups.
#[derive(Debug, Clone)]
pub struct Catalog {
    procedures: Vec<Procedure>,
    agencies: Vec<Agency>,
    units: Vec<Unit>,
    legacy_map: HashMap<String, String>,
    procedure_index: HashMap<ProcedureCode, usize>,
    agency_index: HashMap<AgencyId, usize>,
    unit_index: HashMap<(UnitScheme, String), usize>,
    commune_agency_index: HashMap<String, usize>,
}

impl Catalog {
    /// The procedure with this code.
    pub fn procedure(&self, code: &ProcedureCode) -> Option<&Procedure> {
        self.procedure_index.get(code).map(|&i| &self.procedures[i])
    }

    /// All procedures, in file order.
    pub fn procedures(&self) -> &[Procedure] {
        &self.procedures
    }

    /// The agency with this e-identifier.
    pub fn agency(&self, id: &AgencyId) -> Option<&Agency> {
        self.agency_index.get(id).map(|&i| &self.agencies[i])
    }

    /// All agencies, in file order.
    pub fn agencies(&self) -> &[Agency] {
        &self.agencies
    }

    /// All units of both schemes, in file order.
    pub fn units(&self) -> &[Unit] {
        &self.units
    }

    /// The unit with this code, preferring `current_34` over `legacy_63`.
    pub fn unit(&self, code: &str) -> Option<&Unit> {
        self.unit_in(UnitScheme::Current34, code)
            .or_else(|| self.unit_in(UnitScheme::Legacy63, code))
    }

    /// The unit with this code in one scheme.
    pub fn unit_in(&self, scheme: UnitScheme, code: &str) -> Option<&Unit> {
        self.unit_index
            .get(&(scheme, code.to_owned()))
            .map(|&i| &self.units[i])
    }

    /// The current commune for a commune code: a `current_34` commune maps to itself, a
    /// `legacy_63` commune to the commune it merged into; anything else is `None`.
    pub fn current_commune(&self, commune_code: &str) -> Option<&Unit> {
        let code = commune_code.trim();
        match self.unit_in(UnitScheme::Current34, code) {
            Some(u) if u.level == UnitLevel::Commune => Some(u),
            _ => self
                .legacy_map
                .get(code)
                .and_then(|current| self.unit_in(UnitScheme::Current34, current)),
        }
    }

    /// The commune People's Committee serving a `current_34` commune.
    pub fn commune_agency(&self, current_commune_code: &str) -> Option<&Agency> {
        self.commune_agency_index
            .get(current_commune_code.trim())
            .map(|&i| &self.agencies[i])
    }

    /// Every legacy_63 commune code with the current_34 commune it merged into, sorted.
    pub fn legacy_links(&self) -> Vec<(&str, &str)> {
        let mut links: Vec<(&str, &str)> = self
            .legacy_map
            .iter()
            .map(|(l, c)| (l.as_str(), c.as_str()))
            .collect();
        links.sort_unstable();
        links
    }

    /// All `current_34` communes that have an agency, in file order.
    pub fn current_communes(&self) -> Vec<&Unit> {
        self.units
            .iter()
            .filter(|u| u.scheme == UnitScheme::Current34 && u.level == UnitLevel::Commune)
            .filter(|u| self.commune_agency_index.contains_key(&u.code))
            .collect()
    }

    /// All `legacy_63` communes that map to a current commune, in file order.
    pub fn legacy_communes(&self) -> Vec<&Unit> {
        self.units
            .iter()
            .filter(|u| u.scheme == UnitScheme::Legacy63 && u.level == UnitLevel::Commune)
            .filter(|u| self.legacy_map.contains_key(&u.code))
            .collect()
    }
}

#[cfg(test)]
mod tests;
