//! Tests for the catalogue: the embedded sample and the validation rules.

use super::*;
use crate::calendar::WorkingCalendar;

const P: &str = include_str!("../../catalog/procedures.json");
const A: &str = include_str!("../../catalog/agencies.json");
const U: &str = include_str!("../../catalog/units.json");
const L: &str = include_str!("../../catalog/legacy_map.json");

fn catalog() -> Catalog {
    Catalog::embedded().unwrap()
}

fn code(s: &str) -> ProcedureCode {
    ProcedureCode::parse(s).unwrap()
}

#[test]
fn embedded_sample_has_the_promised_shape() {
    let c = catalog();
    assert!(c.procedures().len() >= 20);
    assert!(c.current_communes().len() >= 12);
    let province_levels = c
        .procedures()
        .iter()
        .filter(|p| p.level == Level::Province)
        .count();
    assert!(province_levels >= 4);
    for name in [
        "Đăng ký lại phương tiện trong trường hợp phương tiện thay đổi tên, tính năng kỹ thuật",
        "Công bố hoạt động cảng thủy nội địa",
        "Điều chỉnh giấy chứng nhận đủ điều kiện xét nghiệm khẳng định các trường hợp HIV dương tính thuộc thẩm quyền của Sở Y tế",
        "Sang tên chủ sở hữu xe máy chuyên dùng trong cùng một tỉnh, thành phố",
        "Đăng ký khai sinh",
    ] {
        assert!(
            c.procedures().iter().any(|p| p.name == name),
            "missing {name}"
        );
    }
    let birth = c
        .procedures()
        .iter()
        .find(|p| p.name == "Đăng ký khai sinh")
        .unwrap();
    assert!(birth.csdlqg_fields.contains(&CitizenField::Ethnicity));
    assert!(birth.csdlqg_fields.contains(&CitizenField::Nationality));
    let sensitive = c
        .procedures()
        .iter()
        .filter(|p| p.csdlqg_fields.iter().any(|f| f.is_sensitive()))
        .count();
    assert!(
        sensitive * 3 < c.procedures().len(),
        "sensitive fields must be the exception"
    );
}

#[test]
fn lookups() {
    let c = catalog();
    let hiv = c.procedure(&code("1.004227")).unwrap();
    assert_eq!(hiv.processing, ProcessingTime::WorkingDays(15));
    assert_eq!(c.agency(&hiv.agencies[0]).unwrap().name, "Sở Y tế");
    assert!(c.procedure(&code("9.999999")).is_none());
    assert_eq!(c.unit("25").unwrap().scheme, UnitScheme::Current34);
    assert_eq!(
        c.unit_in(UnitScheme::Legacy63, "26").unwrap().name,
        "Tỉnh Vĩnh Phúc"
    );
    assert!(c.unit("26").is_some(), "falls back to legacy");
    assert!(c.unit("99").is_none());
}

#[test]
fn legacy_communes_route_to_current_ones() {
    let c = catalog();
    // Phường Gia Cẩm (legacy Việt Trì) merged into Phường Việt Trì.
    let gia_cam = c
        .legacy_communes()
        .into_iter()
        .find(|u| u.name == "Phường Gia Cẩm")
        .unwrap();
    let current = c.current_commune(&gia_cam.code).unwrap();
    assert_eq!(current.name, "Phường Việt Trì");
    assert_eq!(current.scheme, UnitScheme::Current34);
    // A current code maps to itself even when a legacy commune shares it.
    assert_eq!(c.current_commune("07894").unwrap().code, "07894");
    assert!(
        c.current_commune("227").is_none(),
        "a district is not a commune"
    );
    assert!(c.current_commune("25").is_none());
    assert!(c.current_commune("00000").is_none());
    for legacy in c.legacy_communes() {
        let current = c.current_commune(&legacy.code).unwrap();
        let agency = c.commune_agency(&current.code).unwrap();
        assert_eq!(agency.level, Level::Commune);
        assert_eq!(agency.unit_code, current.code);
    }
    // Several legacy communes merged into each current one.
    for current in c.current_communes() {
        let merged = c
            .legacy_communes()
            .into_iter()
            .filter(|l| c.current_commune(&l.code) == Some(current))
            .count();
        assert!(merged >= 3, "{} merged only {merged}", current.name);
    }
}

