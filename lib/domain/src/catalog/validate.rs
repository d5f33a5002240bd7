//! Catalogue consistency rules: unit codes and hierarchy, the legacy map, agencies' units and
//! parents, procedures' agencies and fields. Each rule builds the index the lookups use.

use std::collections::{HashMap, HashSet};

use super::load::{
    AGENCIES_FILE, CatalogError, LEGACY_MAP_FILE, LegacyLink, PROCEDURES_FILE, UNITS_FILE, invalid,
};
use super::{Agency, Level, Procedure, Unit, UnitLevel, UnitScheme};

pub(super) type UnitIndex = HashMap<(UnitScheme, String), usize>;

pub(super) fn index_units(units: &[Unit]) -> Result<UnitIndex, CatalogError> {
    let mut index = HashMap::new();
    for (i, u) in units.iter().enumerate() {
        let digits = match u.level {
            UnitLevel::Province => 2,
            UnitLevel::District => 3,
            UnitLevel::Commune => 5,
        };
        if u.code.len() != digits || !u.code.bytes().all(|b| b.is_ascii_digit()) {
            return Err(invalid(
                UNITS_FILE,
                &u.code,
                format!("a {:?} code must be {digits} digits", u.level),
            ));
        }
        if u.scheme == UnitScheme::Current34 && u.level == UnitLevel::District {
            return Err(invalid(
                UNITS_FILE,
                &u.code,
                "districts do not exist in current_34",
            ));
        }
        if index.insert((u.scheme, u.code.clone()), i).is_some() {
            return Err(invalid(
                UNITS_FILE,
                &u.code,
                "duplicate code in the same scheme",
            ));
        }
    }
    for u in units {
        let want = match (u.level, u.scheme) {
            (UnitLevel::Province, _) => None,
            (UnitLevel::District, _) | (UnitLevel::Commune, UnitScheme::Current34) => {
                Some(UnitLevel::Province)
            }
            (UnitLevel::Commune, UnitScheme::Legacy63) => Some(UnitLevel::District),
        };
        let parent = u
            .parent
            .as_ref()
            .and_then(|p| index.get(&(u.scheme, p.clone())))
            .map(|&i| units[i].level);
        if parent != want {
            return Err(invalid(
                UNITS_FILE,
                &u.code,
                format!("parent must be a {want:?} of the same scheme"),
            ));
        }
    }
    Ok(index)
}

pub(super) fn index_links(
    links: &[LegacyLink],
    index: &UnitIndex,
    units: &[Unit],
) -> Result<HashMap<String, String>, CatalogError> {
    let is_commune = |scheme, code: &str| {
        index
            .get(&(scheme, code.to_owned()))
            .is_some_and(|&i| units[i].level == UnitLevel::Commune)
    };
    let mut map = HashMap::new();
    for l in links {
        if !is_commune(UnitScheme::Legacy63, &l.legacy) {
            return Err(invalid(
                LEGACY_MAP_FILE,
                &l.legacy,
                "not a legacy_63 commune in units.json",
            ));
        }
        if !is_commune(UnitScheme::Current34, &l.current) {
            return Err(invalid(
                LEGACY_MAP_FILE,
                &l.legacy,
                format!("maps to {}, not a current_34 commune", l.current),
            ));
        }
        // A code shared by both schemes must map to itself, or lookups by code would be ambiguous.
        if is_commune(UnitScheme::Current34, &l.legacy) && l.legacy != l.current {
            return Err(invalid(
                LEGACY_MAP_FILE,
                &l.legacy,
                "is also a current_34 code but maps elsewhere",
            ));
        }
        if map.insert(l.legacy.clone(), l.current.clone()).is_some() {
            return Err(invalid(LEGACY_MAP_FILE, &l.legacy, "mapped more than once"));
        }
    }
    Ok(map)
}

pub(super) type AgencyIndexes = (HashMap<crate::AgencyId, usize>, HashMap<String, usize>);

pub(super) fn index_agencies(
    agencies: &[Agency],
    index: &UnitIndex,
    units: &[Unit],
) -> Result<AgencyIndexes, CatalogError> {
    let mut by_id = HashMap::new();
    let mut by_commune = HashMap::new();
    for (i, a) in agencies.iter().enumerate() {
        let entry = a.id.as_str();
        if by_id.insert(a.id.clone(), i).is_some() {
            return Err(invalid(AGENCIES_FILE, entry, "duplicate agency id"));
        }
        let unit_level = index
            .get(&(UnitScheme::Current34, a.unit_code.clone()))
            .map(|&u| units[u].level);
        let want = match a.level {
            Level::Province => UnitLevel::Province,
            Level::Commune => UnitLevel::Commune,
        };
        if unit_level != Some(want) {
            return Err(invalid(
                AGENCIES_FILE,
                entry,
                format!("unit_code {} is not a current_34 {want:?}", a.unit_code),
            ));
        }
        if a.level == Level::Commune && by_commune.insert(a.unit_code.clone(), i).is_some() {
            return Err(invalid(
                AGENCIES_FILE,
                entry,
                format!("second commune agency for unit {}", a.unit_code),
            ));
        }
    }
    for a in agencies {
        if let Some(p) = &a.parent
            && !by_id.contains_key(p)
        {
            return Err(invalid(
                AGENCIES_FILE,
                a.id.as_str(),
                format!("unknown parent agency {p}"),
            ));
        }
    }
    Ok((by_id, by_commune))
}

pub(super) fn index_procedures(
    procedures: &[Procedure],
    agency_index: &HashMap<crate::AgencyId, usize>,
    agencies: &[Agency],
) -> Result<HashMap<crate::ProcedureCode, usize>, CatalogError> {
    let mut index = HashMap::new();
    for (i, p) in procedures.iter().enumerate() {
        let entry = p.code.as_str();
        if index.insert(p.code.clone(), i).is_some() {
            return Err(invalid(PROCEDURES_FILE, entry, "duplicate procedure code"));
        }
        if p.name.trim().is_empty() || p.agencies.is_empty() || p.csdlqg_fields.is_empty() {
            return Err(invalid(
                PROCEDURES_FILE,
                entry,
                "name, agencies and csdlqg_fields must not be empty",
            ));
        }
        for id in &p.agencies {
            match agency_index.get(id).map(|&a| agencies[a].level) {
                None => {
                    return Err(invalid(
                        PROCEDURES_FILE,
                        entry,
                        format!("unknown agency {id}"),
                    ));
                }
                Some(level) if level != p.level => {
                    return Err(invalid(
                        PROCEDURES_FILE,
                        entry,
                        format!("agency {id} is not at level {:?}", p.level),
                    ));
                }
                Some(_) => {}
            }
        }
        let distinct: HashSet<_> = p.csdlqg_fields.iter().collect();
        if distinct.len() != p.csdlqg_fields.len() {
            return Err(invalid(
                PROCEDURES_FILE,
                entry,
                "csdlqg_fields lists a field twice",
            ));
        }
    }
    Ok(index)
}
