//! Citizens' contact details for notifications: Vietnamese mobile numbers and e-mail addresses.
//!
//! Both are personal data: `Debug` and `Display` print a masked form; [`PhoneNumber::as_str`],
//! [`PhoneNumber::e164`] and [`Email::as_str`] give the real value to the sender.

use std::fmt;

use serde::{Deserialize, Serialize};
use thiserror::Error;

/// Second digits of Vietnamese mobile numbers (`03x`, `05x`, `07x`, `08x`, `09x`).
const MOBILE_PREFIXES: [u8; 5] = [b'3', b'5', b'7', b'8', b'9'];

/// The longest e-mail address accepted (RFC 5321 path limit).
pub const MAX_EMAIL_LEN: usize = 254;

/// Why a string is not a Vietnamese mobile number. Messages never echo the number.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum PhoneError {
    /// Characters other than digits, a leading `+`, spaces, dots and dashes.
    #[error("phone number may contain only digits, a leading '+', spaces, dots and dashes")]
    BadCharacters,
    /// Not `0` + 9 digits, `84` + 9 digits or `+84` + 9 digits.
    #[error("phone number must be 0xxxxxxxxx or +84xxxxxxxxx (10 digits nationally)")]
    BadLength,
    /// Not a mobile prefix 03, 05, 07, 08 or 09.
    #[error("phone number is not a Vietnamese mobile number (prefix must be 03, 05, 07, 08 or 09)")]
    NotMobile,
}

/// A Vietnamese mobile number, normalised to the national form `0xxxxxxxxx`.
#[derive(Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct PhoneNumber(String);

impl PhoneNumber {
    /// Parses `0xxxxxxxxx`, `+84xxxxxxxxx` or `84xxxxxxxxx`; spaces, dots and dashes are ignored.
    pub fn parse(s: &str) -> Result<Self, PhoneError> {
        let s = s.trim();
        let (plus, rest) = match s.strip_prefix('+') {
            Some(rest) => (true, rest),
            None => (false, s),
        };
        let mut digits = String::with_capacity(12);
        for c in rest.chars() {
            match c {
                '0'..='9' => digits.push(c),
                ' ' | '.' | '-' => {}
                _ => return Err(PhoneError::BadCharacters),
            }
        }
        let national = if plus || (digits.len() == 11 && digits.starts_with("84")) {
            match digits.strip_prefix("84") {
                Some(n) if n.len() == 9 => n.to_owned(),
                _ => return Err(PhoneError::BadLength),
            }
        } else if digits.len() == 10 && digits.starts_with('0') {
            digits[1..].to_owned()
        } else {
            return Err(PhoneError::BadLength);
        };
        if !MOBILE_PREFIXES.contains(&national.as_bytes()[0]) {
            return Err(PhoneError::NotMobile);
        }
        Ok(PhoneNumber(format!("0{national}")))
    }

    /// The national form, `0xxxxxxxxx`.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The international form, `+84xxxxxxxxx`.
    pub fn e164(&self) -> String {
        format!("+84{}", &self.0[1..])
    }

    /// First 3 and last 3 digits: `0912345678` → `091****678`.
    pub fn masked(&self) -> String {
        format!("{}****{}", &self.0[..3], &self.0[7..])
    }
}

impl fmt::Display for PhoneNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.masked())
    }
}

impl fmt::Debug for PhoneNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "PhoneNumber({})", self.masked())
    }
}

impl std::str::FromStr for PhoneNumber {
    type Err = PhoneError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        PhoneNumber::parse(s)
    }
}

impl TryFrom<String> for PhoneNumber {
    type Error = PhoneError;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        PhoneNumber::parse(&s)
    }
}

impl From<PhoneNumber> for String {
    fn from(p: PhoneNumber) -> String {
        p.0
    }
}

/// Why a string is not a usable e-mail address. Messages never echo the address.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum EmailError {
    /// Longer than [`MAX_EMAIL_LEN`].
    #[error("e-mail address is longer than {MAX_EMAIL_LEN} characters")]
    TooLong,
    /// Contains whitespace or a control character.
    #[error("e-mail address must not contain spaces")]
    ContainsSpace,
    /// Not exactly one `@`.
    #[error("e-mail address must contain exactly one '@'")]
    BadAt,
    /// Nothing before the `@`.
    #[error("e-mail address has nothing before the '@'")]
    EmptyLocalPart,
    /// Domain has no dot, or an empty label.
    #[error("e-mail domain must look like name.tld")]
    BadDomain,
}

/// An e-mail address checked pragmatically; the domain is lower-cased, the local part kept.
#[derive(Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Email(String);

impl Email {
    /// Parses an address (surrounding whitespace trimmed).
    pub fn parse(s: &str) -> Result<Self, EmailError> {
        let s = s.trim();
        if s.len() > MAX_EMAIL_LEN {
            return Err(EmailError::TooLong);
        }
        if s.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err(EmailError::ContainsSpace);
        }
        let [local, domain] = s.split('@').collect::<Vec<_>>()[..] else {
            return Err(EmailError::BadAt);
        };
        if local.is_empty() {
            return Err(EmailError::EmptyLocalPart);
        }
        if !domain.contains('.') || domain.split('.').any(str::is_empty) {
            return Err(EmailError::BadDomain);
        }
        // Lower-casing can lengthen the domain (`İ` → `i̇`, 2 → 3 bytes): check the stored
        // form too, or an accepted address could not be read back (the round-trip check of
        // the `domain_contact` fuzz target).
        let address = format!("{local}@{}", domain.to_lowercase());
        if address.len() > MAX_EMAIL_LEN {
            return Err(EmailError::TooLong);
        }
        Ok(Email(address))
    }

    /// The address.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// First character of the local part and the domain: `an.nguyen@x.vn` → `a***@x.vn`.
    pub fn masked(&self) -> String {
        let (local, domain) = self.0.split_once('@').unwrap_or((&self.0, ""));
        let first: String = local.chars().take(1).collect();
        format!("{first}***@{domain}")
    }
}

impl fmt::Display for Email {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.masked())
    }
}

impl fmt::Debug for Email {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Email({})", self.masked())
    }
}

impl std::str::FromStr for Email {
    type Err = EmailError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Email::parse(s)
    }
}

impl TryFrom<String> for Email {
    type Error = EmailError;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        Email::parse(&s)
    }
}

impl From<Email> for String {
    fn from(e: Email) -> String {
        e.0
    }
}

#[cfg(test)]
mod tests;
