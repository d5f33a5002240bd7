//! The nested parts of a SOAP `CongDan` element: names (`HoVaTen`), addresses
//! and relatives (`Cha`, `Me`, `VoChong`, `NguoiDaiDien`, `ChuHo`), written by
//! the simulator and read by the client. Nothing here logs or quotes values.

use super::{WireError, dom::Element, push_optional};
use crate::{Address, CitizenRecord, Relative};

/// `Ho`, `ChuDem`, `Ten` of a full name: first word, middle words, last word.
pub(super) fn split_name(full_name: &str) -> (Option<&str>, Option<String>, Option<&str>) {
    let words: Vec<&str> = full_name.split_whitespace().collect();
    match words.as_slice() {
        [family, middle @ .., given] => {
            let middle = (!middle.is_empty()).then(|| middle.join(" "));
            (Some(family), middle, Some(given))
        }
        [given] => (None, None, Some(given)),
        [] => (None, None, None),
    }
}

/// Appends `<HoVaTen><Ho/><ChuDem/><Ten/></HoVaTen>` for a full name.
pub(super) fn write_name(out: &mut String, full_name: &str) {
    let (family, middle, given) = split_name(full_name);
    out.push_str("<HoVaTen>");
    push_optional(out, "Ho", family);
    push_optional(out, "ChuDem", middle.as_deref());
    push_optional(out, "Ten", given);
    out.push_str("</HoVaTen>");
}

/// `Ho ChuDem Ten` of a `HoVaTen` element, skipping empty parts; a bare text
/// `HoVaTen` is taken as is. Spaces are collapsed; `None` when blank.
pub(super) fn name_of(e: &Element) -> Option<String> {
    let parts: Vec<String> = ["Ho", "ChuDem", "Ten"]
        .iter()
        .filter_map(|p| e.child_text(p))
        .collect();
    let joined = if parts.is_empty() {
        e.text.clone()
    } else {
        parts.join(" ")
    };
    let name = joined.split_whitespace().collect::<Vec<_>>().join(" ");
    (!name.is_empty()).then_some(name)
}

/// The citizen's own `HoVaTen`, which is required.
pub(super) fn full_name(e: Option<&Element>) -> Result<String, WireError> {
    e.and_then(name_of).ok_or(WireError::Missing("HoVaTen"))
}

/// Appends an address element named `name`.
pub(super) fn write_address(out: &mut String, name: &str, a: &Address) {
    open(out, name);
    push_optional(out, "MaTinhThanh", a.province.as_deref());
    push_optional(out, "MaQuanHuyen", a.district.as_deref());
    push_optional(out, "MaPhuongXa", a.commune.as_deref());
    push_optional(out, "ChiTiet", a.detail.as_deref());
    push_optional(out, "QuocGia", a.country.as_deref());
    close(out, name);
}

/// An address element; `None` when absent or empty.
pub(super) fn address(e: Option<&Element>) -> Option<Address> {
    let e = e?;
    let a = Address {
        province: e.child_text("MaTinhThanh"),
        district: e.child_text("MaQuanHuyen"),
        commune: e.child_text("MaPhuongXa"),
        detail: e.child_text("ChiTiet"),
        country: e.child_text("QuocGia"),
    };
    (a != Address::default()).then_some(a)
}

/// Appends the relatives present and `SoSoHoKhau`, in schema order.
pub(super) fn write_relatives(out: &mut String, r: &CitizenRecord) {
    for (name, relative) in [
        ("Cha", &r.father),
        ("Me", &r.mother),
        ("VoChong", &r.spouse),
        ("NguoiDaiDien", &r.representative),
        ("ChuHo", &r.head_of_household),
    ] {
        if let Some(relative) = relative {
            write_relative(out, name, relative);
        }
    }
    push_optional(out, "SoSoHoKhau", r.household_book.as_deref());
}

fn write_relative(out: &mut String, name: &str, r: &Relative) {
    open(out, name);
    push_optional(out, "QuanHe", r.relation.as_deref());
    push_optional(out, "SoDinhDanh", r.id.as_deref());
    push_optional(out, "SoCMND", r.old_id.as_deref());
    if let Some(full_name) = &r.full_name {
        write_name(out, full_name);
    }
    close(out, name);
}

/// A relative element; `None` when absent or empty.
pub(super) fn relative(e: Option<&Element>) -> Option<Relative> {
    let e = e?;
    let r = Relative {
        relation: e.child_text("QuanHe"),
        id: e.child_text("SoDinhDanh"),
        old_id: e.child_text("SoCMND"),
        full_name: e.child("HoVaTen").and_then(name_of),
    };
    (!r.is_empty()).then_some(r)
}

fn open(out: &mut String, name: &str) {
    out.push('<');
    out.push_str(name);
    out.push('>');
}

fn close(out: &mut String, name: &str) {
    out.push_str("</");
    out.push_str(name);
    out.push('>');
}
