//! Classified lookup failures.
//!
//! Every failure lands in one of three classes the pipeline acts on
//! differently: retry later (`Transient`, and `CircuitOpen` when the
//! resilience layer refuses to call a failing service at all), route the
//! dossier to manual handling because this agency/officer may not look the
//! citizen up (`NotAuthorised`), or give up on this request (`Permanent`).
//! Reasons never contain personal data or response payloads.

use std::time::Duration;

/// Why a population-database lookup failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LookupError {
    /// Timeout, connection failure, HTTP 5xx or 429: the same request may succeed later.
    #[error("population database temporarily unavailable: {reason}")]
    Transient {
        /// What went wrong (no personal data).
        reason: String,
        /// Server-requested delay from `Retry-After`, when given in seconds.
        retry_after: Option<Duration>,
    },
    /// The lookup is refused for this procedure or officer (vendor codes `004`
    /// procedure not licensed, `005` officer not permitted) or for our
    /// credentials (HTTP 401/403, code `"401"`/`"403"`).
    #[error("population database lookup not authorised (code {code}): {reason}")]
    NotAuthorised {
        /// Vendor error code (`004`, `005`) or HTTP status (`401`, `403`).
        code: String,
        /// Human-readable explanation (no personal data).
        reason: String,
    },
    /// Any other 4xx, an invalid request, or a malformed response: retrying will not help.
    #[error("population database lookup failed permanently: {reason}")]
    Permanent {
        /// What went wrong (no personal data).
        reason: String,
    },
    /// The circuit breaker is open: the service failed too often recently, so
    /// the lookup was refused without calling it. Transient: try again later,
    /// no sooner than `retry_in` (pause, don't dead-letter).
    #[error("population database circuit open: not called, retry in {} ms", retry_in.as_millis())]
    CircuitOpen {
        /// Time until the breaker lets a probe call through.
        retry_in: Duration,
    },
}

impl LookupError {
    /// A transient failure without a server-requested delay.
    pub fn transient(reason: impl Into<String>) -> Self {
        Self::Transient {
            reason: reason.into(),
            retry_after: None,
        }
    }

    /// A permanent failure.
    pub fn permanent(reason: impl Into<String>) -> Self {
        Self::Permanent {
            reason: reason.into(),
        }
    }

    /// Whether retrying the same request later may succeed.
    pub fn is_transient(&self) -> bool {
        matches!(self, Self::Transient { .. } | Self::CircuitOpen { .. })
    }

    /// Metric label: `"transient"`, `"not_authorised"`, `"permanent"` or `"circuit_open"`.
    pub fn class(&self) -> &'static str {
        match self {
            Self::Transient { .. } => "transient",
            Self::NotAuthorised { .. } => "not_authorised",
            Self::Permanent { .. } => "permanent",
            Self::CircuitOpen { .. } => "circuit_open",
        }
    }

    /// The delay before retrying, if known: the server's `Retry-After`, or
    /// the time until an open circuit lets a probe through.
    pub fn retry_after(&self) -> Option<Duration> {
        match self {
            Self::Transient { retry_after, .. } => *retry_after,
            Self::CircuitOpen { retry_in } => Some(*retry_in),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classes_and_transience() {
        let t = LookupError::Transient {
            reason: "HTTP 503".into(),
            retry_after: Some(Duration::from_secs(2)),
        };
        let n = LookupError::NotAuthorised {
            code: "004".into(),
            reason: "procedure not licensed".into(),
        };
        let p = LookupError::permanent("HTTP 400");
        assert_eq!(
            [t.class(), n.class(), p.class()],
            ["transient", "not_authorised", "permanent"]
        );
        assert!(t.is_transient() && !n.is_transient() && !p.is_transient());
        assert_eq!(t.retry_after(), Some(Duration::from_secs(2)));
        assert_eq!(p.retry_after(), None);
        assert!(n.to_string().contains("004"));
    }

    #[test]
    fn circuit_open_is_transient_with_its_own_class() {
        let c = LookupError::CircuitOpen {
            retry_in: Duration::from_millis(1500),
        };
        assert!(c.is_transient());
        assert_eq!(c.class(), "circuit_open");
        assert_eq!(c.retry_after(), Some(Duration::from_millis(1500)));
        assert_eq!(
            c.to_string(),
            "population database circuit open: not called, retry in 1500 ms"
        );
    }
}
