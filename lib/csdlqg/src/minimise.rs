//! Data minimisation: from a population record keep only the fields a procedure
//! declares, codes mapped to names and legacy units to current ones. Used by the enrich
//! stage and by the portal's synchronous lookups, so both disclose exactly the same.

use crate::{Address, CitizenRecord};
use dossierflow_domain::codes::{ethnicity_name, religion_name};
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

/// What to do with the sensitive fields (ethnicity, religion) a procedure declares.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sensitive {
    /// Keep them (the caller stores them sealed, or hands them to the purpose-bound caller).
    Keep,
    /// Leave them out and list them as withheld.
    Withhold,
}

/// Extracts the fields `procedure` declares from `record`.
pub fn minimise(
    record: &CitizenRecord,
    procedure: &Procedure,
    catalog: &Catalog,
    sensitive: Sensitive,
) -> Enrichment {
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
        if field.is_sensitive() && sensitive == Sensitive::Withhold {
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
        CitizenField::Ethnicity => r
            .ethnicity
            .as_ref()
            .map(|c| json!({"code": c, "name": ethnicity_name(c)})),
        CitizenField::Religion => r
            .religion
            .as_ref()
            .map(|c| json!({"code": c, "name": religion_name(c)})),
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

#[cfg(test)]
mod tests {
    use super::*;
    use dossierflow_domain::{BirthDate, BloodType, Gender, MaritalStatus};

    fn record(commune: &str) -> CitizenRecord {
        let addr = Address {
            province: Some("25".into()),
            district: None,
            commune: Some(commune.into()),
            detail: Some("Số 1".into()),
            country: Some("VN".into()),
        };
        CitizenRecord {
            id: Some("025190012387".into()),
            old_id: None,
            full_name: "Nguyễn Thị Minh Châu".into(),
            gender: Gender::Female,
            ethnicity: Some("01".into()),
            religion: Some("00".into()),
            marital_status: MaritalStatus::Single,
            blood_type: BloodType::O,
            birth: BirthDate::parse("20/04/1990").expect("date"),
            nationality: Some("VN".into()),
            birth_registration: None,
            hometown: None,
            permanent: Some(addr.clone()),
            current: Some(addr),
            father: None,
            mother: None,
            spouse: None,
            representative: None,
            head_of_household: None,
            household_book: None,
        }
    }

    #[test]
    fn only_declared_fields_are_kept_and_sensitive_ones_withheld() {
        let catalog = Catalog::embedded().expect("catalogue");
        let legacy = catalog.legacy_communes()[0].code.clone();
        let current = catalog
            .current_commune(&legacy)
            .expect("mapped")
            .code
            .clone();
        for p in catalog.procedures() {
            let e = minimise(&record(&legacy), p, &catalog, Sensitive::Withhold);
            let declared: Vec<String> = p.csdlqg_fields.iter().map(|f| field_name(*f)).collect();
            assert!(
                e.fields.keys().all(|k| declared.contains(k)),
                "{} keeps undeclared fields",
                p.code
            );
            assert!(!e.fields.contains_key("ethnicity") && !e.fields.contains_key("religion"));
            for f in p.csdlqg_fields.iter().filter(|f| f.is_sensitive()) {
                assert!(e.withheld.contains(&field_name(*f)));
            }
            assert_eq!(
                e.residence_commune.as_deref(),
                Some(current.as_str()),
                "legacy unit mapped"
            );
            if let Some(addr) = e.fields.get("permanent_address") {
                assert_eq!(addr["commune_code"], current.as_str());
            }
            // Kept when asked for, with the code mapped to its name; never when not declared.
            let kept = minimise(&record(&legacy), p, &catalog, Sensitive::Keep);
            let needs = p.csdlqg_fields.contains(&CitizenField::Ethnicity);
            assert_eq!(kept.fields.contains_key("ethnicity"), needs, "{}", p.code);
            if needs {
                assert_eq!(kept.fields["ethnicity"]["name"], "Kinh");
            }
            assert!(kept.withheld.is_empty());
        }
    }
}
