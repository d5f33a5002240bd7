//! Encryption at rest of citizen data (AES-256-GCM) with a keyring for rotation.
//!
//! Each sealed value records the id of the key that sealed it; new values use the active
//! key while older keys stay in the ring to open what they sealed. The dossier id is the
//! associated data, so a ciphertext copied onto another dossier's row does not open.
//! Keys come from configuration as `id:base64(32 bytes)` pairs.

use std::collections::HashMap;
use std::fmt;

use aes_gcm::aead::{Aead, AeadCore, KeyInit, OsRng, Payload};
use aes_gcm::{Aes256Gcm, Nonce};
use base64::Engine;

/// Why sealing or opening failed (never contains data).
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum CryptoError {
    /// The key configuration is unusable.
    #[error("data keys: {0}")]
    Config(String),
    /// No key with that id is configured (rotated out too early?).
    #[error("no data key with id {0:?} is configured")]
    UnknownKey(String),
    /// Authentication failed: wrong key, wrong dossier or tampered data.
    #[error("sealed data does not open (wrong key, wrong dossier or tampered)")]
    Open,
}

/// The configured data keys.
#[derive(Clone)]
pub struct Keyring {
    keys: HashMap<String, Aes256Gcm>,
    active: String,
}

impl fmt::Debug for Keyring {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut ids: Vec<&String> = self.keys.keys().collect();
        ids.sort();
        f.debug_struct("Keyring")
            .field("ids", &ids)
            .field("active", &self.active)
            .finish()
    }
}

impl Keyring {
    /// Parses `id:base64key[,id:base64key…]` and the active key id.
    pub fn parse(keys: &str, active: &str) -> Result<Self, CryptoError> {
        let mut ring = HashMap::new();
        for entry in keys.split(',').map(str::trim).filter(|e| !e.is_empty()) {
            let (id, b64) = entry
                .split_once(':')
                .ok_or_else(|| CryptoError::Config("expected id:base64key".into()))?;
            let bytes = base64::engine::general_purpose::STANDARD
                .decode(b64.trim())
                .map_err(|_| CryptoError::Config(format!("key {id}: not base64")))?;
            if bytes.len() != 32 {
                return Err(CryptoError::Config(format!(
                    "key {id}: must be 32 bytes, is {}",
                    bytes.len()
                )));
            }
            let cipher = Aes256Gcm::new_from_slice(&bytes)
                .map_err(|_| CryptoError::Config(format!("key {id}: unusable")))?;
            ring.insert(id.trim().to_owned(), cipher);
        }
        if !ring.contains_key(active) {
            return Err(CryptoError::Config(format!(
                "the active key {active:?} is not among the keys"
            )));
        }
        Ok(Self {
            keys: ring,
            active: active.to_owned(),
        })
    }

    /// The id of the key new values are sealed with.
    pub fn active_id(&self) -> &str {
        &self.active
    }

    /// Seals `plaintext` bound to `aad`: returns (key id, nonce ‖ ciphertext).
    pub fn seal(&self, plaintext: &[u8], aad: &[u8]) -> Result<(String, Vec<u8>), CryptoError> {
        let cipher = self
            .keys
            .get(&self.active)
            .ok_or_else(|| CryptoError::UnknownKey(self.active.clone()))?;
        let nonce = Aes256Gcm::generate_nonce(&mut OsRng);
        let sealed = cipher
            .encrypt(
                &nonce,
                Payload {
                    msg: plaintext,
                    aad,
                },
            )
            .map_err(|_| CryptoError::Open)?;
        let mut out = nonce.to_vec();
        out.extend_from_slice(&sealed);
        Ok((self.active.clone(), out))
    }

    /// Opens what [`Keyring::seal`] produced.
    pub fn open(&self, key_id: &str, blob: &[u8], aad: &[u8]) -> Result<Vec<u8>, CryptoError> {
        let cipher = self
            .keys
            .get(key_id)
            .ok_or_else(|| CryptoError::UnknownKey(key_id.to_owned()))?;
        if blob.len() < 12 {
            return Err(CryptoError::Open);
        }
        let (nonce, sealed) = blob.split_at(12);
        let nonce: [u8; 12] = nonce.try_into().map_err(|_| CryptoError::Open)?;
        cipher
            .decrypt(&Nonce::from(nonce), Payload { msg: sealed, aad })
            .map_err(|_| CryptoError::Open)
    }
}

/// A fresh random bearer token: 32 bytes from the operating system's generator,
/// base64url without padding. Only its digest should ever be stored.
pub fn random_token() -> String {
    use aes_gcm::aead::rand_core::RngCore;
    let mut bytes = [0u8; 32];
    OsRng.fill_bytes(&mut bytes);
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(byte: u8) -> String {
        base64::engine::general_purpose::STANDARD.encode([byte; 32])
    }

    #[test]
    fn sealed_data_opens_only_with_its_key_and_dossier() {
        let ring = Keyring::parse(&format!("k1:{}", key(1)), "k1").expect("ring");
        let (id, blob) = ring
            .seal(b"{\"full_name\":\"Ng\"}", b"dossier-a")
            .expect("seal");
        assert_eq!(id, "k1");
        assert!(
            !blob.windows(2).any(|w| w == b"Ng"),
            "ciphertext does not show the data"
        );
        assert_eq!(
            ring.open(&id, &blob, b"dossier-a").expect("open"),
            b"{\"full_name\":\"Ng\"}"
        );
        assert_eq!(
            ring.open(&id, &blob, b"dossier-b"),
            Err(CryptoError::Open),
            "bound to its dossier"
        );
        let mut tampered = blob.clone();
        tampered[20] ^= 1;
        assert_eq!(
            ring.open(&id, &tampered, b"dossier-a"),
            Err(CryptoError::Open)
        );
        assert_eq!(
            ring.open("k9", &blob, b"dossier-a"),
            Err(CryptoError::UnknownKey("k9".into()))
        );
    }

    #[test]
    fn rotation_keeps_old_values_readable() {
        let old = Keyring::parse(&format!("k1:{}", key(1)), "k1").expect("ring");
        let (id, blob) = old.seal(b"x", b"d").expect("seal");
        let rotated = Keyring::parse(&format!("k1:{},k2:{}", key(1), key(2)), "k2").expect("ring");
        assert_eq!(rotated.open(&id, &blob, b"d").expect("old value"), b"x");
        assert_eq!(rotated.seal(b"y", b"d").expect("seal").0, "k2");
        assert!(
            Keyring::parse(&format!("k1:{}", key(1)), "k2").is_err(),
            "active key must exist"
        );
        assert!(
            Keyring::parse("k1:c2hvcnQ=", "k1").is_err(),
            "short key refused"
        );
        assert!(format!("{rotated:?}").contains("k2") && !format!("{rotated:?}").contains(&key(2)));
    }
}
