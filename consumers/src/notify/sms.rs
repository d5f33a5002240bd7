//! SMS length rules: which encoding a text needs and how many segments it costs.
//!
//! GSM 03.38 7-bit text fits 160 septets in one SMS, or 153 per part of a concatenated
//! message (the user-data header takes the rest); characters of the extension table
//! (`€ [ ] { } \ ^ ~ |` and form feed) cost two septets (escape + character). Any other
//! character forces UCS-2: 70 UTF-16 code units in one SMS, 67 per part, where a character
//! outside the Basic Multilingual Plane (e.g. an emoji) costs two units. Vietnamese with
//! diacritics is therefore UCS-2 and costs more than twice as many segments per letter;
//! [`fold_to_gsm`] is the documented option for gateways that bill per segment.
//!
//! Pure: no I/O.

/// Encoding an SMS text needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SmsEncoding {
    /// GSM 03.38 7-bit default alphabet (with the extension table).
    Gsm7,
    /// UCS-2 / UTF-16.
    Ucs2,
}

/// The cost of a text as SMS.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SmsSegments {
    /// Encoding the text needs.
    pub encoding: SmsEncoding,
    /// Number of SMS segments (an empty text still costs one).
    pub segments: u32,
    /// Length in the encoding's units: septets for GSM-7, UTF-16 code units for UCS-2.
    pub chars: u32,
}

/// GSM 03.38 basic character set (without the escape code itself).
const GSM_BASIC: &str = "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?\
¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà";

/// GSM 03.38 extension table: each costs an escape septet plus itself.
const GSM_EXTENSION: &str = "\u{000C}^{}\\[~]|€";

/// Septets `c` costs in GSM-7, or `None` if it is not in the alphabet.
fn gsm_septets(c: char) -> Option<u32> {
    if GSM_BASIC.contains(c) {
        Some(1)
    } else if GSM_EXTENSION.contains(c) {
        Some(2)
    } else {
        None
    }
}

/// Packs unit costs into segments; a character is never split across two parts
/// (neither an escape pair nor a surrogate pair), as gateways do.
fn pack(costs: &[u32], single: u32, multi: u32) -> (u32, u32) {
    let total: u32 = costs.iter().sum();
    if total <= single {
        return (1, total);
    }
    let (mut segments, mut used) = (1, 0);
    for &cost in costs {
        if used + cost > multi {
            segments += 1;
            used = 0;
        }
        used += cost;
    }
    (segments, total)
}

/// The encoding, segment count and length of `text` sent as SMS.
pub fn segments(text: &str) -> SmsSegments {
    let gsm: Option<Vec<u32>> = text.chars().map(gsm_septets).collect();
    let (encoding, (segments, chars)) = match gsm {
        Some(costs) => (SmsEncoding::Gsm7, pack(&costs, 160, 153)),
        None => {
            let costs: Vec<u32> = text.chars().map(|c| c.len_utf16() as u32).collect();
            (SmsEncoding::Ucs2, pack(&costs, 70, 67))
        }
    };
    SmsSegments {
        encoding,
        segments,
        chars,
    }
}

/// Vietnamese letters with diacritics and their base letter.
const VIETNAMESE: &[(&str, char)] = &[
    ("àáảãạăằắẳẵặâầấẩẫậ", 'a'),
    ("ÀÁẢÃẠĂẰẮẲẴẶÂẦẤẨẪẬ", 'A'),
    ("èéẻẽẹêềếểễệ", 'e'),
    ("ÈÉẺẼẸÊỀẾỂỄỆ", 'E'),
    ("ìíỉĩị", 'i'),
    ("ÌÍỈĨỊ", 'I'),
    ("òóỏõọôồốổỗộơờớởỡợ", 'o'),
    ("ÒÓỎÕỌÔỒỐỔỖỘƠỜỚỞỠỢ", 'O'),
    ("ùúủũụưừứửữự", 'u'),
    ("ÙÚỦŨỤƯỪỨỬỮỰ", 'U'),
    ("ỳýỷỹỵ", 'y'),
    ("ỲÝỶỸỴ", 'Y'),
    ("đ", 'd'),
    ("Đ", 'D'),
];

