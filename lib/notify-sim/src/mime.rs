//! Just enough RFC 5322 / MIME to read what dossierflow sends: unfolded headers,
//! RFC 2047 encoded-words (`=?utf-8?b?…?=`, `=?utf-8?q?…?=`) and a single-part text
//! body in `base64` or `quoted-printable`. Multipart bodies are kept raw.

use base64::Engine;
use base64::engine::general_purpose::{STANDARD, STANDARD_NO_PAD};

/// The parts of a received message the simulator keeps.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Parsed {
    /// `Message-ID` without the angle brackets.
    pub message_id: Option<String>,
    /// `X-Dossierflow-Notification`.
    pub notification: Option<String>,
    /// Decoded `Subject`.
    pub subject: Option<String>,
    /// Decoded `From`.
    pub from: Option<String>,
    /// Decoded `To`.
    pub to: Option<String>,
    /// The decoded text body (the raw body when multipart).
    pub body: String,
    /// Whether the body is multipart (kept raw).
    pub multipart: bool,
}

/// Parses a message as received after `DATA` (dot-unstuffed).
pub(crate) fn parse(raw: &[u8]) -> Parsed {
    let (head, body) = split(raw);
    let headers = unfold(&String::from_utf8_lossy(head));
    let get = |name: &str| {
        headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.trim().to_owned())
    };
    let content_type = get("content-type").unwrap_or_default().to_ascii_lowercase();
    let multipart = content_type.starts_with("multipart/");
    let body = if multipart {
        String::from_utf8_lossy(body).into_owned()
    } else {
        let cte = get("content-transfer-encoding").unwrap_or_default();
        let bytes = match cte.to_ascii_lowercase().as_str() {
            "base64" => decode_base64(body).unwrap_or_else(|| body.to_vec()),
            "quoted-printable" => decode_qp(body),
            _ => body.to_vec(),
        };
        charset_text(&bytes, &content_type).replace("\r\n", "\n")
    };
    Parsed {
        message_id: get("message-id").map(|m| m.trim_matches(['<', '>']).to_owned()),
        notification: get("x-dossierflow-notification"),
        subject: get("subject").map(|s| decode_words(&s)),
        from: get("from").map(|s| decode_words(&s)),
        to: get("to").map(|s| decode_words(&s)),
        body,
        multipart,
    }
}

/// Splits at the first empty line.
fn split(raw: &[u8]) -> (&[u8], &[u8]) {
    for (sep, len) in [(&b"\r\n\r\n"[..], 4), (&b"\n\n"[..], 2)] {
        if let Some(i) = raw.windows(len).position(|w| w == sep) {
            return (&raw[..i], &raw[i + len..]);
        }
    }
    (raw, &[])
}

/// Header lines as (name, value), continuation lines joined.
fn unfold(head: &str) -> Vec<(String, String)> {
    let mut headers: Vec<(String, String)> = Vec::new();
    for line in head.lines() {
        if line.starts_with([' ', '\t']) {
            if let Some((_, v)) = headers.last_mut() {
                v.push_str(line);
            }
        } else if let Some((name, value)) = line.split_once(':') {
            headers.push((name.trim().to_owned(), value.to_owned()));
        }
    }
    headers
}

fn decode_base64(data: &[u8]) -> Option<Vec<u8>> {
    let clean: Vec<u8> = data
        .iter()
        .copied()
        .filter(|b| !b.is_ascii_whitespace())
        .collect();
    STANDARD
        .decode(&clean)
        .or_else(|_| STANDARD_NO_PAD.decode(&clean))
        .ok()
}

fn hex_value(b: u8) -> Option<u8> {
    (b as char).to_digit(16).and_then(|d| u8::try_from(d).ok())
}

/// Quoted-printable (RFC 2045): `=XX` escapes and `=` soft line breaks.
pub(crate) fn decode_qp(data: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(data.len());
    let mut i = 0;
    while i < data.len() {
        if data[i] == b'=' {
            if data[i + 1..].starts_with(b"\r\n") {
                i += 3;
                continue;
            }
            if data[i + 1..].starts_with(b"\n") {
                i += 2;
                continue;
            }
            let pair = data
                .get(i + 1)
                .copied()
                .and_then(hex_value)
                .zip(data.get(i + 2).copied().and_then(hex_value));
            if let Some((h, l)) = pair {
                out.push(h * 16 + l);
                i += 3;
                continue;
            }
        }
        out.push(data[i]);
        i += 1;
    }
    out
}

/// Text of `bytes` in the charset of `content_type` (UTF-8 unless Latin-1).
fn charset_text(bytes: &[u8], charset_hint: &str) -> String {
    let latin1 = ["iso-8859-1", "latin1", "latin-1"];
    if latin1.iter().any(|c| charset_hint.contains(c)) {
        bytes.iter().map(|&b| char::from(b)).collect()
    } else {
        String::from_utf8_lossy(bytes).into_owned()
    }
}

/// One encoded-word at the start of `s`: its decoded text bytes and its length.
fn encoded_word(s: &str) -> Option<(Vec<u8>, usize)> {
    let rest = s.strip_prefix("=?")?;
    let (charset, rest) = rest.split_once('?')?;
    let (encoding, rest) = rest.split_once('?')?;
    let end = rest.find("?=")?;
    let text = &rest[..end];
    if text.contains(char::is_whitespace) {
        return None;
    }
    let len = 2 + charset.len() + 1 + encoding.len() + 1 + end + 2;
    let bytes = match encoding {
        "b" | "B" => decode_base64(text.as_bytes())?,
        "q" | "Q" => decode_qp(text.replace('_', " ").as_bytes()),
        _ => return None,
    };
    let charset = charset
        .split('*')
        .next()
        .unwrap_or_default()
        .to_ascii_lowercase();
    let bytes = charset_text(&bytes, &charset).into_bytes();
    Some((bytes, len))
}

/// Decodes RFC 2047 encoded-words; whitespace between two adjacent words is dropped and
/// their bytes joined before UTF-8 decoding (a character may span two words).
pub(crate) fn decode_words(s: &str) -> String {
    let mut out = String::new();
    let mut pending: Vec<u8> = Vec::new();
    let mut rest = s;
    let mut i = 0;
    while i < rest.len() {
        if rest[i..].starts_with("=?")
            && let Some((bytes, len)) = encoded_word(&rest[i..])
        {
            let between = &rest[..i];
            if pending.is_empty() || !between.chars().all(char::is_whitespace) {
                out.push_str(&String::from_utf8_lossy(&pending));
                pending.clear();
                out.push_str(between);
            }
            pending.extend(bytes);
            rest = &rest[i + len..];
            i = 0;
            continue;
        }
        i += rest[i..].chars().next().map_or(1, char::len_utf8);
    }
    out.push_str(&String::from_utf8_lossy(&pending));
    out.push_str(rest);
    out
}

#[cfg(test)]
#[path = "mime_tests.rs"]
mod tests;
