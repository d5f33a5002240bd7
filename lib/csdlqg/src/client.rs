//! The SOAP adapter: [`PopulationRegistry`] over HTTP with reqwest.
//!
//! One attempt per call, bounded by [`SoapConfig::timeout`]; retries, rate
//! limits and circuit breaking belong to the caller. Signs each request the way
//! the direct C06 path expects: `Timestamp` (epoch ms) and
//! `Authorization: Basic base64(username:hex(sha256(url + username + timestamp + secret)))`.
//! Logs carry the request id, procedure code and masked ID only.

use std::fmt;
use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use reqwest::Url;
use reqwest::header::{AUTHORIZATION, CONTENT_TYPE, HeaderMap, RETRY_AFTER};
use sha2::{Digest, Sha256};

use crate::wire::request::{self, Caller};
use crate::{CitizenRecord, LookupError, LookupRequest, PopulationRegistry, classify};

/// Connection settings for the CSDLQG SOAP endpoint.
#[derive(Clone)]
pub struct SoapConfig {
    /// Full endpoint URL (also signed into `Authorization`).
    pub endpoint: Url,
    /// `MaTichHop`: integration-service code, `037` by default.
    pub ma_tich_hop: String,
    /// `MaDonVi`: our agency e-identifier.
    pub ma_don_vi: String,
    /// `MaCanBo`: officer on whose behalf lookups are made.
    pub ma_can_bo: String,
    /// Basic-auth user name.
    pub username: String,
    /// Shared secret hashed into `Authorization` (never sent, never logged).
    pub secret: String,
    /// `X-Road-Client` header value.
    pub x_road_client: String,
    /// `ApiKey` header value (never logged).
    pub api_key: String,
    /// Per-attempt timeout covering connect, send and reading the body.
    pub timeout: Duration,
}

impl SoapConfig {
    /// A config with `MaTichHop = "037"`, a 10 s timeout and empty credentials.
    pub fn new(endpoint: Url) -> Self {
        Self {
            endpoint,
            ma_tich_hop: "037".into(),
            ma_don_vi: String::new(),
            ma_can_bo: String::new(),
            username: String::new(),
            secret: String::new(),
            x_road_client: String::new(),
            api_key: String::new(),
            timeout: Duration::from_secs(10),
        }
    }
}

impl fmt::Debug for SoapConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SoapConfig")
            .field("endpoint", &self.endpoint.as_str())
            .field("ma_tich_hop", &self.ma_tich_hop)
            .field("ma_don_vi", &self.ma_don_vi)
            .field("ma_can_bo", &self.ma_can_bo)
            .field("username", &self.username)
            .field("secret", &"<redacted>")
            .field("x_road_client", &self.x_road_client)
            .field("api_key", &"<redacted>")
            .field("timeout", &self.timeout)
            .finish()
    }
}

/// The `Authorization` header value for one request.
pub fn authorization(url: &str, username: &str, timestamp_ms: i64, secret: &str) -> String {
    let digest = Sha256::digest(format!("{url}{username}{timestamp_ms}{secret}").as_bytes());
    let hex: String = digest.iter().map(|b| format!("{b:02x}")).collect();
    format!("Basic {}", STANDARD.encode(format!("{username}:{hex}")))
}

/// CSDLQG client speaking SOAP 1.1 to one endpoint.
#[derive(Debug, Clone)]
pub struct SoapClient {
    cfg: SoapConfig,
    http: reqwest::Client,
}

impl SoapClient {
    /// Builds the HTTP client. Fails (`Permanent`) on an unusable configuration.
    pub fn new(cfg: SoapConfig) -> Result<Self, LookupError> {
        check_integration_code(&cfg.ma_tich_hop)?;
        if cfg.timeout.is_zero() {
            return Err(LookupError::permanent("timeout must be positive"));
        }
        let http = reqwest::Client::builder()
            .timeout(cfg.timeout)
            .connect_timeout(cfg.timeout)
            .build()
            .map_err(|_| LookupError::permanent("cannot build the HTTP client"))?;
        Ok(Self { cfg, http })
    }

    fn headers(&self) -> Result<HeaderMap, LookupError> {
        let timestamp = chrono::Utc::now().timestamp_millis();
        let auth = authorization(
            self.cfg.endpoint.as_str(),
            &self.cfg.username,
            timestamp,
            &self.cfg.secret,
        );
        let mut headers = HeaderMap::new();
        let pairs: [(&str, &str); 5] = [
            ("Timestamp", &timestamp.to_string()),
            (AUTHORIZATION.as_str(), &auth),
            ("X-Road-Client", &self.cfg.x_road_client),
            ("ApiKey", &self.cfg.api_key),
            (CONTENT_TYPE.as_str(), "application/xml"),
        ];
        for (name, value) in pairs {
            let name = reqwest::header::HeaderName::from_bytes(name.as_bytes())
                .map_err(|_| LookupError::permanent("invalid header name"))?;
            // The error names the header only: values are credentials.
            let value = reqwest::header::HeaderValue::from_str(value).map_err(|_| {
                LookupError::permanent(format!("header {name} has an invalid value"))
            })?;
            headers.insert(name, value);
        }
        Ok(headers)
    }
}

