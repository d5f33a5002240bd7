//! Identifiers of agencies, procedures and dossiers (domain.md §5).
//!
//! * [`AgencyId`]: QCVN 102:2016/BTTTT e-identifier, four dot-separated levels (`000.00.92.H55`).
//! * [`ProcedureCode`]: national procedure-catalogue code (`1.004227`).
//! * [`DossierCode`]: `{agency}-{yyMMdd}-{sequence}`, the code printed on the receipt slip.

use std::fmt;

use chrono::{Datelike, NaiveDate};
use serde::{Deserialize, Serialize};
use thiserror::Error;

/// The narrowest sequence field of a dossier code (provincial portals use 4 digits).
pub const MIN_SEQ_WIDTH: usize = 4;

/// Why a string is not a valid agency, procedure or dossier code.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum CodeError {
    /// Agency e-identifier not of the form `AAA.BB.CC.DDD` with 4 non-empty `[A-Z0-9]` levels.
    #[error(
        "agency e-identifier {input:?} must be 4 dot-separated levels of A-Z and 0-9 (e.g. 000.00.92.H55)"
    )]
    BadAgency {
        /// The rejected input.
        input: String,
    },
    /// Procedure code not 1..=40 characters of `[A-Za-z0-9.]`.
    #[error("procedure code {input:?} must be 1 to 40 characters of letters, digits and dots")]
    BadProcedure {
        /// The rejected input.
        input: String,
    },
    /// Dossier code not of the form `{agency}-{yyMMdd}-{NNNN}`.
    #[error("dossier code {input:?} must look like 000.00.92.H55-230206-0001")]
    BadDossierCode {
        /// The rejected input.
        input: String,
    },
    /// Sequence 0: sequences start at 1 each day.
    #[error("dossier sequence must start at 1")]
    ZeroSequence,
    /// The date cannot be written as `yyMMdd` unambiguously (2000–2099 only).
    #[error("dossier date year {year} is outside 2000-2099 and cannot be written as yyMMdd")]
    YearOutOfRange {
        /// The year given.
        year: i32,
    },
}

/// An agency e-identifier per QCVN 102:2016/BTTTT, e.g. `000.00.92.H55`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct AgencyId(String);

impl AgencyId {
    /// Parses an e-identifier (surrounding whitespace trimmed; letters must be upper-case).
    pub fn parse(s: &str) -> Result<Self, CodeError> {
        let s = s.trim();
        let levels: Vec<&str> = s.split('.').collect();
        let level_ok = |l: &&str| {
            !l.is_empty()
                && l.bytes()
                    .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit())
        };
        if levels.len() == 4 && levels.iter().all(level_ok) {
            Ok(AgencyId(s.to_owned()))
        } else {
            Err(CodeError::BadAgency {
                input: s.to_owned(),
            })
        }
    }

    /// The e-identifier.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A national procedure-catalogue code, e.g. `1.004227` or `2.001763.000.00.00.H12`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct ProcedureCode(String);

impl ProcedureCode {
    /// Parses a procedure code (surrounding whitespace trimmed).
    pub fn parse(s: &str) -> Result<Self, CodeError> {
        let s = s.trim();
        let ok = (1..=40).contains(&s.len())
            && s.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'.');
        if ok {
            Ok(ProcedureCode(s.to_owned()))
        } else {
            Err(CodeError::BadProcedure {
                input: s.to_owned(),
            })
        }
    }

    /// The code.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A dossier code `{agency}-{yyMMdd}-{sequence}`, e.g. `000.00.92.H55-230206-0001`.
///
/// The sequence is zero-padded to at least 4 digits; a code parsed with a wider zero-padded
/// field (ministry portals use 6–7 digits) keeps that width so it prints back unchanged.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct DossierCode {
    agency: AgencyId,
    date: NaiveDate,
    seq: u32,
    width: usize,
}

