//! Encryption at rest of citizen data (AES-256-GCM) with a keyring for rotation.
//!
//! Each sealed value records the id of the key that sealed it; new values use the active
//! key while older keys stay in the ring to open what they sealed. The dossier id is the
//! associated data, so a ciphertext copied onto another dossier's row does not open.
//! Keys come from configuration as `id:base64(32 bytes)` pairs.
//!
//! The ring also holds the *index keys* of blind indexes: `hex(HMAC-SHA256(index key,
//! ID digits))` finds a dossier by the applicant's ID without storing the ID in clear.
//! They are separate from the data keys and from the audit's HMAC key (see
//! `docs/personal-data.md`), carry ids too, and rotate the same way: new rows use the
//! active index key, lookups try every configured one while rows are mixed.

use std::collections::HashMap;
use std::fmt;

use aes_gcm::aead::{Aead, AeadCore, KeyInit, OsRng, Payload};
use aes_gcm::{Aes256Gcm, Nonce};
use base64::Engine;
use hmac::{Hmac, Mac};
use sha2::Sha256;

type HmacSha256 = Hmac<Sha256>;

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
    /// No blind-index key is configured (or none with the requested id).
    #[error("no blind-index key {0:?} is configured")]
    NoIndexKey(String),
}

/// The configured data keys.
#[derive(Clone)]
pub struct Keyring {
    keys: HashMap<String, Aes256Gcm>,
    active: String,
    /// Blind-index keys in configuration order (secret HMAC states only).
    index: Vec<(String, HmacSha256)>,
    index_active: Option<String>,
}

impl fmt::Debug for Keyring {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut ids: Vec<&String> = self.keys.keys().collect();
        ids.sort();
        f.debug_struct("Keyring")
            .field("ids", &ids)
            .field("active", &self.active)
            .field("index_ids", &self.index_key_ids())
            .field("index_active", &self.index_active)
            .finish()
    }
}

impl Keyring {
    /// Parses `id:base64key[,id:base64key…]` and the active key id.
    pub fn parse(keys: &str, active: &str) -> Result<Self, CryptoError> {
        let mut ring = HashMap::new();
        for (id, bytes) in parse_entries(keys)? {
            if bytes.len() != 32 {
                return Err(CryptoError::Config(format!(
                    "key {id}: must be 32 bytes, is {}",
                    bytes.len()
                )));
            }
            let cipher = Aes256Gcm::new_from_slice(&bytes)
                .map_err(|_| CryptoError::Config(format!("key {id}: unusable")))?;
            ring.insert(id, cipher);
        }
        if !ring.contains_key(active) {
            return Err(CryptoError::Config(format!(
                "the active key {active:?} is not among the keys"
            )));
        }
        Ok(Self {
            keys: ring,
            active: active.to_owned(),
            index: Vec::new(),
            index_active: None,
        })
    }

    /// Adds the blind-index keys, `id:base64(at least 32 bytes)` comma-separated, and the
    /// id of the one new indexes are computed with.
    pub fn with_index_keys(mut self, keys: &str, active: &str) -> Result<Self, CryptoError> {
        let mut index: Vec<(String, HmacSha256)> = Vec::new();
        for (id, bytes) in parse_entries(keys)? {
            if bytes.len() < 32 {
                return Err(CryptoError::Config(format!(
                    "index key {id}: must be at least 32 bytes, is {}",
                    bytes.len()
                )));
            }
            if index.iter().any(|(known, _)| *known == id) {
                return Err(CryptoError::Config(format!("index key {id}: listed twice")));
            }
            let mac = <HmacSha256 as Mac>::new_from_slice(&bytes)
                .map_err(|_| CryptoError::Config(format!("index key {id}: unusable")))?;
            index.push((id, mac));
        }
        if !index.iter().any(|(id, _)| id == active) {
            return Err(CryptoError::Config(format!(
                "the active index key {active:?} is not among the index keys"
            )));
        }
        self.index = index;
        self.index_active = Some(active.to_owned());
        Ok(self)
    }

    /// The ids of every configured data key, sorted.
    pub fn data_key_ids(&self) -> Vec<&str> {
        let mut ids: Vec<&str> = self.keys.keys().map(String::as_str).collect();
        ids.sort_unstable();
        ids
    }

    /// The ids of every configured blind-index key, in configuration order.
    pub fn index_key_ids(&self) -> Vec<&str> {
        self.index.iter().map(|(id, _)| id.as_str()).collect()
    }

    /// The id of the index key new blind indexes are computed with.
    pub fn index_active_id(&self) -> Option<&str> {
        self.index_active.as_deref()
    }

    /// `hex(HMAC-SHA256(index key, id_digits))` under the key `key_id`.
    pub fn blind_index_with(&self, key_id: &str, id_digits: &str) -> Result<String, CryptoError> {
        let (_, mac) = self
            .index
            .iter()
            .find(|(id, _)| id == key_id)
            .ok_or_else(|| CryptoError::NoIndexKey(key_id.to_owned()))?;
        let mut mac = mac.clone();
        mac.update(id_digits.as_bytes());
        Ok(hex::encode(mac.finalize().into_bytes()))
    }

    /// The blind index of a (validated) ID under the active index key: (key id, hex).
    pub fn blind_index(&self, id_digits: &str) -> Result<(String, String), CryptoError> {
        let active = self
            .index_active
            .clone()
            .ok_or_else(|| CryptoError::NoIndexKey(String::new()))?;
        let value = self.blind_index_with(&active, id_digits)?;
        Ok((active, value))
    }

    /// The blind index of an ID under every configured index key, for lookups while rows
    /// indexed under an older key remain: (key id, hex) pairs.
    pub fn blind_indexes(&self, id_digits: &str) -> Vec<(String, String)> {
        self.index
            .iter()
            .map(|(id, mac)| {
                let mut mac = mac.clone();
                mac.update(id_digits.as_bytes());
                (id.clone(), hex::encode(mac.finalize().into_bytes()))
            })
            .collect()
    }

    /// Re-seals a value under the active key: `None` when it already is, otherwise the
    /// new (key id, blob). The plaintext lives only inside this call.
    pub fn reseal(
        &self,
        key_id: &str,
        blob: &[u8],
        aad: &[u8],
    ) -> Result<Option<(String, Vec<u8>)>, CryptoError> {
        if key_id == self.active {
            return Ok(None);
        }
        let plain = self.open(key_id, blob, aad)?;
        self.seal(&plain, aad).map(Some)
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

/// Splits `id:base64[,id:base64…]` into ids and decoded bytes (errors never quote keys).
fn parse_entries(keys: &str) -> Result<Vec<(String, Vec<u8>)>, CryptoError> {
    let mut out = Vec::new();
    for entry in keys.split(',').map(str::trim).filter(|e| !e.is_empty()) {
        let (id, b64) = entry
            .split_once(':')
            .ok_or_else(|| CryptoError::Config("expected id:base64key".into()))?;
        let id = id.trim();
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(b64.trim())
            .map_err(|_| CryptoError::Config(format!("key {id}: not base64")))?;
        out.push((id.to_owned(), bytes));
    }
    Ok(out)
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
#[path = "crypto_tests.rs"]
mod tests;
