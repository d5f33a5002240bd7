//! Static data the synthetic population is drawn from: names, provinces, communes.
//!
//! Weights are rough national frequencies (Nguyễn ≈ 38 %), enough to make the
//! data look real in demos; nothing relies on the exact figures.

use crate::Address;

/// Family names with relative weights.
pub const FAMILY: [(&str, u32); 16] = [
    ("Nguyễn", 380),
    ("Trần", 110),
    ("Lê", 95),
    ("Phạm", 70),
    ("Hoàng", 50),
    ("Huỳnh", 40),
    ("Phan", 45),
    ("Vũ", 39),
    ("Võ", 30),
    ("Đặng", 21),
    ("Bùi", 20),
    ("Đỗ", 14),
    ("Hồ", 13),
    ("Ngô", 13),
    ("Dương", 10),
    ("Lý", 5),
];

/// Middle names usual for men.
pub const MIDDLE_MALE: [&str; 10] = [
    "Văn", "Đức", "Minh", "Quốc", "Hữu", "Thành", "Công", "Xuân", "Gia", "Anh",
];

/// Middle names usual for women.
pub const MIDDLE_FEMALE: [&str; 10] = [
    "Thị", "Ngọc", "Thu", "Thanh", "Minh", "Kim", "Mai", "Phương", "Bảo", "Hồng",
];

/// Given names usual for men.
pub const GIVEN_MALE: [&str; 20] = [
    "An", "Bảo", "Cường", "Dũng", "Đạt", "Hải", "Hùng", "Khoa", "Long", "Nam", "Phong", "Quân",
    "Sơn", "Thắng", "Tuấn", "Việt", "Hoàng", "Trung", "Huy", "Đức",
];

/// Given names usual for women.
pub const GIVEN_FEMALE: [&str; 20] = [
    "Anh", "Bích", "Chi", "Dung", "Hà", "Hạnh", "Hương", "Lan", "Linh", "Mai", "Ngân", "Nhung",
    "Oanh", "Phương", "Quyên", "Thảo", "Trang", "Vy", "Yến", "Hằng",
];

/// Legacy 63-province codes as (CCCD prefix, province code): Hà Nội, Hòa Bình,
/// Phú Thọ, Vĩnh Phúc, Hải Phòng, Thanh Hóa, Nghệ An, Đà Nẵng, TP HCM, Cần Thơ.
pub const PROVINCES: [(&str, &str); 10] = [
    ("001", "01"),
    ("017", "17"),
    ("025", "25"),
    ("026", "26"),
    ("031", "31"),
    ("038", "38"),
    ("040", "40"),
    ("048", "48"),
    ("079", "79"),
    ("092", "92"),
];

/// Ethnicity catalogue codes (01 Kinh first, by far the most common).
pub const ETHNICITIES: [&str; 6] = ["01", "02", "03", "04", "05", "06"];

/// Religion catalogue codes (00 none).
pub const RELIGIONS: [&str; 3] = ["00", "01", "02"];

/// Streets and hamlets for the free-text part of an address.
pub const STREETS: [&str; 8] = [
    "đường Hùng Vương",
    "đường Lê Lợi",
    "phố Hàng Bông",
    "đường Trần Phú",
    "đường Nguyễn Trãi",
    "thôn Đông",
    "khu phố 3",
    "ấp Bình Minh",
];

/// A small built-in commune list used when the caller passes none.
pub fn builtin_communes() -> Vec<Address> {
    [
        ("01", "001", "00001"),
        ("01", "001", "00004"),
        ("25", "227", "07894"),
        ("26", "243", "08773"),
        ("48", "490", "20194"),
        ("79", "760", "26734"),
    ]
    .into_iter()
    .map(|(province, district, commune)| Address {
        province: Some(province.into()),
        district: Some(district.into()),
        commune: Some(commune.into()),
        detail: None,
        country: Some("VN".into()),
    })
    .collect()
}