/// Strips Vietnamese diacritics (precomposed or as combining marks) and maps `đ`/`Đ` to
/// `d`/`D`, so Vietnamese text fits GSM-7 (e.g. `Hồ sơ đã được tiếp nhận` →
/// `Ho so da duoc tiep nhan`).
///
/// An option for gateways that bill per segment: the folded text is less than half the
/// segments but harder to read and occasionally ambiguous, so use it only where the
/// operator chooses to. Other non-GSM characters (emoji, typographic quotes) are kept.
pub fn fold_to_gsm(text: &str) -> String {
    text.chars()
        // Combining diacritical marks (decomposed input): drop.
        .filter(|c| !('\u{0300}'..='\u{036F}').contains(c))
        .map(|c| {
            VIETNAMESE
                .iter()
                .find(|(accented, _)| accented.contains(c))
                .map_or(c, |&(_, base)| base)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn seg(encoding: SmsEncoding, segments: u32, chars: u32) -> SmsSegments {
        SmsSegments {
            encoding,
            segments,
            chars,
        }
    }

    #[test]
    fn gsm7_segment_table() {
        use SmsEncoding::Gsm7;
        assert_eq!(segments(""), seg(Gsm7, 1, 0));
        assert_eq!(segments(&"a".repeat(160)), seg(Gsm7, 1, 160));
        assert_eq!(segments(&"a".repeat(161)), seg(Gsm7, 2, 161));
        assert_eq!(segments(&"a".repeat(306)), seg(Gsm7, 2, 306));
        assert_eq!(segments(&"a".repeat(307)), seg(Gsm7, 3, 307));
        assert_eq!(
            segments("@£$¥èéùìòÇØøÅåΔ_ÆæßÉ¡ÄÖÑÜ§¿äöñüà"),
            seg(Gsm7, 1, 32)
        );
    }

    #[test]
    fn extension_characters_count_two_septets() {
        use SmsEncoding::Gsm7;
        assert_eq!(segments("€"), seg(Gsm7, 1, 2));
        assert_eq!(segments("[]{}\\^~|"), seg(Gsm7, 1, 16));
        assert_eq!(segments(&"€".repeat(80)), seg(Gsm7, 1, 160));
        assert_eq!(segments(&format!("{}a", "€".repeat(80))), seg(Gsm7, 2, 161));
        // 152 septets then an escape pair: the pair moves whole to the second part.
        let text = format!("{}€{}", "a".repeat(152), "a".repeat(10));
        assert_eq!(segments(&text), seg(Gsm7, 2, 164));
    }

    #[test]
    fn ucs2_segment_table() {
        use SmsEncoding::Ucs2;
        assert_eq!(segments(&"ồ".repeat(70)), seg(Ucs2, 1, 70));
        assert_eq!(segments(&"ồ".repeat(71)), seg(Ucs2, 2, 71));
        assert_eq!(segments(&"ồ".repeat(134)), seg(Ucs2, 2, 134));
        assert_eq!(segments(&"ồ".repeat(135)), seg(Ucs2, 3, 135));
        // One non-GSM character switches the whole text to UCS-2.
        assert_eq!(segments(&format!("{}đ", "a".repeat(69))), seg(Ucs2, 1, 70));
    }

    #[test]
    fn characters_outside_the_bmp_count_two_code_units() {
        use SmsEncoding::Ucs2;
        assert_eq!(segments("😀"), seg(Ucs2, 1, 2));
        assert_eq!(segments(&format!("{}😀", "a".repeat(68))), seg(Ucs2, 1, 70));
        assert_eq!(segments(&format!("{}😀", "a".repeat(69))), seg(Ucs2, 2, 71));
    }

    #[test]
    fn folding_strips_vietnamese_diacritics() {
        assert_eq!(
            fold_to_gsm("Hồ sơ đã được tiếp nhận"),
            "Ho so da duoc tiep nhan"
        );
        assert_eq!(fold_to_gsm("ĐỨC Ý Ưng"), "DUC Y Ung");
        // Decomposed input (base letter + combining marks).
        assert_eq!(fold_to_gsm("Vie\u{0302}\u{0323}t"), "Viet");
        assert_eq!(
            segments(&fold_to_gsm("Mã hồ sơ: 27/03/2023")).encoding,
            SmsEncoding::Gsm7
        );
    }

    #[test]
    fn vietnamese_receipt_sms_is_ucs2_and_its_folded_form_gsm7_with_fewer_segments() {
        use super::super::templates::{Channel, MessageContext, Templates};
        let ctx = MessageContext {
            dossier_code: Some("000.00.92.H55-230206-0001".into()),
            procedure_name: "Đăng ký khai sinh".into(),
            status_name_vi: "Được tiếp nhận".into(),
            due_date: chrono::NaiveDate::from_ymd_opt(2023, 3, 27),
            agency_name: Some("UBND phường Bến Nghé, Quận 1".into()),
            ..MessageContext::default()
        };
        let body = Templates::embedded()
            .expect("must succeed")
            .render("received", Channel::Sms, &ctx)
            .expect("must succeed")
            .body;
        let raw = segments(&body);
        let folded = segments(&fold_to_gsm(&body));
        assert_eq!(raw.encoding, SmsEncoding::Ucs2, "{body}");
        assert_eq!(folded.encoding, SmsEncoding::Gsm7, "{}", fold_to_gsm(&body));
        assert!(folded.segments < raw.segments, "{raw:?} vs {folded:?}");
    }
}
