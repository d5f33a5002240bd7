//! Portal clients' bearer tokens (stored as SHA-256 digests, compared in constant time)
//! and the per-officer lookup rate limit.

use std::num::NonZeroU32;
use std::time::Duration;

use axum::http::HeaderMap;
use governor::clock::{Clock, DefaultClock};
use governor::state::keyed::HashMapStateStore;
use governor::{Quota, RateLimiter};
use sha2::{Digest, Sha256};

/// The portal clients allowed to call the lookup endpoint.
#[derive(Debug, Clone, Default)]
pub struct PortalAuth {
    clients: Vec<(String, [u8; 32])>,
}

impl PortalAuth {
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

/// Lookups per minute allowed to each (portal client, officer).
pub struct OfficerLimit {
    limiter: RateLimiter<String, HashMapStateStore<String>, DefaultClock>,
    clock: DefaultClock,
}

impl OfficerLimit {
    /// `per_minute` lookups, with a burst of the same size.
    pub fn per_minute(per_minute: u32) -> Self {
        let n = NonZeroU32::new(per_minute.max(1)).unwrap_or(NonZeroU32::MIN);
        Self {
            limiter: RateLimiter::hashmap(Quota::per_minute(n)),
            clock: DefaultClock::default(),
        }
    }

    /// `Err(wait)` when `key` has used its quota.
    pub fn check(&self, key: &str) -> Result<(), Duration> {
        self.limiter
            .check_key(&key.to_owned())
            .map_err(|not_until| not_until.wait_time_from(self.clock.now()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bearer(token: &str) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert(
            "authorization",
            format!("Bearer {token}").parse().expect("header"),
        );
        h
    }

    #[test]
    fn tokens_are_checked_against_their_digests() {
        let spec = format!(
            "portal:{},kiosk:{}",
            PortalAuth::digest_hex("s3cret"),
            PortalAuth::digest_hex("other")
        );
        let auth = PortalAuth::parse(&spec).expect("spec");
        assert_eq!(
            auth.authenticate(&bearer("s3cret")).as_deref(),
            Some("portal")
        );
        assert_eq!(
            auth.authenticate(&bearer("other")).as_deref(),
            Some("kiosk")
        );
        assert_eq!(auth.authenticate(&bearer("s3cre")), None);
        assert_eq!(auth.authenticate(&HeaderMap::new()), None);
        assert!(PortalAuth::parse("portal:nothex").is_err());
        assert!(PortalAuth::parse("portal").is_err());
    }

    #[test]
    fn each_officer_has_its_own_quota() {
        let limit = OfficerLimit::per_minute(2);
        assert!(limit.check("p/a").is_ok());
        assert!(limit.check("p/a").is_ok());
        assert!(limit.check("p/a").is_err(), "third lookup in the minute");
        assert!(
            limit.check("p/b").is_ok(),
            "another officer is not affected"
        );
    }
}
