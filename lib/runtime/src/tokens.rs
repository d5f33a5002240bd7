//! Bearer tokens kept as SHA-256 digests (never the tokens), compared in constant time.
//!
//! Used for the portal clients of the intake API, for notification providers posting
//! delivery receipts and for scrapers of the admin port's `/metrics`. Configure
//! `name:sha256hex[,name:sha256hex…]`; compute a digest with `printf %s TOKEN | sha256sum`.
//! A name may appear several times: during a rotation the old and the new token are both
//! configured under the client's name, and the old one is removed once unused.

use axum::http::HeaderMap;
use sha2::{Digest, Sha256};

/// Named clients' bearer tokens, kept as SHA-256 digests (portal clients, delivery-receipt
/// senders, metrics scrapers). `Debug` shows the client names only.
#[derive(Clone, Default)]
pub struct BearerDigests {
    clients: Vec<(String, [u8; 32])>,
}

impl std::fmt::Debug for BearerDigests {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BearerDigests")
            .field("clients", &self.names())
            .finish()
    }
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
            if name.trim().is_empty() {
                return Err(format!("{entry:?}: the client name is empty"));
            }
            clients.push((name.trim().to_owned(), digest));
        }
        Ok(Self { clients })
    }

    /// Whether no client is configured (then nobody authenticates).
    pub fn is_empty(&self) -> bool {
        self.clients.is_empty()
    }

    /// The configured client names, each once, in configuration order.
    pub fn names(&self) -> Vec<&str> {
        let mut names: Vec<&str> = vec![];
        for (name, _) in &self.clients {
            if !names.contains(&name.as_str()) {
                names.push(name);
            }
        }
        names
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

/// A secret setting (a token, a password): its `Debug` and `Display` never show it.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    /// The secret itself, for the one place that sends it.
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// Whether it is empty (not configured).
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl From<String> for Secret {
    fn from(s: String) -> Self {
        Self(s)
    }
}

impl std::str::FromStr for Secret {
    type Err = std::convert::Infallible;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Ok(Self(s.to_owned()))
    }
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(if self.0.is_empty() {
            "\"\""
        } else {
            "\"[redacted]\""
        })
    }
}

impl std::fmt::Display for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        std::fmt::Debug::fmt(self, f)
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
        assert!(BearerDigests::parse(&format!(":{}", BearerDigests::digest_hex("x"))).is_err());
    }

    #[test]
    fn secrets_never_print() {
        let s: Secret = "hunter2".parse().expect("secret");
        assert_eq!(s.expose(), "hunter2");
        assert!(!format!("{s:?} {s}").contains("hunter2"));
        assert!(Secret::default().is_empty());
    }

    #[test]
    fn a_rotating_client_has_two_valid_tokens_under_one_name() {
        let spec = format!(
            "portal:{}, portal:{}",
            BearerDigests::digest_hex("old"),
            BearerDigests::digest_hex("new")
        );
        let auth = BearerDigests::parse(&spec).expect("parse");
        let mut h = HeaderMap::new();
        for token in ["old", "new"] {
            h.insert(
                "authorization",
                format!("Bearer {token}").parse().expect("header"),
            );
            assert_eq!(auth.authenticate(&h).as_deref(), Some("portal"), "{token}");
        }
        assert_eq!(auth.names(), vec!["portal"]);
        assert!(!auth.is_empty());
        assert!(BearerDigests::parse("").expect("empty").is_empty());
        // Debug never prints digests.
        assert!(!format!("{auth:?}").contains(&BearerDigests::digest_hex("old")));
    }
}
