//! Unit tests of the response writer and parser with hand-written sample XML.

use super::*;
use crate::{Address, Relative};

fn sample_record() -> CitizenRecord {
    CitizenRecord {
        id: Some("001090123456".into()),
        old_id: Some("012345678".into()),
        full_name: "Nguyễn Văn Thành Công".into(),
        gender: Gender::Male,
        ethnicity: Some("01".into()),
        religion: Some("00".into()),
        marital_status: MaritalStatus::Married,
        blood_type: BloodType::AB,
        birth: BirthDate::Full(NaiveDate::from_ymd_opt(1990, 4, 20).unwrap()),
        nationality: Some("VN".into()),
        birth_registration: Some(Address {
            province: Some("01".into()),
            ..Address::default()
        }),
        hometown: None,
        permanent: Some(Address {
            province: Some("01".into()),
            district: Some("001".into()),
            commune: Some("00001".into()),
            detail: Some("Số 5 & ngõ <7>".into()),
            country: Some("VN".into()),
        }),
        current: None,
        father: Some(Relative {
            relation: Some("Cha".into()),
            id: Some("001060123450".into()),
            old_id: Some("011111111".into()),
            full_name: Some("Nguyễn Văn Bình".into()),
        }),
        mother: Some(Relative {
            relation: Some("Mẹ".into()),
            id: Some("001165123451".into()),
            old_id: None,
            full_name: Some("Lê Thị Hoa".into()),
        }),
        spouse: Some(Relative {
            relation: Some("Vợ".into()),
            full_name: Some("Đỗ Mai".into()),
            ..Relative::default()
        }),
        representative: None,
        head_of_household: Some(Relative {
            relation: Some("Con".into()),
            id: Some("001060123450".into()),
            old_id: None,
            full_name: Some("Nguyễn Văn Bình".into()),
        }),
        household_book: Some("010123456".into()),
    }
}

fn citizens(xml: &str) -> Vec<CitizenRecord> {
    match parse(xml).unwrap() {
        Reply::Citizens(c) => c,
        Reply::Fault(f) => panic!("unexpected fault {f:?}"),
    }
}

fn fault(xml: &str) -> Fault {
    match parse(xml).unwrap() {
        Reply::Fault(f) => f,
        Reply::Citizens(_) => panic!("expected a fault"),
    }
}

#[test]
fn written_citizens_parse_back_identically() {
    let mut year_only = sample_record();
    year_only.birth = BirthDate::YearOnly(1955);
    year_only.full_name = "Lý Mai".into();
    year_only.marital_status = MaritalStatus::Unknown;
    let records = vec![sample_record(), year_only];
    let xml = write_citizens(&records);
    assert!(xml.contains("<Ho>Nguyễn</Ho><ChuDem>Văn Thành</ChuDem><Ten>Công</Ten>"));
    assert!(xml.contains("<NgayThangNamSinh><Nam>1955</Nam></NgayThangNamSinh>"));
    assert!(xml.contains(
        "<Me><QuanHe>Mẹ</QuanHe><SoDinhDanh>001165123451</SoDinhDanh>\
         <HoVaTen><Ho>Lê</Ho><ChuDem>Thị</ChuDem><Ten>Hoa</Ten></HoVaTen></Me>"
    ));
    assert!(xml.contains("<SoSoHoKhau>010123456</SoSoHoKhau></CongDan>"));
    assert!(citizens(&xml) == records, "round trip changed the records");
}

#[test]
fn empty_collection_means_not_found() {
    let xml = r#"<S:Envelope xmlns:S="http://schemas.xmlsoap.org/soap/envelope/"><S:Body>
        <ns2:TraCuuThongTinCongDanResponse xmlns:ns2="http://dancuquocgia.bca">
        <ns2:CongdanCollection/></ns2:TraCuuThongTinCongDanResponse></S:Body></S:Envelope>"#;
    assert!(citizens(xml).is_empty());
    assert!(citizens(&write_citizens(&[])).is_empty());
}

