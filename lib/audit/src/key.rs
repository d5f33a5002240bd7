//! The HMAC key that turns a citizen ID into a searchable pseudonym, and ID masking.
//!
//! `id_hmac = hex(HMAC-SHA256(key, id_digits))`: the same ID under the same key always
//! gives the same value, so "every lookup of this citizen" is one indexed query, while the
//! table alone (without the key) does not reveal the ID. A 9- or 12-digit ID space is
//! small enough to brute-force a *plain* hash in seconds, which is why the hash is keyed:
//! keep the key out of the database (configuration secret) and rotate it only with a
//! documented cut-over, since rows hashed under an old key are found only with that key.

use std::fmt;

use hmac::{Hmac, Mac};
use sha2::Sha256;

use crate::AuditError;

type HmacSha256 = Hmac<Sha256>;

/// Secret key for `id_hmac`. `Debug` never prints it.
#[derive(Clone)]
pub struct AuditKey(HmacSha256);

impl AuditKey {
    /// Builds a key from secret bytes (use at least 32 random bytes). Only the HMAC's
    /// precomputed inner and outer states are kept, not the secret itself.
    pub fn from_secret(secret: &[u8]) -> Self {
        // HMAC accepts keys of any length (long ones are hashed first), so this cannot
        // fail; the fallback keeps the function total without an `expect`.
        let mac = HmacSha256::new_from_slice(secret)
            .unwrap_or_else(|_| <HmacSha256 as Mac>::new(&Default::default()));
        Self(mac)
    }

    /// `hex(HMAC-SHA256(key, id_digits))` of a validated ID.
    pub(crate) fn id_hmac(&self, id_digits: &str) -> Result<String, AuditError> {
        check_id(id_digits)?;
        let mut mac = self.0.clone();
        mac.update(id_digits.as_bytes());
        Ok(hex::encode(mac.finalize().into_bytes()))
    }
}

impl fmt::Debug for AuditKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("AuditKey(<redacted>)")
    }
}

/// Masks a 9- or 12-digit ID as its first 4 and last 2 digits with `*` between:
/// `025199001287` → `0251******87`, `012345678` → `0123***78`.
pub fn mask_id(id_digits: &str) -> Result<String, AuditError> {
    check_id(id_digits)?;
    let n = id_digits.len();
    let mut masked = String::with_capacity(n);
    masked.push_str(&id_digits[..4]);
    masked.extend(std::iter::repeat_n('*', n - 6));
    masked.push_str(&id_digits[n - 2..]);
    Ok(masked)
}

/// A CMND has 9 digits and a CCCD 12; anything else is refused before it is used.
fn check_id(id_digits: &str) -> Result<(), AuditError> {
    let digits = id_digits.bytes().all(|b| b.is_ascii_digit());
    if digits && matches!(id_digits.len(), 9 | 12) {
        Ok(())
    } else {
        Err(AuditError::InvalidId)
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    #[test]
    fn masks_cccd_and_cmnd() {
        assert_eq!(mask_id("025199001287").unwrap(), "0251******87");
        assert_eq!(mask_id("012345678").unwrap(), "0123***78");
    }

    #[test]
    fn refuses_other_lengths_and_non_digits() {
        for bad in [
            "",
            "12345678",
            "1234567890",
            "02519900128a",
            " 025199001287",
            "０２５１９９００１２８７",
        ] {
            assert!(
                matches!(mask_id(bad), Err(AuditError::InvalidId)),
                "{bad:?}"
            );
        }
    }

    #[test]
    fn hmac_is_keyed_and_deterministic() {
        let a = AuditKey::from_secret(b"key-a");
        let b = AuditKey::from_secret(b"key-b");
        let id = "025199001287";
        assert_eq!(a.id_hmac(id).unwrap(), a.id_hmac(id).unwrap());
        assert_ne!(a.id_hmac(id).unwrap(), b.id_hmac(id).unwrap());
        assert_eq!(a.id_hmac(id).unwrap().len(), 64);
        // RFC 4231 test case 2: key "Jefe", data "what do ya want for nothing?".
        let mut mac = AuditKey::from_secret(b"Jefe").0;
        mac.update(b"what do ya want for nothing?");
        assert_eq!(
            hex::encode(mac.finalize().into_bytes()),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
    }

    #[test]
    fn debug_is_redacted() {
        assert_eq!(
            format!("{:?}", AuditKey::from_secret(b"secret")),
            "AuditKey(<redacted>)"
        );
    }
}
