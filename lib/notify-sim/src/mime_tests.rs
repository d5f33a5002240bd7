//! Unit tests of the header and body decoding.

use super::*;

#[test]
fn encoded_words_decode_and_join() {
    // "Hồ sơ" split across two base64 words, and a Q word.
    let b1 = STANDARD.encode("Hồ ".as_bytes());
    let b2 = STANDARD.encode("sơ".as_bytes());
    let s = format!("=?utf-8?b?{b1}?= =?UTF-8?B?{b2}?= đã =?utf-8?q?ti=E1=BA=BFp_nh=E1=BA=ADn?=");
    assert_eq!(decode_words(&s), "Hồ sơ đã tiếp nhận");
    assert_eq!(decode_words("plain text"), "plain text");
    assert_eq!(decode_words("=?broken"), "=?broken");
}

#[test]
fn quoted_printable_soft_breaks_and_escapes() {
    assert_eq!(decode_qp(b"a=3Db=\r\nc= d"), b"a=bc= d".to_vec());
}

#[test]
fn base64_body_and_headers_parse() {
    let body = STANDARD.encode("Kính gửi ông/bà,\r\nHồ sơ đã được tiếp nhận.".as_bytes());
    let raw = format!(
        "From: =?utf-8?b?{}?= <a@x.test>\r\nTo: b@x.test\r\nSubject: =?utf-8?q?H=E1=BB=93_s=C6=A1?=\r\n\
         Message-ID: <abc@dossierflow>\r\nX-Dossierflow-Notification: abc\r\n\
         Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: base64\r\n\r\n{body}",
        STANDARD.encode("Cổng DVC".as_bytes())
    );
    let p = parse(raw.as_bytes());
    assert_eq!(p.subject.as_deref(), Some("Hồ sơ"));
    assert_eq!(p.from.as_deref(), Some("Cổng DVC <a@x.test>"));
    assert_eq!(p.message_id.as_deref(), Some("abc@dossierflow"));
    assert_eq!(p.notification.as_deref(), Some("abc"));
    assert_eq!(p.body, "Kính gửi ông/bà,\nHồ sơ đã được tiếp nhận.");
    assert!(!p.multipart);
}

#[test]
fn multipart_is_kept_raw_and_folded_headers_unfold() {
    let raw = b"Subject: a\r\n b\r\nContent-Type: multipart/mixed;\r\n boundary=x\r\n\r\n--x\r\nhi\r\n--x--";
    let p = parse(raw);
    assert_eq!(p.subject.as_deref(), Some("a b"));
    assert!(p.multipart);
    assert!(p.body.starts_with("--x\r\nhi"));
    let p = parse(b"no header separator");
    assert_eq!(p.body, "");
}
