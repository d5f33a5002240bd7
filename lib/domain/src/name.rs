//! Citizens' full names and how two names are compared (domain.md §3, "Name matching").
//!
//! CSDLQG does not document how it matches names, and deployed clients differ, so the
//! comparison is a [`DiacriticPolicy`] chosen by configuration.

use std::fmt;

use serde::{Deserialize, Serialize};
use thiserror::Error;
use unicode_normalization::UnicodeNormalization;
use unicode_normalization::char::is_combining_mark;

/// The longest accepted name, in characters (CSDLQG `HoVaTen` is ≤ 100).
pub const MAX_NAME_CHARS: usize = 100;

/// How names are compared.
///
/// * [`Strict`](DiacriticPolicy::Strict) (default): case-insensitive with Vietnamese-correct
///   lower-casing (`Đ`→`đ`, `Ư`→`ư`, `Ơ`→`ơ`, toned capitals such as `Ễ`→`ễ`), but every
///   diacritic and tone mark must match: `Nguyễn` ≠ `Nguyên`.
/// * [`FoldDiacritics`](DiacriticPolicy::FoldDiacritics): additionally strips tone marks and
///   vowel diacritics and maps `đ`→`d`, so `NGUYEN VAN DUNG` matches `Nguyễn Văn Dũng`
///   (the behaviour of clients that send names without accents).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum DiacriticPolicy {
    /// Case-insensitive; accents must match.
    #[default]
    Strict,
    /// Case- and accent-insensitive; `đ` equals `d`.
    FoldDiacritics,
}

/// Why a string is not an acceptable full name. Messages never echo the name.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum NameError {
    /// Nothing but whitespace.
    #[error("full name is empty")]
    Empty,
    /// More than [`MAX_NAME_CHARS`] characters after normalisation.
    #[error("full name has {len} characters, more than the {MAX_NAME_CHARS} allowed")]
    TooLong {
        /// Characters after normalisation.
        len: usize,
    },
    /// Contains a digit.
    #[error("full name must not contain digits")]
    ContainsDigit,
    /// Contains a control character.
    #[error("full name must not contain control characters")]
    ContainsControl,
}

/// A full name: NFC-normalised, trimmed, inner whitespace collapsed to single spaces.
///
/// `Display` prints the name (it is needed in notification templates); `Debug` is redacted.
#[derive(Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct CitizenName(String);

impl CitizenName {
    /// Normalises and validates a full name.
    pub fn parse(s: &str) -> Result<Self, NameError> {
        let nfc: String = s.nfc().collect();
        if nfc.chars().any(|c| c.is_control() && !c.is_whitespace()) {
            return Err(NameError::ContainsControl);
        }
        let collapsed = nfc.split_whitespace().collect::<Vec<_>>().join(" ");
        if collapsed.is_empty() {
            return Err(NameError::Empty);
        }
        if collapsed.chars().any(char::is_numeric) {
            return Err(NameError::ContainsDigit);
        }
        let len = collapsed.chars().count();
        if len > MAX_NAME_CHARS {
            return Err(NameError::TooLong { len });
        }
        Ok(CitizenName(collapsed))
    }

    /// The normalised name.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Whether two names are the same under `policy` (see [`DiacriticPolicy`]).
    pub fn matches(&self, other: &CitizenName, policy: DiacriticPolicy) -> bool {
        comparison_key(&self.0, policy) == comparison_key(&other.0, policy)
    }
}

/// The form two names are compared in.
fn comparison_key(name: &str, policy: DiacriticPolicy) -> String {
    let lower = name.to_lowercase();
    match policy {
        DiacriticPolicy::Strict => lower.nfc().collect(),
        DiacriticPolicy::FoldDiacritics => lower
            .nfd()
            .filter(|c| !is_combining_mark(*c))
            .map(|c| if c == 'đ' { 'd' } else { c })
            .collect(),
    }
}

impl fmt::Display for CitizenName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for CitizenName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "CitizenName(<redacted, {} chars>)",
            self.0.chars().count()
        )
    }
}

impl std::str::FromStr for CitizenName {
    type Err = NameError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        CitizenName::parse(s)
    }
}

impl TryFrom<String> for CitizenName {
    type Error = NameError;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        CitizenName::parse(&s)
    }
}

impl From<CitizenName> for String {
    fn from(n: CitizenName) -> String {
        n.0
    }
}

#[cfg(test)]
mod tests;
