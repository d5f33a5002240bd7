//! The legacy 63-province codes (Circular 07/2016/TT-BCA) that prefix every CCCD number.
//!
//! These are *legacy* codes: the 1 July 2025 merger (63 → 34 provinces) did not change CCCD
//! numbers, so the prefix still names the province of birth registration before the merger.

/// `(code, name)` of the 63 pre-2025 provinces; codes are non-contiguous between 001 and 096.
pub const LEGACY_PROVINCES: [(u16, &str); 63] = [
    (1, "Hà Nội"),
    (2, "Hà Giang"),
    (4, "Cao Bằng"),
    (6, "Bắc Kạn"),
    (8, "Tuyên Quang"),
    (10, "Lào Cai"),
    (11, "Điện Biên"),
    (12, "Lai Châu"),
    (14, "Sơn La"),
    (15, "Yên Bái"),
    (17, "Hòa Bình"),
    (19, "Thái Nguyên"),
    (20, "Lạng Sơn"),
    (22, "Quảng Ninh"),
    (24, "Bắc Giang"),
    (25, "Phú Thọ"),
    (26, "Vĩnh Phúc"),
    (27, "Bắc Ninh"),
    (30, "Hải Dương"),
    (31, "Hải Phòng"),
    (33, "Hưng Yên"),
    (34, "Thái Bình"),
    (35, "Hà Nam"),
    (36, "Nam Định"),
    (37, "Ninh Bình"),
    (38, "Thanh Hóa"),
    (40, "Nghệ An"),
    (42, "Hà Tĩnh"),
    (44, "Quảng Bình"),
    (45, "Quảng Trị"),
    (46, "Thừa Thiên Huế"),
    (48, "Đà Nẵng"),
    (49, "Quảng Nam"),
    (51, "Quảng Ngãi"),
    (52, "Bình Định"),
    (54, "Phú Yên"),
    (56, "Khánh Hòa"),
    (58, "Ninh Thuận"),
    (60, "Bình Thuận"),
    (62, "Kon Tum"),
    (64, "Gia Lai"),
    (66, "Đắk Lắk"),
    (67, "Đắk Nông"),
    (68, "Lâm Đồng"),
    (70, "Bình Phước"),
    (72, "Tây Ninh"),
    (74, "Bình Dương"),
    (75, "Đồng Nai"),
    (77, "Bà Rịa - Vũng Tàu"),
    (79, "Hồ Chí Minh"),
    (80, "Long An"),
    (82, "Tiền Giang"),
    (83, "Bến Tre"),
    (84, "Trà Vinh"),
    (86, "Vĩnh Long"),
    (87, "Đồng Tháp"),
    (89, "An Giang"),
    (91, "Kiên Giang"),
    (92, "Cần Thơ"),
    (93, "Hậu Giang"),
    (94, "Sóc Trăng"),
    (95, "Bạc Liêu"),
    (96, "Cà Mau"),
];

/// The name of a legacy province code (e.g. `25` → `"Phú Thọ"`), or `None` if no such province.
pub fn legacy_province_name(code: u16) -> Option<&'static str> {
    LEGACY_PROVINCES
        .iter()
        .find(|(c, _)| *c == code)
        .map(|(_, name)| *name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_is_sorted_unique_and_in_range() {
        for pair in LEGACY_PROVINCES.windows(2) {
            assert!(pair[0].0 < pair[1].0, "{:?} before {:?}", pair[0], pair[1]);
        }
        assert_eq!(LEGACY_PROVINCES[0].0, 1);
        assert_eq!(LEGACY_PROVINCES[62].0, 96);
    }

    #[test]
    fn known_and_gap_codes() {
        assert_eq!(legacy_province_name(25), Some("Phú Thọ"));
        assert_eq!(legacy_province_name(17), Some("Hòa Bình"));
        assert_eq!(legacy_province_name(79), Some("Hồ Chí Minh"));
        for gap in [0, 3, 5, 7, 9, 13, 97, 999] {
            assert_eq!(legacy_province_name(gap), None, "{gap}");
        }
    }
}
