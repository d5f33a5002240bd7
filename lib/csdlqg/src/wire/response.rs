//! The `TraCuuThongTinCongDan` answer: `CongdanCollection` or a SOAP fault.

use chrono::NaiveDate;
use dossierflow_domain::{BirthDate, BloodType, Gender, MaritalStatus};

use super::parts::{address, full_name, relative, write_address, write_name, write_relatives};
use super::{WireError, all_digits, body_of, dom::Element, push_element, push_optional};
use crate::CitizenRecord;

/// Element names under which deployed gateways put a vendor error code.
const VENDOR_CODE_ELEMENTS: [&str; 5] = ["MaLoi", "ErrorCode", "errorCode", "MaKetQua", "Code"];
/// Vendor codes meaning "not authorised" (procedure not licensed, officer not permitted).
pub const NOT_AUTHORISED_CODES: [&str; 2] = ["004", "005"];

/// A SOAP fault or vendor error element, reduced to its codes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fault {
    /// SOAP `faultcode` without prefix (`Client`, `Server`), when present.
    pub fault_code: Option<String>,
    /// Vendor error code (`004`, `005`, …), when present.
    pub vendor_code: Option<String>,
}

/// What a response body says.
#[derive(Clone, PartialEq, Eq)]
pub enum Reply {
    /// The citizens found (empty = not found).
    Citizens(Vec<CitizenRecord>),
    /// The service refused or failed.
    Fault(Fault),
}

/// Writes a response carrying these citizens (the simulator's side).
pub fn write_citizens(records: &[CitizenRecord]) -> String {
    let mut out = String::with_capacity(512 + 1024 * records.len());
    super::envelope_open(&mut out);
    out.push_str(r#"<TraCuuThongTinCongDanResponse xmlns=""#);
    out.push_str(super::NAMESPACE);
    out.push_str(r#""><CongdanCollection>"#);
    for record in records {
        write_citizen(&mut out, record);
    }
    out.push_str("</CongdanCollection></TraCuuThongTinCongDanResponse>");
    super::envelope_close(&mut out);
    out
}

/// Writes a SOAP 1.1 fault; `vendor_code` goes to `detail/MaLoi`.
pub fn write_fault(fault_code: &str, message: &str, vendor_code: Option<&str>) -> String {
    let mut out = String::with_capacity(512);
    super::envelope_open(&mut out);
    out.push_str("<soap:Fault>");
    push_element(&mut out, "faultcode", &format!("soap:{fault_code}"));
    push_element(&mut out, "faultstring", message);
    if let Some(code) = vendor_code {
        out.push_str("<detail>");
        push_element(&mut out, "MaLoi", code);
        out.push_str("</detail>");
    }
    out.push_str("</soap:Fault>");
    super::envelope_close(&mut out);
    out
}

fn write_citizen(out: &mut String, r: &CitizenRecord) {
    out.push_str("<CongDan>");
    push_optional(out, "SoDinhDanh", r.id.as_deref());
    push_optional(out, "SoCMND", r.old_id.as_deref());
    write_name(out, &r.full_name);
    push_element(out, "GioiTinh", gender_code(r.gender));
    push_optional(out, "DanToc", r.ethnicity.as_deref());
    push_optional(out, "TonGiao", r.religion.as_deref());
    push_optional(out, "TinhTrangHonNhan", marital_code(r.marital_status));
    push_element(out, "NhomMau", blood_code(r.blood_type));
    out.push_str("<NgayThangNamSinh>");
    push_element(out, "Nam", &format!("{:04}", r.birth.year()));
    if let BirthDate::Full(date) = &r.birth {
        push_element(out, "NgayThangNam", &date.format("%Y%m%d").to_string());
    }
    out.push_str("</NgayThangNamSinh>");
    push_optional(out, "QuocTich", r.nationality.as_deref());
    for (name, address) in [
        ("NoiDangKyKhaiSinh", &r.birth_registration),
        ("QueQuan", &r.hometown),
        ("ThuongTru", &r.permanent),
        ("NoiOHienTai", &r.current),
    ] {
        if let Some(a) = address {
            write_address(out, name, a);
        }
    }
    write_relatives(out, r);
    out.push_str("</CongDan>");
}

pub(super) fn gender_code(g: Gender) -> &'static str {
    match g {
        Gender::Male => "1",
        Gender::Female => "2",
        Gender::Unknown => "0",
    }
}

pub(super) fn marital_code(m: MaritalStatus) -> Option<&'static str> {
    match m {
        MaritalStatus::Single => Some("1"),
        MaritalStatus::Married => Some("2"),
        MaritalStatus::DivorcedOrWidowed => Some("3"),
        MaritalStatus::Unknown => None,
    }
}

pub(super) fn blood_code(b: BloodType) -> &'static str {
    match b {
        BloodType::Unknown => "00",
        BloodType::A => "01",
        BloodType::B => "02",
        BloodType::AB => "03",
        BloodType::O => "04",
    }
}

