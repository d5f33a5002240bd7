//! Pure core of the enrich stage: data minimisation.

use dossierflow_csdlqg::{Address, CitizenRecord};
use dossierflow_domain::{Catalog, CitizenField, Procedure};
use serde_json::{Map, Value, json};

/// The minimised citizen data for one dossier.
#[derive(Debug, Clone, PartialEq)]
pub struct Enrichment {
    /// Field name → value, only the fields the procedure needs.
    pub fields: Map<String, Value>,
    /// Names of the fields kept.
    pub kept: Vec<String>,
    /// Names of sensitive fields the procedure asked for but which were not stored.
    pub withheld: Vec<String>,
    /// Current commune code of the permanent residence, when known.
    pub residence_commune: Option<String>,
}

/// The wire name of a citizen field (`full_name`, `permanent_address`, …).
pub fn field_name(f: CitizenField) -> String {
    serde_json::to_value(f)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_default()
}

/// Extracts the fields `procedure` declares from `record`.
pub fn decide(record: &CitizenRecord, procedure: &Procedure, catalog: &Catalog) -> Enrichment {
    let mut out = Enrichment {
        fields: Map::new(),
        kept: vec![],
        withheld: vec![],
        residence_commune: record
            .permanent
            .as_ref()
            .and_then(|a| a.commune.as_deref())
            .and_then(|c| catalog.current_commune(c))
            .map(|u| u.code.clone()),
    };
    for &field in &procedure.csdlqg_fields {
        let name = field_name(field);
        if field.is_sensitive() {
            out.withheld.push(name);
            continue;
        }
        if let Some(value) = value_of(record, field, catalog) {
            out.fields.insert(name.clone(), value);
            out.kept.push(name);
        }
    }
    out
}

fn value_of(r: &CitizenRecord, field: CitizenField, catalog: &Catalog) -> Option<Value> {
    let addr = |a: &Option<Address>| a.as_ref().map(|a| address(a, catalog));
    match field {
        CitizenField::FullName => Some(json!(r.full_name)),
        CitizenField::IdNumber => r.id.as_ref().map(|v| json!(v)),
        CitizenField::OldIdNumber => r.old_id.as_ref().map(|v| json!(v)),
        CitizenField::Gender => serde_json::to_value(r.gender).ok(),
        CitizenField::MaritalStatus => serde_json::to_value(r.marital_status).ok(),
        CitizenField::BloodType => serde_json::to_value(r.blood_type).ok(),
        CitizenField::BirthDate => Some(json!(r.birth.to_string())),
        CitizenField::Nationality => r.nationality.as_ref().map(|v| json!(v)),
        CitizenField::BirthRegistrationPlace => addr(&r.birth_registration),
        CitizenField::Hometown => addr(&r.hometown),
        CitizenField::PermanentAddress => addr(&r.permanent),
        CitizenField::CurrentAddress => addr(&r.current),
        CitizenField::Ethnicity | CitizenField::Religion => None,
    }
}

/// An address with unit codes mapped to current (post-2025) units and their names.
fn address(a: &Address, catalog: &Catalog) -> Value {
    let current = a
        .commune
        .as_deref()
        .and_then(|c| catalog.current_commune(c));
    let province = current
        .and_then(|u| u.parent.as_deref())
        .and_then(|p| catalog.unit(p))
        .map(|u| u.name.clone());
    json!({
        "detail": a.detail,
        "commune_code": current.map(|u| u.code.clone()),
        "commune": current.map(|u| u.name.clone()),
        "province": province,
        "legacy_commune_code": a.commune,
        "country": a.country,
    })
}
