//! Helpers shared by the fuzz targets in `fuzz_targets/`: splitting one libFuzzer input
//! into the several values a parser takes, without panicking on any input.

/// Splits `data` at the first NUL byte: `(before, Some(after))`, or `(data, None)`.
pub fn split_nul(data: &[u8]) -> (&[u8], Option<&[u8]>) {
    match data.iter().position(|&b| b == 0) {
        Some(i) => (&data[..i], Some(&data[i + 1..])),
        None => (data, None),
    }
}

/// The input as text, lossily: parsers that take `&str` see every byte sequence as some
/// string (invalid UTF-8 becomes U+FFFD, which is itself worth feeding them).
pub fn text(data: &[u8]) -> String {
    String::from_utf8_lossy(data).into_owned()
}

/// A fixed "today" for date parsers, so a crash reproduces on any day.
pub fn today() -> chrono::NaiveDate {
    chrono::NaiveDate::from_ymd_opt(2026, 11, 27).unwrap_or_default()
}
