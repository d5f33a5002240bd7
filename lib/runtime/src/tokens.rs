//! Bearer tokens kept as SHA-256 digests (never the tokens), compared in constant time.
//!
//! Used for the portal clients of the intake API and for notification providers posting
//! delivery receipts. Configure `name:sha256hex[,name:sha256hex…]`; compute a digest with
//! `printf %s TOKEN | sha256sum`.

use axum::http::HeaderMap;
use sha2::{Digest, Sha256};

/// Named clients' bearer tokens, kept as SHA-256 digests (portal clients, delivery-receipt
/// senders).
#[derive(Debug, Clone, Default)]
pub struct BearerDigests {
    clients: Vec<(String, [u8; 32])>,
}

impl BearerDigests {
    /// Parses `name:sha256hex[,name:sha256hex…]` (digests of the tokens, never tokens).
    pub fn parse(spec: &str) -> Result<Self, String> {
        let mut clients = vec![];
        for entry in spec.split(',').map(str::trim).filter(|e| !e.is_empty()) {
            let (name, hex) = entry
                .split_once(':')
                .ok_or_else(|| format!("{entry:?}: expected name:sha256hex"))?;
            let bytes: Vec<u8> = (0..hex.len())
                .step_by(2)
                .map(|i| {
                    hex.get(i..i + 2)
                        .and_then(|b| u8::from_str_radix(b, 16).ok())
                })
                .collect::<Option<_>>()
                .ok_or_else(|| format!("client {name}: the digest is not hex"))?;
            let digest: [u8; 32] = bytes
                .try_into()
                .map_err(|_| format!("client {name}: the digest must be 64 hex digits"))?;
            clients.push((name.to_owned(), digest));
        }
        Ok(Self { clients })
    }

    /// The SHA-256 digest of a token, as configured (`printf %s TOKEN | sha256sum`).
    pub fn digest_hex(token: &str) -> String {
        Sha256::digest(token.as_bytes())
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect()
    }

    /// The client whose token the request bears. Every configured digest is compared in
    /// full, so timing does not reveal which one (nor how much of one) matched.
    pub fn authenticate(&self, headers: &HeaderMap) -> Option<String> {
        let token = headers
            .get("authorization")?
            .to_str()
            .ok()?
            .strip_prefix("Bearer ")?;
        let presented = Sha256::digest(token.trim().as_bytes());
        let mut found = None;
        for (name, digest) in &self.clients {
            let diff = digest
                .iter()
                .zip(presented.iter())
                .fold(0u8, |acc, (a, b)| acc | (a ^ b));
            if diff == 0 {
                found = Some(name.clone());
            }
        }
        found
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_a_configured_token_authenticates_and_names_its_client() {
        let spec = format!(
            "sms:{},zalo:{}",
            BearerDigests::digest_hex("s3cret"),
            BearerDigests::digest_hex("other")
        );
        let auth = BearerDigests::parse(&spec).expect("parse");
        let mut h = HeaderMap::new();
        h.insert("authorization", "Bearer s3cret".parse().expect("header"));
        assert_eq!(auth.authenticate(&h).as_deref(), Some("sms"));
        h.insert("authorization", "Bearer s3cre".parse().expect("header"));
        assert_eq!(auth.authenticate(&h), None);
        h.remove("authorization");
        assert_eq!(auth.authenticate(&h), None);
        assert!(BearerDigests::parse("sms:zz").is_err());
        assert!(BearerDigests::parse("sms").is_err());
    }
}
