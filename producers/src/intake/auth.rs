//! Portal clients' bearer tokens (stored as SHA-256 digests, compared in constant time)
//! and the per-officer lookup rate limit.

use std::num::NonZeroU32;
use std::time::Duration;

use governor::clock::{Clock, DefaultClock};
use governor::state::keyed::HashMapStateStore;
use governor::{Quota, RateLimiter};

pub use dossierflow_runtime::tokens::BearerDigests as PortalAuth;

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
    use axum::http::HeaderMap;

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
