//! Classified lookup failures.
//!
//! Every failure lands in one of three classes the pipeline acts on
//! differently: retry later (`Transient`), route the dossier to manual handling
//! because this agency/officer may not look the citizen up (`NotAuthorised`),
//! or give up on this request (`Permanent`). Reasons never contain personal data
//! or response payloads.

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
        matches!(self, Self::Transient { .. })
    }

    /// Metric label: `"transient"`, `"not_authorised"` or `"permanent"`.
    pub fn class(&self) -> &'static str {
        match self {
            Self::Transient { .. } => "transient",
            Self::NotAuthorised { .. } => "not_authorised",
            Self::Permanent { .. } => "permanent",
        }
    }

    /// The server-requested delay before retrying, if any.
    pub fn retry_after(&self) -> Option<Duration> {
        match self {
            Self::Transient { retry_after, .. } => *retry_after,
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
}