/// Checks the request fields both adapters send, before any I/O.
pub(crate) fn validate(req: &LookupRequest) -> Result<(), LookupError> {
    if req.request_id.is_empty() || req.request_id.chars().count() > 40 {
        return Err(LookupError::permanent("MaYeuCau must be 1-40 characters"));
    }
    if req.procedure_code.is_empty() || req.procedure_code.chars().count() > 20 {
        return Err(LookupError::permanent("MaDVC must be 1-20 characters"));
    }
    if req.name.as_str().chars().count() > 100 {
        return Err(LookupError::permanent("HoVaTen longer than 100 characters"));
    }
    Ok(())
}

/// Classifies a reqwest failure (no URL or payload in the reason).
pub(crate) fn transport_error(e: &reqwest::Error, timeout: Duration) -> LookupError {
    if e.is_timeout() {
        LookupError::transient(format!("no answer within {} ms", timeout.as_millis()))
    } else if e.is_connect() {
        LookupError::transient("cannot connect to the population database")
    } else if e.is_builder() {
        LookupError::permanent("cannot build the HTTP request")
    } else {
        LookupError::transient("transport error talking to the population database")
    }
}

/// Logs one lookup's outcome: request id, procedure, masked ID, class, never values.
pub(crate) fn log_outcome(
    req: &LookupRequest,
    result: &Result<Option<CitizenRecord>, LookupError>,
    elapsed: Duration,
) {
    let elapsed_ms = u64::try_from(elapsed.as_millis()).unwrap_or(u64::MAX);
    match result {
        Ok(found) => tracing::debug!(
            request_id = %req.request_id,
            procedure_code = %req.procedure_code,
            id = %req.id.masked(),
            found = found.is_some(),
            elapsed_ms,
            "Population database lookup answered."
        ),
        // Transient failures are retried by the resilience layer, which reports what
        // matters (breaker, budget); one line per failed attempt would flood the log.
        Err(e) if e.is_transient() => tracing::debug!(
            request_id = %req.request_id,
            procedure_code = %req.procedure_code,
            class = e.class(),
            error = %e,
            elapsed_ms,
            "Population database lookup failed; it may be retried."
        ),
        Err(e) => tracing::warn!(
            request_id = %req.request_id,
            procedure_code = %req.procedure_code,
            id = %req.id.masked(),
            class = e.class(),
            error = %e,
            elapsed_ms,
            "Population database lookup failed."
        ),
    }
}

/// `MaTichHop` must be 1–20 digits.
pub(crate) fn check_integration_code(code: &str) -> Result<(), LookupError> {
    if code.is_empty() || code.len() > 20 || !code.bytes().all(|b| b.is_ascii_digit()) {
        return Err(LookupError::permanent("MaTichHop must be 1-20 digits"));
    }
    Ok(())
}

#[async_trait::async_trait]
impl PopulationRegistry for SoapClient {
    async fn lookup(&self, req: &LookupRequest) -> Result<Option<CitizenRecord>, LookupError> {
        validate(req)?;
        let caller = Caller {
            integration: &self.cfg.ma_tich_hop,
            agency: &self.cfg.ma_don_vi,
            officer: &self.cfg.ma_can_bo,
        };
        let body = request::build(req, caller);
        let started = std::time::Instant::now();
        let result = async {
            let response = self
                .http
                .post(self.cfg.endpoint.clone())
                .headers(self.headers()?)
                .body(body)
                .send()
                .await
                .map_err(|e| transport_error(&e, self.cfg.timeout))?;
            let (status, retry_after, text) = read_response(response, self.cfg.timeout).await?;
            classify::classify(status, retry_after.as_deref(), &text, req.id.as_str())
        }
        .await;
        log_outcome(req, &result, started.elapsed());
        result
    }
}

/// Status, `Retry-After` and body of an answer, shared by both adapters.
pub(crate) async fn read_response(
    response: reqwest::Response,
    timeout: std::time::Duration,
) -> Result<(reqwest::StatusCode, Option<String>, String), LookupError> {
    let status = response.status();
    let retry_after = response
        .headers()
        .get(RETRY_AFTER)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let text = response
        .text()
        .await
        .map_err(|e| transport_error(&e, timeout))?;
    Ok((status, retry_after, text))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn authorization_is_basic_user_and_hex_sha256() {
        let value = authorization("http://h/x", "user", 1_700_000_000_000, "s3cret");
        let encoded = value.strip_prefix("Basic ").unwrap();
        let decoded = String::from_utf8(STANDARD.decode(encoded).unwrap()).unwrap();
        let (user, hash) = decoded.split_once(':').unwrap();
        assert_eq!(user, "user");
        let expected = Sha256::digest(b"http://h/xuser1700000000000s3cret");
        let expected: String = expected.iter().map(|b| format!("{b:02x}")).collect();
        assert_eq!(hash, expected);
        assert_eq!(hash.len(), 64);
        assert!(!value.contains("s3cret"));
    }

    #[test]
    fn config_debug_hides_secrets_and_bad_config_is_refused() {
        let mut cfg = SoapConfig::new(Url::parse("http://127.0.0.1:1/").unwrap());
        cfg.secret = "top-secret".into();
        cfg.api_key = "key-123".into();
        let shown = format!("{cfg:?}");
        assert!(
            !shown.contains("top-secret") && !shown.contains("key-123"),
            "{shown}"
        );
        assert_eq!(cfg.ma_tich_hop, "037");
        cfg.ma_tich_hop = "03a".into();
        assert_eq!(SoapClient::new(cfg).unwrap_err().class(), "permanent");
    }
}