impl DossierCode {
    /// Builds a code with the standard 4-digit padding. `seq` starts at 1; the year must be
    /// 2000–2099 so that `yyMMdd` is unambiguous.
    pub fn new(agency: AgencyId, date: NaiveDate, seq: u32) -> Result<Self, CodeError> {
        Self::with_width(agency, date, seq, MIN_SEQ_WIDTH)
    }

    /// Like [`DossierCode::new`] with the sequence zero-padded to `width` digits (at least 4),
    /// e.g. 6 or 7 for ministry portals.
    pub fn with_width(
        agency: AgencyId,
        date: NaiveDate,
        seq: u32,
        width: usize,
    ) -> Result<Self, CodeError> {
        if seq == 0 {
            return Err(CodeError::ZeroSequence);
        }
        if !(2000..=2099).contains(&date.year()) {
            return Err(CodeError::YearOutOfRange { year: date.year() });
        }
        // Padding only matters when it adds zeros; normalising keeps `==` equal to "same text".
        let natural = seq.to_string().len();
        let width = if natural >= width {
            MIN_SEQ_WIDTH
        } else {
            width.clamp(MIN_SEQ_WIDTH, 10)
        };
        Ok(DossierCode {
            agency,
            date,
            seq,
            width,
        })
    }

    /// Parses `{agency}-{yyMMdd}-{sequence}` (split on the last two `-`).
    pub fn parse(s: &str) -> Result<Self, CodeError> {
        let s = s.trim();
        let bad = || CodeError::BadDossierCode {
            input: s.to_owned(),
        };
        let mut parts = s.rsplitn(3, '-');
        let (Some(seq), Some(date), Some(agency)) = (parts.next(), parts.next(), parts.next())
        else {
            return Err(bad());
        };
        let digits = |p: &str| p.bytes().all(|b| b.is_ascii_digit());
        if date.len() != 6
            || !digits(date)
            || seq.len() < MIN_SEQ_WIDTH
            || seq.len() > 10
            || !digits(seq)
        {
            return Err(bad());
        }
        let agency = AgencyId::parse(agency).map_err(|_| bad())?;
        let date = NaiveDate::parse_from_str(&format!("20{date}"), "%Y%m%d").map_err(|_| bad())?;
        let seq_n: u32 = seq.parse().map_err(|_| bad())?;
        // Keep an explicit zero-padded width; an unpadded wide number needs no width.
        let width = if seq.starts_with('0') {
            seq.len()
        } else {
            MIN_SEQ_WIDTH
        };
        Self::with_width(agency, date, seq_n, width)
    }

    /// The receiving agency.
    pub fn agency(&self) -> &AgencyId {
        &self.agency
    }

    /// The day the dossier was received.
    pub fn date(&self) -> NaiveDate {
        self.date
    }

    /// The sequence number within that agency and day, from 1.
    pub fn seq(&self) -> u32 {
        self.seq
    }
}

impl fmt::Display for DossierCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}-{}-{:0width$}",
            self.agency,
            self.date.format("%y%m%d"),
            self.seq,
            width = self.width
        )
    }
}

macro_rules! string_newtype_impls {
    ($ty:ty) => {
        impl fmt::Display for $ty {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }
        impl From<$ty> for String {
            fn from(v: $ty) -> String {
                v.0
            }
        }
    };
}
string_newtype_impls!(AgencyId);
string_newtype_impls!(ProcedureCode);

macro_rules! parse_impls {
    ($ty:ty) => {
        impl std::str::FromStr for $ty {
            type Err = CodeError;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                <$ty>::parse(s)
            }
        }
        impl TryFrom<String> for $ty {
            type Error = CodeError;
            fn try_from(s: String) -> Result<Self, Self::Error> {
                <$ty>::parse(&s)
            }
        }
    };
}
parse_impls!(AgencyId);
parse_impls!(ProcedureCode);
parse_impls!(DossierCode);

impl From<DossierCode> for String {
    fn from(c: DossierCode) -> String {
        c.to_string()
    }
}

#[cfg(test)]
mod tests;
