//! Agencies' pull-API bearer tokens and the pull cursor.
//!
//! A token is issued once by `dossierflow agency-token`; only its SHA-256 digest is
//! stored (`agency_endpoint.token_sha256`). A request is allowed for an agency when the
//! digest of the presented token equals that agency's stored digest, compared in
//! constant time. A token that belongs to another agency is `403`; a missing token or one
//! that belongs to no agency is `401`.

use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, Utc};
use sqlx::PgPool;
use uuid::Uuid;

use super::api::error;
use super::auth::{PortalAuth, challenge};

/// Why an agency request is not allowed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Denied {
    /// No bearer token, or one no agency holds.
    Unauthenticated,
    /// A valid token of another agency (or of no agency with this id).
    Forbidden,
}

impl Denied {
    /// The error response.
    pub fn response(self) -> Response {
        match self {
            Denied::Unauthenticated => challenge("send Authorization: Bearer <agency token>"),
            Denied::Forbidden => error(
                StatusCode::FORBIDDEN,
                "forbidden",
                "this token is not allowed for this agency",
                vec![],
            ),
        }
    }
}

/// The bearer token of a request, if any.
pub fn bearer(headers: &HeaderMap) -> Option<&str> {
    let token = headers
        .get("authorization")?
        .to_str()
        .ok()?
        .strip_prefix("Bearer ")?
        .trim();
    (!token.is_empty()).then_some(token)
}

/// Whether two digests are equal, looking at every byte whatever the first difference.
pub fn digests_equal(a: &str, b: &str) -> bool {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// Checks that the request's token is `agency`'s.
pub async fn authorize(
    pool: &PgPool,
    headers: &HeaderMap,
    agency: &str,
) -> Result<Result<(), Denied>, sqlx::Error> {
    let Some(token) = bearer(headers) else {
        return Ok(Err(Denied::Unauthenticated));
    };
    let presented = PortalAuth::digest_hex(token);
    let stored: Option<Option<String>> =
        sqlx::query_scalar("SELECT token_sha256 FROM agency_endpoint WHERE agency_id = $1")
            .bind(agency)
            .fetch_optional(pool)
            .await?;
    if let Some(Some(stored)) = stored
        && digests_equal(&stored, &presented)
    {
        return Ok(Ok(()));
    }
    Ok(Err(match holder(pool, &presented).await? {
        Some(_) => Denied::Forbidden,
        None => Denied::Unauthenticated,
    }))
}

/// The agency holding the request's token.
pub async fn caller(
    pool: &PgPool,
    headers: &HeaderMap,
) -> Result<Result<String, Denied>, sqlx::Error> {
    let Some(token) = bearer(headers) else {
        return Ok(Err(Denied::Unauthenticated));
    };
    Ok(holder(pool, &PortalAuth::digest_hex(token))
        .await?
        .ok_or(Denied::Unauthenticated))
}

/// The agency whose stored digest is `digest`. Looking up a digest (not a token) reveals
/// nothing usable through timing: finding a matching digest means knowing the token.
async fn holder(pool: &PgPool, digest: &str) -> Result<Option<String>, sqlx::Error> {
    sqlx::query_scalar("SELECT agency_id FROM agency_endpoint WHERE token_sha256 = $1")
        .bind(digest)
        .fetch_optional(pool)
        .await
}

/// Declares the agencies' bearer token for the endpoints that require it.
pub struct AgencyTokenScheme;

impl utoipa::Modify for AgencyTokenScheme {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::security::{Http, HttpAuthScheme, SecurityScheme};
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "agency_token",
            SecurityScheme::Http(Http::new(HttpAuthScheme::Bearer)),
        );
    }
}

/// A position in an agency's feed: after this reception time and dossier id.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cursor {
    /// Reception time of the last dossier read.
    pub received_at: DateTime<Utc>,
    /// Its id (ties on the same microsecond).
    pub id: Uuid,
}

impl Cursor {
    /// The opaque form given to clients.
    pub fn encode(&self) -> String {
        URL_SAFE_NO_PAD.encode(format!(
            "{}.{}",
            self.received_at.timestamp_micros(),
            self.id
        ))
    }

    /// Parses what [`Cursor::encode`] produced.
    pub fn decode(s: &str) -> Option<Cursor> {
        let raw = String::from_utf8(URL_SAFE_NO_PAD.decode(s).ok()?).ok()?;
        let (micros, id) = raw.split_once('.')?;
        Some(Cursor {
            received_at: DateTime::from_timestamp_micros(micros.parse().ok()?)?,
            id: Uuid::parse_str(id).ok()?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursor_round_trips_and_rejects_garbage() {
        let c = Cursor {
            received_at: DateTime::from_timestamp_micros(1_780_000_000_123_456).expect("time"),
            id: Uuid::now_v7(),
        };
        assert_eq!(Cursor::decode(&c.encode()), Some(c));
        assert_eq!(Cursor::decode("not a cursor"), None);
        assert_eq!(Cursor::decode(&URL_SAFE_NO_PAD.encode("12.nope")), None);
    }

    #[test]
    fn bearer_and_digest_comparison() {
        let mut h = HeaderMap::new();
        assert_eq!(bearer(&h), None);
        h.insert("authorization", "Bearer abc".parse().expect("header"));
        assert_eq!(bearer(&h), Some("abc"));
        h.insert("authorization", "Basic abc".parse().expect("header"));
        assert_eq!(bearer(&h), None);
        let d = PortalAuth::digest_hex("abc");
        assert!(digests_equal(&d, &PortalAuth::digest_hex("abc")));
        assert!(!digests_equal(&d, &PortalAuth::digest_hex("abd")));
        assert!(!digests_equal(&d, ""));
    }
}