#[test]
fn procedures_serde_shape() {
    let c = catalog();
    let p = c
        .procedures()
        .iter()
        .find(|p| matches!(p.processing, ProcessingTime::WorkingHours(_)))
        .unwrap();
    let json = serde_json::to_value(p).unwrap();
    assert!(json["processing"]["working_hours"].is_u64());
    assert_eq!(
        serde_json::to_string(&ProcessingTime::WorkingDays(15)).unwrap(),
        r#"{"working_days":15}"#
    );
    assert_eq!(
        serde_json::to_string(&UnitScheme::Legacy63).unwrap(),
        r#""legacy_63""#
    );
    assert_eq!(
        serde_json::to_string(&Channel::PartlyOnline).unwrap(),
        r#""partly_online""#
    );
}

#[test]
fn every_procedure_gets_a_due_date() {
    let c = catalog();
    let cal = WorkingCalendar::vietnam().unwrap();
    let received = chrono::NaiveDate::from_ymd_opt(2025, 7, 1)
        .unwrap()
        .and_hms_opt(9, 0, 0)
        .unwrap();
    for p in c.procedures() {
        assert!(
            cal.due_date(received, p.processing) > received,
            "{}",
            p.code
        );
    }
}

fn expect_invalid(result: Result<Catalog, CatalogError>, file: &str, needle: &str) {
    match result {
        Err(err @ CatalogError::Invalid { .. }) => {
            let msg = err.to_string();
            assert!(msg.contains(file) && msg.contains(needle), "{msg}");
        }
        other => panic!("expected invalid {file}/{needle}, got {other:?}"),
    }
}

#[test]
fn validation_names_file_and_entry() {
    let dup = P.replacen("\"1.004036\"", "\"1.003658\"", 1);
    expect_invalid(
        Catalog::from_json(&dup, A, U, L),
        "procedures.json",
        "1.003658",
    );
    let unknown_agency = P.replacen("\"000.00.20.H43\"", "\"000.00.99.H43\"", 1);
    expect_invalid(
        Catalog::from_json(&unknown_agency, A, U, L),
        "procedures.json",
        "000.00.99.H43",
    );
    let bad_unit = U.replacen("\"code\": \"07900\"", "\"code\": \"7900\"", 1);
    expect_invalid(Catalog::from_json(P, A, &bad_unit, L), "units.json", "7900");
    let bad_link = L.replacen("\"current\": \"07894\"", "\"current\": \"227\"", 1);
    expect_invalid(
        Catalog::from_json(P, A, U, &bad_link),
        "legacy_map.json",
        "227",
    );
    let bad_agency_unit = A.replacen("\"unit_code\": \"07894\"", "\"unit_code\": \"07895\"", 1);
    expect_invalid(
        Catalog::from_json(P, &bad_agency_unit, U, L),
        "agencies.json",
        "07895",
    );
    let bad_field = P.replacen("\"full_name\"", "\"shoe_size\"", 1);
    expect_invalid(
        Catalog::from_json(&bad_field, A, U, L),
        "procedures.json",
        "1.003658",
    );
    assert!(matches!(
        Catalog::from_json("{", A, U, L),
        Err(CatalogError::Json {
            file: "procedures.json",
            ..
        })
    ));
}

#[test]
fn bare_arrays_are_accepted() {
    let c = Catalog::from_json("[]", "[]", r#"[{"code":"25","name":"Tỉnh Phú Thọ","level":"province","scheme":"current_34","parent":null}]"#, "[]").unwrap();
    assert!(c.procedures().is_empty());
    assert_eq!(c.unit("25").unwrap().level, UnitLevel::Province);
}