#[test]
fn vendor_sample_with_prefixes_and_partial_fields() {
    let xml = r#"<?xml version="1.0" encoding="UTF-8"?>
    <soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/">
      <soapenv:Body><dc:CongdanCollection xmlns:dc="http://dancuquocgia.bca">
        <dc:CongDan>
          <dc:SoDinhDanh>079301000123</dc:SoDinhDanh>
          <dc:HoVaTen><dc:Ho></dc:Ho><dc:ChuDem/><dc:Ten>Phạm Thị Hoa</dc:Ten></dc:HoVaTen>
          <dc:GioiTinh>2</dc:GioiTinh>
          <dc:TinhTrangHonNhan>3</dc:TinhTrangHonNhan>
          <dc:NhomMau>09</dc:NhomMau>
          <dc:NgayThangNamSinh><dc:Nam>2001</dc:Nam><dc:NgayThangNam>20010000</dc:NgayThangNam></dc:NgayThangNamSinh>
          <dc:ThuongTru><dc:MaTinhThanh>79</dc:MaTinhThanh><dc:MaPhuongXa>26734</dc:MaPhuongXa></dc:ThuongTru>
          <dc:QueQuan></dc:QueQuan>
          <dc:Me><dc:QuanHe>02</dc:QuanHe><dc:HoVaTen> Trần  Thị Lan </dc:HoVaTen></dc:Me>
          <dc:Cha></dc:Cha>
          <dc:ChuHo><dc:QuanHe>Chủ hộ</dc:QuanHe><dc:SoDinhDanh>079301000123</dc:SoDinhDanh>
            <dc:HoVaTen><dc:Ho>Phạm</dc:Ho><dc:Ten>Hoa</dc:Ten></dc:HoVaTen></dc:ChuHo>
          <dc:SoSoHoKhau> 790012345 </dc:SoSoHoKhau>
        </dc:CongDan>
      </dc:CongdanCollection></soapenv:Body></soapenv:Envelope>"#;
    let rec = &citizens(xml)[0];
    assert_eq!(rec.id.as_deref(), Some("079301000123"));
    assert_eq!(rec.old_id, None);
    assert_eq!(rec.full_name, "Phạm Thị Hoa");
    assert_eq!(rec.gender, Gender::Female);
    assert_eq!(rec.marital_status, MaritalStatus::DivorcedOrWidowed);
    assert_eq!(rec.blood_type, BloodType::Unknown);
    assert_eq!(rec.birth, BirthDate::YearOnly(2001));
    let permanent = rec.permanent.as_ref().unwrap();
    assert_eq!(permanent.province.as_deref(), Some("79"));
    assert_eq!(permanent.commune.as_deref(), Some("26734"));
    assert_eq!(permanent.district, None);
    assert!(
        rec.hometown.is_none(),
        "an empty address element is no address"
    );
    let mother = rec.mother.as_ref().unwrap();
    assert_eq!(mother.relation.as_deref(), Some("02"));
    assert_eq!(
        mother.full_name.as_deref(),
        Some("Trần Thị Lan"),
        "plain name"
    );
    assert_eq!(mother.id, None);
    assert_eq!(rec.father, None, "an empty relative element is no relative");
    assert_eq!(rec.spouse, None);
    let head = rec.head_of_household.as_ref().unwrap();
    assert_eq!(head.full_name.as_deref(), Some("Phạm Hoa"), "nested name");
    assert_eq!(head.id.as_deref(), Some("079301000123"));
    assert_eq!(rec.household_book.as_deref(), Some("790012345"));
}

#[test]
fn soap_fault_004_carries_vendor_code() {
    let xml = write_fault(
        "Client",
        "Thủ tục chưa được cấp quyền khai thác",
        Some("004"),
    );
    assert_eq!(
        fault(&xml),
        Fault {
            fault_code: Some("Client".into()),
            vendor_code: Some("004".into())
        }
    );
}

#[test]
fn vendor_code_in_fault_string_or_error_element() {
    let in_string = r#"<Envelope><Body><Fault><faultcode>Server</faultcode>
        <faultstring>005: Cán bộ không có quyền</faultstring></Fault></Body></Envelope>"#;
    assert_eq!(fault(in_string).vendor_code.as_deref(), Some("005"));
    let not_code = r#"<Envelope><Body><Fault><faultcode>Server</faultcode>
        <faultstring>0045 things</faultstring></Fault></Body></Envelope>"#;
    assert_eq!(fault(not_code).vendor_code, None);
    let element = r#"<Envelope><Body><TraCuuThongTinCongDanResponse>
        <MaLoi>004</MaLoi><MoTaLoi>x</MoTaLoi><CongdanCollection/>
        </TraCuuThongTinCongDanResponse></Body></Envelope>"#;
    assert_eq!(fault(element).vendor_code.as_deref(), Some("004"));
    let other = r#"<Envelope><Body><Loi><MaLoi>099</MaLoi></Loi></Body></Envelope>"#;
    assert_eq!(fault(other).vendor_code.as_deref(), Some("099"));
}

#[test]
fn malformed_responses_are_errors() {
    assert_eq!(
        parse("<Envelope><Body><Other/></Body></Envelope>").err(),
        Some(WireError::Missing("CongdanCollection"))
    );
    assert_eq!(
        parse("<html><body>Bad gateway</body></html>").err(),
        Some(WireError::Missing("Envelope"))
    );
    assert!(matches!(parse("<Envelope><Body>"), Err(WireError::Xml(_))));
    let no_birth = r#"<Envelope><Body><CongdanCollection><CongDan>
        <HoVaTen><Ten>An</Ten></HoVaTen></CongDan></CongdanCollection></Body></Envelope>"#;
    assert_eq!(
        parse(no_birth).err(),
        Some(WireError::Missing("NgayThangNamSinh"))
    );
}

#[test]
fn birth_dates_are_strict_digits() {
    let full = |d: &str| birth_from(Some(d.to_owned()), None);
    assert_eq!(
        full("20000101"),
        Ok(BirthDate::Full(
            NaiveDate::from_ymd_opt(2000, 1, 1).unwrap()
        ))
    );
    assert_eq!(full("19900000"), Ok(BirthDate::YearOnly(1990)), "yyyy0000");
    // chrono alone reads these as dates (a signed, spaced or short year), which the
    // writer cannot give back as `yyyyMMdd`: found by the csdlqg_json_response fuzzer.
    for odd in [
        "-1 1 1",
        "+1 1 1",
        "2000 1 1",
        " 20000101",
        "2000101",
        "+2000101",
    ] {
        assert_eq!(
            full(odd),
            Err(WireError::Invalid("NgayThangNam")),
            "{odd:?}"
        );
    }
    let with_year = birth_from(Some("-1 1 1".into()), Some("1990".into()));
    assert_eq!(
        with_year,
        Ok(BirthDate::YearOnly(1990)),
        "the year element wins"
    );
    for year in ["+999", "-001", " 199", "199"] {
        assert_eq!(
            birth_from(None, Some(year.to_owned())),
            Err(WireError::Invalid("Nam")),
            "{year:?}"
        );
    }
}
