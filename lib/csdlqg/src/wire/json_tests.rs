//! Unit tests of the gateway JSON form.

use chrono::NaiveDate;
use dossierflow_domain::{BirthDate, BloodType, CitizenName, Gender, MaritalStatus, NationalId};

use crate::{Address, Relative};

use super::*;

const CALLER: Caller<'static> = Caller {
    integration: "037",
    agency: "000.00.92.H55",
    officer: "canbo01",
};

fn request(id: &str, birth: &str) -> LookupRequest {
    LookupRequest {
        request_id: "req-1".into(),
        procedure_code: "1.001234".into(),
        id: NationalId::parse(id).unwrap(),
        name: CitizenName::parse("Trần Thị Bích").unwrap(),
        birth: BirthDate::parse(birth).unwrap(),
        context: Default::default(),
    }
}

fn record() -> CitizenRecord {
    CitizenRecord {
        id: Some("001190123456".into()),
        old_id: Some("012345678".into()),
        full_name: "Trần Thị Ngọc Bích".into(),
        gender: Gender::Female,
        ethnicity: Some("01".into()),
        religion: Some("00".into()),
        marital_status: MaritalStatus::Married,
        blood_type: BloodType::O,
        birth: BirthDate::Full(NaiveDate::from_ymd_opt(1990, 4, 20).unwrap()),
        nationality: Some("VN".into()),
        birth_registration: Some(Address {
            province: Some("01".into()),
            country: Some("VN".into()),
            ..Address::default()
        }),
        hometown: None,
        permanent: Some(Address {
            province: Some("25".into()),
            district: None,
            commune: Some("07894".into()),
            detail: Some("Số 5 đường Hùng Vương".into()),
            country: Some("VN".into()),
        }),
        current: None,
        father: Some(Relative {
            relation: Some("Cha".into()),
            id: Some("001062123450".into()),
            old_id: Some("011111111".into()),
            full_name: Some("Trần Văn Hùng".into()),
        }),
        mother: Some(Relative {
            relation: Some("Mẹ".into()),
            id: Some("001165123451".into()),
            old_id: None,
            full_name: Some("Lê Thị Hoa".into()),
        }),
        spouse: None,
        representative: Some(Relative {
            relation: Some("Cha".into()),
            full_name: Some("Trần Văn Hùng".into()),
            ..Relative::default()
        }),
        head_of_household: Some(Relative {
            relation: Some("Chủ hộ".into()),
            id: Some("001190123456".into()),
            old_id: None,
            full_name: Some("Trần Thị Ngọc Bích".into()),
        }),
        household_book: Some("010123456".into()),
    }
}

#[test]
fn request_uses_camel_case_and_id_kind_picks_the_field() {
    let body = serde_json::to_value(build(&request("001190123456", "20/04/1990"), CALLER)).unwrap();
    assert_eq!(body["maYeuCau"], "req-1");
    assert_eq!(body["maDVC"], "1.001234");
    assert_eq!(body["maTichHop"], "037");
    assert_eq!(body["soDinhDanh"], "001190123456");
    assert!(body.get("soCMND").is_none());
    assert_eq!(
        body["ngayThangNamSinh"],
        serde_json::json!({"ngayThangNam": "19900420"})
    );
    let old = serde_json::to_value(build(&request("123456789", "1990"), CALLER)).unwrap();
    assert_eq!(old["soCMND"], "123456789");
    assert!(old.get("soDinhDanh").is_none());
    assert_eq!(old["ngayThangNamSinh"], serde_json::json!({"nam": "1990"}));
    let back: JsonRequest = serde_json::from_value(old).unwrap();
    assert_eq!(validate(&back), Ok("123456789"));
}

#[test]
fn validate_rejects_bad_shapes() {
    let good = build(&request("001190123456", "20/04/1990"), CALLER);
    let mut r = good.clone();
    r.so_dinh_danh = Some("12345".into());
    assert_eq!(validate(&r), Err(WireError::Invalid("soDinhDanh")));
    r.so_dinh_danh = None;
    assert_eq!(validate(&r), Err(WireError::Missing("soDinhDanh")));
    let mut r = good.clone();
    r.ngay_thang_nam_sinh = JsonDate::default();
    assert_eq!(validate(&r), Err(WireError::Missing("ngayThangNamSinh")));
    let mut r = good;
    r.ma_yeu_cau = "x".repeat(41);
    assert_eq!(validate(&r), Err(WireError::Invalid("maYeuCau")));
}

