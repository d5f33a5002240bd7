//! Dates of birth as officers type them: a full date or only the year (domain.md §1, §3).
//!
//! Name + date of birth together identify a person, so `Debug` is redacted; `Display` and serde
//! use the portal's own format (`DD/MM/YYYY` or `YYYY`).

use std::fmt;

use chrono::{Datelike, NaiveDate};
use serde::{Deserialize, Serialize};
use thiserror::Error;

/// The earliest birth year accepted as plausible.
pub const MIN_BIRTH_YEAR: i32 = 1900;

/// A date of birth: complete, or only the year when that is all the citizen knows.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub enum BirthDate {
    /// Day, month and year are known.
    Full(NaiveDate),
    /// Only the year is known.
    YearOnly(i32),
}

/// How the date of birth as CSDLQG expects it (`NgayThangNamSinh`).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum CsdlqgDate {
    /// `NgayThangNam`, formatted `yyyyMMdd`.
    Full(String),
    /// `Nam`, formatted `yyyy`.
    Year(String),
}

/// Why a string is not a plausible date of birth. Messages never echo the input.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum BirthDateError {
    /// Not one of the accepted formats.
    #[error("date of birth must be DD/MM/YYYY, YYYY-MM-DD or YYYY")]
    BadFormat,
    /// Right shape, but no such calendar day (e.g. 31/04, or 29/02 outside a leap year).
    #[error("date of birth is not a real calendar date")]
    NoSuchDate,
    /// Year before 1900.
    #[error("date of birth year {year} is before {MIN_BIRTH_YEAR}")]
    TooOld {
        /// The parsed year.
        year: i32,
    },
    /// After the reference date.
    #[error("date of birth is in the future")]
    InFuture,
}

impl BirthDate {
    /// Parses `DD/MM/YYYY`, `D/M/YYYY`, `YYYY-MM-DD` or `YYYY`, checking plausibility against
    /// today's local date.
    pub fn parse(s: &str) -> Result<Self, BirthDateError> {
        Self::parse_on(s, chrono::Local::now().date_naive())
    }

    /// Like [`BirthDate::parse`], with an explicit "today": the year must lie in
    /// `1900..=today.year()` and a full date must not be after `today`.
    pub fn parse_on(s: &str, today: NaiveDate) -> Result<Self, BirthDateError> {
        let parsed = parse_shape(s.trim())?;
        let year = parsed.year();
        if year < MIN_BIRTH_YEAR {
            return Err(BirthDateError::TooOld { year });
        }
        let future = match parsed {
            BirthDate::Full(d) => d > today,
            BirthDate::YearOnly(y) => y > today.year(),
        };
        if future {
            return Err(BirthDateError::InFuture);
        }
        Ok(parsed)
    }

    /// The year of birth.
    pub fn year(&self) -> i32 {
        match self {
            BirthDate::Full(d) => d.year(),
            BirthDate::YearOnly(y) => *y,
        }
    }

    /// Whether two dates of birth can be the same person's: if either side knows only the year,
    /// the years are compared; otherwise the full dates.
    pub fn matches(&self, other: &BirthDate) -> bool {
        match (self, other) {
            (BirthDate::Full(a), BirthDate::Full(b)) => a == b,
            _ => self.year() == other.year(),
        }
    }

    /// The CSDLQG request form: `yyyyMMdd` or `yyyy`.
    pub fn to_csdlqg(&self) -> CsdlqgDate {
        match self {
            BirthDate::Full(d) => CsdlqgDate::Full(d.format("%Y%m%d").to_string()),
            BirthDate::YearOnly(y) => CsdlqgDate::Year(format!("{y:04}")),
        }
    }
}

/// Recognises the accepted shapes without plausibility checks.
fn parse_shape(s: &str) -> Result<BirthDate, BirthDateError> {
    let all_digits = |p: &str| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit());
    let num = |p: &str| p.parse::<u32>().map_err(|_| BirthDateError::BadFormat);
    let (day, month, year) = if let [d, m, y] = s.split('/').collect::<Vec<_>>()[..] {
        let ok = (1..=2).contains(&d.len()) && (1..=2).contains(&m.len()) && y.len() == 4;
        if !(ok && all_digits(d) && all_digits(m) && all_digits(y)) {
            return Err(BirthDateError::BadFormat);
        }
        (num(d)?, num(m)?, num(y)?)
    } else if let [y, m, d] = s.split('-').collect::<Vec<_>>()[..] {
        let ok = y.len() == 4 && m.len() == 2 && d.len() == 2;
        if !(ok && all_digits(d) && all_digits(m) && all_digits(y)) {
            return Err(BirthDateError::BadFormat);
        }
        (num(d)?, num(m)?, num(y)?)
    } else if s.len() == 4 && all_digits(s) {
        return Ok(BirthDate::YearOnly(
            i32::try_from(num(s)?).map_err(|_| BirthDateError::BadFormat)?,
        ));
    } else {
        return Err(BirthDateError::BadFormat);
    };
    let year = i32::try_from(year).map_err(|_| BirthDateError::BadFormat)?;
    NaiveDate::from_ymd_opt(year, month, day)
        .map(BirthDate::Full)
        .ok_or(BirthDateError::NoSuchDate)
}

impl fmt::Display for BirthDate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            BirthDate::Full(d) => write!(f, "{}", d.format("%d/%m/%Y")),
            BirthDate::YearOnly(y) => write!(f, "{y:04}"),
        }
    }
}

impl fmt::Debug for BirthDate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            BirthDate::Full(_) => f.write_str("BirthDate::Full(<redacted>)"),
            BirthDate::YearOnly(_) => f.write_str("BirthDate::YearOnly(<redacted>)"),
        }
    }
}

impl std::str::FromStr for BirthDate {
    type Err = BirthDateError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        BirthDate::parse(s)
    }
}

impl TryFrom<String> for BirthDate {
    type Error = BirthDateError;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        BirthDate::parse(&s)
    }
}

impl From<BirthDate> for String {
    fn from(d: BirthDate) -> String {
        d.to_string()
    }
}

#[cfg(test)]
mod tests;
