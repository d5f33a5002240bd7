//! One `congDan` entry of the gateway JSON answer, and its conversion to and
//! from [`CitizenRecord`], relatives included. Errors name fields, never values.

use dossierflow_domain::{BloodType, CsdlqgDate, Gender, MaritalStatus};
use serde::{Deserialize, Serialize};

use super::WireError;
use super::json::{Code, JsonDate};
use super::parts::split_name;
use super::response::{birth_from, blood_code, gender_code, marital_code};
use crate::{Address, CitizenRecord, Relative};

/// An address: unit codes and a free-text detail.
#[derive(Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct JsonAddress {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    ma_tinh_thanh: Option<Code>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    ma_quan_huyen: Option<Code>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    ma_phuong_xa: Option<Code>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    chi_tiet: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    quoc_gia: Option<String>,
}

/// `hoVaTen`: `{ho, chuDem, ten}` or a plain string.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum JsonName {
    /// Split into parts, as the SOAP form.
    Parts {
        /// Family name.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        ho: Option<String>,
        /// Middle name(s).
        #[serde(rename = "chuDem", default, skip_serializing_if = "Option::is_none")]
        chu_dem: Option<String>,
        /// Given name.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        ten: Option<String>,
    },
    /// The whole name.
    Text(String),
}

/// A relative or household member: `{quanHe, soDinhDanh, soCMND, hoVaTen}`.
#[derive(Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct JsonRelative {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    quan_he: Option<Code>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    so_dinh_danh: Option<String>,
    #[serde(rename = "soCMND", default, skip_serializing_if = "Option::is_none")]
    so_cmnd: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    ho_va_ten: Option<JsonName>,
}

/// One `congDan` entry. Fields this crate does not model are ignored.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct JsonCitizen {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    so_dinh_danh: Option<String>,
    #[serde(rename = "soCMND", default, skip_serializing_if = "Option::is_none")]
    so_cmnd: Option<String>,
    ho_va_ten: Option<JsonName>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    gioi_tinh: Option<Code>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    dan_toc: Option<Code>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    ton_giao: Option<Code>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    tinh_trang_hon_nhan: Option<Code>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    nhom_mau: Option<Code>,
    ngay_thang_nam_sinh: Option<JsonDate>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    quoc_tich: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    noi_dang_ky_khai_sinh: Option<JsonAddress>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    que_quan: Option<JsonAddress>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    thuong_tru: Option<JsonAddress>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    noi_o_hien_tai: Option<JsonAddress>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    cha: Option<JsonRelative>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    me: Option<JsonRelative>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    vo_chong: Option<JsonRelative>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    nguoi_dai_dien: Option<JsonRelative>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    chu_ho: Option<JsonRelative>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    so_so_ho_khau: Option<Code>,
}

fn text(code: Option<Code>) -> Option<String> {
    code.map(Code::into_string).filter(|c| !c.trim().is_empty())
}

/// A name's parts joined, spaces collapsed; `None` when blank.
fn name_of(name: JsonName) -> Option<String> {
    let name = match name {
        JsonName::Text(t) => t,
        JsonName::Parts { ho, chu_dem, ten } => [ho, chu_dem, ten]
            .into_iter()
            .flatten()
            .collect::<Vec<_>>()
            .join(" "),
    };
    let name = name.split_whitespace().collect::<Vec<_>>().join(" ");
    (!name.is_empty()).then_some(name)
}

fn parts_of(full_name: &str) -> JsonName {
    let (ho, chu_dem, ten) = split_name(full_name);
    JsonName::Parts {
        ho: ho.map(str::to_owned),
        chu_dem,
        ten: ten.map(str::to_owned),
    }
}

fn relative_of(r: JsonRelative) -> Option<Relative> {
    let r = Relative {
        relation: text(r.quan_he),
        id: r.so_dinh_danh.filter(|v| !v.trim().is_empty()),
        old_id: r.so_cmnd.filter(|v| !v.trim().is_empty()),
        full_name: r.ho_va_ten.and_then(name_of),
    };
    (!r.is_empty()).then_some(r)
}

fn json_relative(r: &Relative) -> JsonRelative {
    JsonRelative {
        quan_he: r.relation.clone().map(Code::Text),
        so_dinh_danh: r.id.clone(),
        so_cmnd: r.old_id.clone(),
        ho_va_ten: r.full_name.as_deref().map(parts_of),
    }
}