#[test]
fn citizens_round_trip_and_empty_is_not_found() {
    let value = write_citizens(&[record()]);
    assert_eq!(
        value["congDan"][0]["hoVaTen"],
        serde_json::json!({"ho": "Trần", "chuDem": "Thị Ngọc", "ten": "Bích"})
    );
    assert_eq!(value["congDan"][0]["thuongTru"]["maPhuongXa"], "07894");
    assert_eq!(
        value["congDan"][0]["me"],
        serde_json::json!({"quanHe": "Mẹ", "soDinhDanh": "001165123451",
            "hoVaTen": {"ho": "Lê", "chuDem": "Thị", "ten": "Hoa"}})
    );
    assert_eq!(value["congDan"][0]["cha"]["soCMND"], "011111111");
    assert_eq!(value["congDan"][0]["nguoiDaiDien"]["quanHe"], "Cha");
    assert_eq!(value["congDan"][0]["chuHo"]["quanHe"], "Chủ hộ");
    assert_eq!(value["congDan"][0]["soSoHoKhau"], "010123456");
    assert!(value["congDan"][0].get("voChong").is_none());
    let body = value.to_string();
    assert!(!body.contains("null"), "absent fields are omitted: {body}");
    match parse(&body).unwrap() {
        Reply::Citizens(c) => assert!(c == vec![record()]),
        Reply::Fault(f) => panic!("{f:?}"),
    }
    let empty = write_citizens(&[]).to_string();
    assert!(matches!(parse(&empty), Ok(Reply::Citizens(c)) if c.is_empty()));
}

#[test]
fn numeric_codes_and_plain_names_are_accepted() {
    let body = r#"{"congDan":[{"soDinhDanh":"001190123456","hoVaTen":"  Lê  Văn Tám ",
        "gioiTinh":1,"nhomMau":"01","tinhTrangHonNhan":2,
        "ngayThangNamSinh":{"nam":1990},"thuongTru":{"maTinhThanh":1,"maPhuongXa":"00004"},
        "cha":{"hoVaTen":"Lê Văn Một"},"me":{},"voChong":{"quanHe":2,"soCMND":"012345678",
        "hoVaTen":{"ho":"Đỗ","ten":"Mai"}},"soSoHoKhau":123}]}"#;
    let Ok(Reply::Citizens(c)) = parse(body) else {
        panic!("not parsed")
    };
    assert_eq!(c[0].full_name, "Lê Văn Tám");
    assert_eq!(c[0].gender, Gender::Male);
    assert_eq!(c[0].marital_status, MaritalStatus::Married);
    assert_eq!(c[0].birth, BirthDate::YearOnly(1990));
    let permanent = c[0].permanent.clone().unwrap();
    assert_eq!(permanent.province.as_deref(), Some("1"));
    let father = c[0].father.clone().unwrap();
    assert_eq!(
        father.full_name.as_deref(),
        Some("Lê Văn Một"),
        "plain name"
    );
    assert_eq!((father.relation, father.id), (None, None));
    assert_eq!(c[0].mother, None, "an empty relative is no relative");
    let spouse = c[0].spouse.clone().unwrap();
    assert_eq!(spouse.relation.as_deref(), Some("2"), "numeric code");
    assert_eq!(spouse.old_id.as_deref(), Some("012345678"));
    assert_eq!(spouse.full_name.as_deref(), Some("Đỗ Mai"), "nested name");
    assert_eq!(c[0].household_book.as_deref(), Some("123"));
}

#[test]
fn error_bodies_become_faults_and_garbage_is_an_error() {
    let f = |body: &str| match parse(body) {
        Ok(Reply::Fault(f)) => f.vendor_code,
        _ => None,
    };
    assert_eq!(
        f(r#"{"maLoi":"004","moTa":"không được phép"}"#).as_deref(),
        Some("004")
    );
    assert_eq!(f(r#"{"maLoi":"005","congDan":[]}"#).as_deref(), Some("005"));
    assert_eq!(f(r#"{"maLoi":"999"}"#).as_deref(), Some("999"));
    assert!(matches!(
        parse(r#"{"maLoi":"00","congDan":[]}"#),
        Ok(Reply::Citizens(_))
    ));
    assert_eq!(parse("{}").err(), Some(WireError::Missing("congDan")));
    let garbage = r#"{"congDan":[{"soDinhDanh":001190123456}]}"#;
    let err = parse(garbage).err().unwrap();
    assert_eq!(err, WireError::Json);
    assert!(!err.to_string().contains("001190123456"));
    assert_eq!(
        parse(r#"{"congDan":[{"soDinhDanh":"1"}]}"#).err(),
        Some(WireError::Missing("hoVaTen"))
    );
}