/// Reads a response body: citizens, or a fault / vendor error.
pub fn parse(xml: &str) -> Result<Reply, WireError> {
    let root = super::dom::parse(xml)?;
    let body = body_of(&root)?;
    if let Some(fault) = body.find("Fault") {
        return Ok(Reply::Fault(Fault {
            fault_code: fault
                .child_text("faultcode")
                .map(|c| c.rsplit(':').next().unwrap_or_default().to_owned()),
            vendor_code: vendor_code(fault)
                .or_else(|| code_prefix(fault.child_text("faultstring"))),
        }));
    }
    let vendor = vendor_code(body);
    if let Some(code) = vendor
        .as_deref()
        .filter(|c| NOT_AUTHORISED_CODES.contains(c))
    {
        return Ok(Reply::Fault(Fault {
            fault_code: None,
            vendor_code: Some(code.to_owned()),
        }));
    }
    match body.find("CongdanCollection") {
        Some(collection) => collection
            .children_named("CongDan")
            .map(parse_citizen)
            .collect::<Result<Vec<_>, _>>()
            .map(Reply::Citizens),
        None if vendor.is_some() => Ok(Reply::Fault(Fault {
            fault_code: None,
            vendor_code: vendor,
        })),
        None => Err(WireError::Missing("CongdanCollection")),
    }
}

/// First vendor error code anywhere under `scope`.
fn vendor_code(scope: &Element) -> Option<String> {
    VENDOR_CODE_ELEMENTS
        .iter()
        .find_map(|name| scope.find(name))
        .map(|e| e.text.trim().to_owned())
        .filter(|c| !c.is_empty())
}

/// `"004: …"` style fault strings: the leading three-digit code.
fn code_prefix(text: Option<String>) -> Option<String> {
    let text = text?;
    let code = text.get(..3)?;
    let rest = text.get(3..).unwrap_or_default();
    let delimited = rest.is_empty() || !rest.starts_with(|c: char| c.is_ascii_digit());
    (code.bytes().all(|b| b.is_ascii_digit()) && delimited).then(|| code.to_owned())
}

fn parse_citizen(c: &Element) -> Result<CitizenRecord, WireError> {
    Ok(CitizenRecord {
        id: c.child_text("SoDinhDanh"),
        old_id: c.child_text("SoCMND"),
        full_name: full_name(c.child("HoVaTen"))?,
        gender: Gender::from_csdlqg(&c.child_text("GioiTinh").unwrap_or_default()),
        ethnicity: c.child_text("DanToc"),
        religion: c.child_text("TonGiao"),
        marital_status: MaritalStatus::from_csdlqg(
            &c.child_text("TinhTrangHonNhan").unwrap_or_default(),
        ),
        blood_type: BloodType::from_csdlqg(&c.child_text("NhomMau").unwrap_or_default()),
        birth: birth(
            c.child("NgayThangNamSinh")
                .ok_or(WireError::Missing("NgayThangNamSinh"))?,
        )?,
        nationality: c.child_text("QuocTich"),
        birth_registration: address(c.child("NoiDangKyKhaiSinh")),
        hometown: address(c.child("QueQuan")),
        permanent: address(c.child("ThuongTru")),
        current: address(c.child("NoiOHienTai")),
        father: relative(c.child("Cha")),
        mother: relative(c.child("Me")),
        spouse: relative(c.child("VoChong")),
        representative: relative(c.child("NguoiDaiDien")),
        head_of_household: relative(c.child("ChuHo")),
        household_book: c.child_text("SoSoHoKhau"),
    })
}

fn birth(e: &Element) -> Result<BirthDate, WireError> {
    birth_from(e.child_text("NgayThangNam"), e.child_text("Nam"))
}

/// A birth date from `NgayThangNam` (`yyyyMMdd`) and/or `Nam` (`yyyy`).
pub(super) fn birth_from(
    full: Option<String>,
    year: Option<String>,
) -> Result<BirthDate, WireError> {
    // Only `yyyyMMdd` in ASCII digits: chrono alone also reads signed, spaced or
    // short years, which the writer could not give back in the same form.
    if let Some(full) = full.as_deref().filter(|f| all_digits(f, 8)) {
        // Some records carry `yyyy0000` when only the year is known.
        if let Ok(date) = NaiveDate::parse_from_str(full, "%Y%m%d") {
            return Ok(BirthDate::Full(date));
        }
    }
    let year = match (year, full) {
        (Some(year), _) => year,
        (None, Some(full)) if all_digits(&full, 8) => full[..4].to_owned(),
        (None, Some(_)) => return Err(WireError::Invalid("NgayThangNam")),
        (None, None) => return Err(WireError::Missing("NgayThangNamSinh")),
    };
    if !all_digits(&year, 4) {
        return Err(WireError::Invalid("Nam"));
    }
    year.parse()
        .map(BirthDate::YearOnly)
        .map_err(|_| WireError::Invalid("Nam"))
}

#[cfg(test)]
#[path = "response_tests.rs"]
mod tests;