pub(super) fn record_of(c: JsonCitizen) -> Result<CitizenRecord, WireError> {
    let full_name = c
        .ho_va_ten
        .and_then(name_of)
        .ok_or(WireError::Missing("hoVaTen"))?;
    let dob = c
        .ngay_thang_nam_sinh
        .ok_or(WireError::Missing("ngayThangNamSinh"))?;
    let code = |c: Option<Code>| text(c).unwrap_or_default();
    Ok(CitizenRecord {
        id: c.so_dinh_danh,
        old_id: c.so_cmnd,
        full_name,
        gender: Gender::from_csdlqg(&code(c.gioi_tinh)),
        ethnicity: text(c.dan_toc),
        religion: text(c.ton_giao),
        marital_status: MaritalStatus::from_csdlqg(&code(c.tinh_trang_hon_nhan)),
        blood_type: BloodType::from_csdlqg(&code(c.nhom_mau)),
        birth: birth_from(dob.ngay_thang_nam, text(dob.nam))?,
        nationality: c.quoc_tich,
        birth_registration: c.noi_dang_ky_khai_sinh.and_then(address_of),
        hometown: c.que_quan.and_then(address_of),
        permanent: c.thuong_tru.and_then(address_of),
        current: c.noi_o_hien_tai.and_then(address_of),
        father: c.cha.and_then(relative_of),
        mother: c.me.and_then(relative_of),
        spouse: c.vo_chong.and_then(relative_of),
        representative: c.nguoi_dai_dien.and_then(relative_of),
        head_of_household: c.chu_ho.and_then(relative_of),
        household_book: text(c.so_so_ho_khau),
    })
}

fn address_of(a: JsonAddress) -> Option<Address> {
    let a = Address {
        province: text(a.ma_tinh_thanh),
        district: text(a.ma_quan_huyen),
        commune: text(a.ma_phuong_xa),
        detail: a.chi_tiet,
        country: a.quoc_gia,
    };
    (a != Address::default()).then_some(a)
}

pub(super) fn citizen_of(r: &CitizenRecord) -> JsonCitizen {
    let text = |s: &Option<String>| s.clone().map(Code::Text);
    let address = |a: &Option<Address>| {
        a.as_ref().map(|a| JsonAddress {
            ma_tinh_thanh: text(&a.province),
            ma_quan_huyen: text(&a.district),
            ma_phuong_xa: text(&a.commune),
            chi_tiet: a.detail.clone(),
            quoc_gia: a.country.clone(),
        })
    };
    let birth = match r.birth.to_csdlqg() {
        CsdlqgDate::Full(ymd) => JsonDate {
            nam: Some(Code::Text(format!("{:04}", r.birth.year()))),
            ngay_thang_nam: Some(ymd),
        },
        CsdlqgDate::Year(y) => JsonDate {
            nam: Some(Code::Text(y)),
            ngay_thang_nam: None,
        },
    };
    JsonCitizen {
        so_dinh_danh: r.id.clone(),
        so_cmnd: r.old_id.clone(),
        ho_va_ten: Some(parts_of(&r.full_name)),
        gioi_tinh: Some(Code::Text(gender_code(r.gender).to_owned())),
        dan_toc: text(&r.ethnicity),
        ton_giao: text(&r.religion),
        tinh_trang_hon_nhan: marital_code(r.marital_status).map(|c| Code::Text(c.to_owned())),
        nhom_mau: Some(Code::Text(blood_code(r.blood_type).to_owned())),
        ngay_thang_nam_sinh: Some(birth),
        quoc_tich: r.nationality.clone(),
        noi_dang_ky_khai_sinh: address(&r.birth_registration),
        que_quan: address(&r.hometown),
        thuong_tru: address(&r.permanent),
        noi_o_hien_tai: address(&r.current),
        cha: r.father.as_ref().map(json_relative),
        me: r.mother.as_ref().map(json_relative),
        vo_chong: r.spouse.as_ref().map(json_relative),
        nguoi_dai_dien: r.representative.as_ref().map(json_relative),
        chu_ho: r.head_of_household.as_ref().map(json_relative),
        so_so_ho_khau: text(&r.household_book),
    }
}
