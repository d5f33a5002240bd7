//! Personal ID numbers (domain.md §7): the 12-digit CCCD / personal ID and the 9-digit CMND.
//!
//! A [`NationalId`] is personal data: its `Debug` and `Display` print only the masked form
//! (`0012******87`). The full digits are available through [`NationalId::as_str`] for the
//! CSDLQG request and travel in events through serde (the verifier needs them).

use std::fmt;

use serde::{Deserialize, Serialize};
use thiserror::Error;

use crate::birth::BirthDate;
use crate::citizen::Gender;
use crate::province::legacy_province_name;

/// Which kind of ID number this is; the CSDLQG request element follows from it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum IdKind {
    /// 12-digit citizen identity card / personal ID (`SoDinhDanh`).
    Cccd,
    /// 9-digit legacy identity card (`SoCMND`).
    Cmnd,
}

/// Why a string is not a usable ID number. Messages never contain the full ID.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum IdError {
    /// Neither 9 (CMND) nor 12 (CCCD) characters.
    #[error("ID number must have 9 digits (CMND) or 12 digits (CCCD), got {len} characters")]
    WrongLength {
        /// Number of characters after trimming.
        len: usize,
    },
    /// Contains something other than ASCII digits.
    #[error("ID number must contain only the digits 0-9")]
    NotDigits,
    /// The 3-digit CCCD prefix is not one of the 63 legacy province codes.
    #[error("CCCD province prefix {code:03} is not a known province code")]
    UnknownProvince {
        /// The prefix as a number (e.g. `3` for `003`).
        code: u16,
    },
    /// The birth year encoded in the CCCD differs from the declared date of birth.
    #[error(
        "CCCD encodes birth year {id_year} but the declared date of birth is in {declared_year}"
    )]
    BirthYearMismatch {
        /// Year encoded in the ID (century digit + YY).
        id_year: i32,
        /// Year of the declared date of birth.
        declared_year: i32,
    },
    /// The gender encoded in the CCCD differs from the declared gender.
    #[error("CCCD encodes gender {id_gender:?} but the declared gender is {declared:?}")]
    GenderMismatch {
        /// Gender encoded in the ID (parity of the century digit).
        id_gender: Gender,
        /// Declared gender.
        declared: Gender,
    },
}

/// A validated CCCD (12 digits, known legacy province prefix) or CMND (9 digits).
#[derive(Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct NationalId(String);

impl NationalId {
    /// Parses an ID number after trimming surrounding whitespace.
    pub fn parse(s: &str) -> Result<NationalId, IdError> {
        let s = s.trim();
        if !s.bytes().all(|b| b.is_ascii_digit()) {
            return Err(IdError::NotDigits);
        }
        match s.len() {
            9 => Ok(NationalId(s.to_owned())),
            12 => {
                let code = s[..3].parse::<u16>().map_err(|_| IdError::NotDigits)?;
                if legacy_province_name(code).is_none() {
                    return Err(IdError::UnknownProvince { code });
                }
                Ok(NationalId(s.to_owned()))
            }
            _ => Err(IdError::WrongLength {
                len: s.chars().count(),
            }),
        }
    }

    /// CCCD (12 digits) or CMND (9 digits).
    pub fn kind(&self) -> IdKind {
        if self.0.len() == 12 {
            IdKind::Cccd
        } else {
            IdKind::Cmnd
        }
    }

    /// The full digits. Use only to build the CSDLQG request; never log it.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// First 4 and last 2 digits, the rest as `*`: `001203004587` → `0012******87`.
    pub fn masked(&self) -> String {
        let n = self.0.len();
        format!("{}{}{}", &self.0[..4], "*".repeat(n - 6), &self.0[n - 2..])
    }

    /// The legacy province code of a CCCD (e.g. `25` for Phú Thọ); `None` for a CMND.
    pub fn province_code(&self) -> Option<u16> {
        self.cccd_digit(0).map(|_| {
            self.0[..3]
                .bytes()
                .fold(0u16, |acc, b| acc * 10 + u16::from(b - b'0'))
        })
    }

    /// Birth year encoded in a CCCD (century digit + `YY`); `None` for a CMND.
    pub fn birth_year(&self) -> Option<i32> {
        let g = i32::from(self.cccd_digit(3)?);
        let yy = i32::from(self.cccd_digit(4)?) * 10 + i32::from(self.cccd_digit(5)?);
        Some(1900 + (g / 2) * 100 + yy)
    }

    /// Gender encoded in a CCCD (even century digit = male, odd = female); `None` for a CMND.
    pub fn gender(&self) -> Option<Gender> {
        let g = self.cccd_digit(3)?;
        Some(if g % 2 == 0 {
            Gender::Male
        } else {
            Gender::Female
        })
    }

    /// Checks a CCCD against a declared date of birth and (when known) gender.
    /// A CMND carries no structure, so it is always consistent.
    pub fn check_consistency(
        &self,
        birth: &BirthDate,
        gender: Option<Gender>,
    ) -> Result<(), IdError> {
        let Some(id_year) = self.birth_year() else {
            return Ok(());
        };
        if id_year != birth.year() {
            return Err(IdError::BirthYearMismatch {
                id_year,
                declared_year: birth.year(),
            });
        }
        if let (Some(declared @ (Gender::Male | Gender::Female)), Some(id_gender)) =
            (gender, self.gender())
            && declared != id_gender
        {
            return Err(IdError::GenderMismatch {
                id_gender,
                declared,
            });
        }
        Ok(())
    }

    /// Digit `i` of a CCCD as a number; `None` for a CMND.
    fn cccd_digit(&self, i: usize) -> Option<u8> {
        (self.kind() == IdKind::Cccd).then(|| self.0.as_bytes()[i] - b'0')
    }
}

impl fmt::Display for NationalId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.masked())
    }
}

impl fmt::Debug for NationalId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "NationalId({})", self.masked())
    }
}

impl std::str::FromStr for NationalId {
    type Err = IdError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        NationalId::parse(s)
    }
}

impl TryFrom<String> for NationalId {
    type Error = IdError;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        NationalId::parse(&s)
    }
}

impl From<NationalId> for String {
    fn from(id: NationalId) -> String {
        id.0
    }
}

#[cfg(test)]
mod tests;
