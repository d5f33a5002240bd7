//! The province-gateway JSON adapter: [`PopulationRegistry`] over the LGSP's
//! REST form of `TraCuuThongTinCongDan`.
//!
//! `POST {endpoint}/v1/tra-cuu-cong-dan` with `Authorization: Bearer <token>`
//! and a camelCase JSON body; the answer is `{"congDan": [...]}` (empty = not
//! found) or `{"maLoi": "004", "moTa": "…"}`. Classification is the SOAP
//! client's (`classify`): timeout, connection failure, 5xx and 429 (with
//! `Retry-After`) are transient; vendor codes `004`/`005` and HTTP 401/403 are
//! not authorised; any other 4xx or a malformed body is permanent. One attempt
//! per call, bounded by [`GatewayConfig::timeout`]; retries belong to the
//! caller. The token is never logged, and logs carry the request id, procedure
//! code and masked ID only.

use std::fmt;
use std::time::{Duration, Instant};

use reqwest::Url;
use reqwest::header::{AUTHORIZATION, HeaderValue};

use crate::client::{
    check_integration_code, log_outcome, read_response, transport_error, validate,
};
use crate::wire::json;
use crate::wire::request::Caller;
use crate::{CitizenRecord, LookupError, LookupRequest, PopulationRegistry, classify};

/// Path appended to [`GatewayConfig::endpoint`].
pub const LOOKUP_PATH: [&str; 2] = ["v1", "tra-cuu-cong-dan"];

/// Connection settings for a province gateway.
#[derive(Clone)]
pub struct GatewayConfig {
    /// Gateway base URL; the lookup goes to `{endpoint}/v1/tra-cuu-cong-dan`.
    pub endpoint: Url,
    /// Bearer token issued by the gateway (never logged).
    pub bearer_token: String,
    /// Per-attempt timeout covering connect, send and reading the body.
    pub timeout: Duration,
    /// `maDonVi`: our agency e-identifier.
    pub ma_don_vi: String,
    /// `maCanBo`: officer on whose behalf lookups are made.
    pub ma_can_bo: String,
    /// `maTichHop`: integration-service code (`037` in deployed code).
    pub ma_tich_hop: String,
}

impl GatewayConfig {
    /// A config with `maTichHop = "037"`, a 10 s timeout and empty agency and officer.
    pub fn new(endpoint: Url, bearer_token: impl Into<String>) -> Self {
        Self {
            endpoint,
            bearer_token: bearer_token.into(),
            timeout: Duration::from_secs(10),
            ma_don_vi: String::new(),
            ma_can_bo: String::new(),
            ma_tich_hop: "037".into(),
        }
    }
}

impl fmt::Debug for GatewayConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("GatewayConfig")
            .field("endpoint", &self.endpoint.as_str())
            .field("bearer_token", &"<redacted>")
            .field("timeout", &self.timeout)
            .field("ma_don_vi", &self.ma_don_vi)
            .field("ma_can_bo", &self.ma_can_bo)
            .field("ma_tich_hop", &self.ma_tich_hop)
            .finish()
    }
}

/// CSDLQG client speaking the province gateway's JSON API.
#[derive(Debug, Clone)]
pub struct GatewayClient {
    cfg: GatewayConfig,
    url: Url,
    authorization: HeaderValue,
    http: reqwest::Client,
}

impl GatewayClient {
    /// Builds the HTTP client. Fails (`Permanent`) on an unusable
    /// configuration: bad `maTichHop`, zero timeout, empty or non-ASCII
    /// token, or an endpoint that cannot take a path.
    pub fn new(cfg: GatewayConfig) -> Result<Self, LookupError> {
        check_integration_code(&cfg.ma_tich_hop)?;
        if cfg.timeout.is_zero() {
            return Err(LookupError::permanent("timeout must be positive"));
        }
        if cfg.bearer_token.trim().is_empty() {
            return Err(LookupError::permanent("the gateway bearer token is empty"));
        }
        // The error names the header only: the value is a credential.
        let mut authorization = HeaderValue::from_str(&format!("Bearer {}", cfg.bearer_token))
            .map_err(|_| {
                LookupError::permanent("the gateway bearer token is not a valid header")
            })?;
        authorization.set_sensitive(true);
        let url = lookup_url(&cfg.endpoint)?;
        let http = reqwest::Client::builder()
            .timeout(cfg.timeout)
            .connect_timeout(cfg.timeout)
            .build()
            .map_err(|_| LookupError::permanent("cannot build the HTTP client"))?;
        Ok(Self {
            cfg,
            url,
            authorization,
            http,
        })
    }

    /// The URL lookups are posted to.
    pub fn url(&self) -> &Url {
        &self.url
    }

    async fn send(&self, req: &LookupRequest) -> Result<Option<CitizenRecord>, LookupError> {
        let caller = Caller {
            integration: &self.cfg.ma_tich_hop,
            agency: &self.cfg.ma_don_vi,
            officer: &self.cfg.ma_can_bo,
        };
        let response = self
            .http
            .post(self.url.clone())
            .header(AUTHORIZATION, self.authorization.clone())
            .json(&json::build(req, caller))
            .send()
            .await
            .map_err(|e| transport_error(&e, self.cfg.timeout))?;
        let (status, retry_after, text) = read_response(response, self.cfg.timeout).await?;
        classify::classify_json(status, retry_after.as_deref(), &text, req.id.as_str())
    }
}

/// `{endpoint}/v1/tra-cuu-cong-dan`, whether or not the endpoint ends in `/`.
fn lookup_url(endpoint: &Url) -> Result<Url, LookupError> {
    let mut url = endpoint.clone();
    url.path_segments_mut()
        .map_err(|()| LookupError::permanent("the gateway endpoint cannot take a path"))?
        .pop_if_empty()
        .extend(LOOKUP_PATH);
    Ok(url)
}

#[async_trait::async_trait]
impl PopulationRegistry for GatewayClient {
    async fn lookup(&self, req: &LookupRequest) -> Result<Option<CitizenRecord>, LookupError> {
        validate(req)?;
        let started = Instant::now();
        let result = self.send(req).await;
        log_outcome(req, &result, started.elapsed());
        result
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(endpoint: &str) -> GatewayConfig {
        GatewayConfig::new(Url::parse(endpoint).unwrap(), "tok-123")
    }

    #[test]
    fn lookup_path_is_appended_once() {
        for (endpoint, expected) in [
            ("http://h:1", "http://h:1/v1/tra-cuu-cong-dan"),
            ("http://h:1/", "http://h:1/v1/tra-cuu-cong-dan"),
            ("http://h:1/lgsp/", "http://h:1/lgsp/v1/tra-cuu-cong-dan"),
            ("http://h:1/lgsp", "http://h:1/lgsp/v1/tra-cuu-cong-dan"),
        ] {
            let client = GatewayClient::new(config(endpoint)).unwrap();
            assert_eq!(client.url().as_str(), expected);
        }
    }

    #[test]
    fn debug_hides_the_token_and_bad_config_is_refused() {
        let cfg = config("http://h:1/");
        let shown = format!("{cfg:?} {:?}", GatewayClient::new(cfg.clone()).unwrap());
        assert!(!shown.contains("tok-123"), "{shown}");
        let mut bad = cfg.clone();
        bad.bearer_token = " ".into();
        assert_eq!(GatewayClient::new(bad).unwrap_err().class(), "permanent");
        let mut bad = cfg.clone();
        bad.bearer_token = "line\nbreak".into();
        let err = GatewayClient::new(bad).unwrap_err();
        assert!(!err.to_string().contains("break"), "{err}");
        let mut bad = cfg.clone();
        bad.ma_tich_hop = "x".into();
        assert!(GatewayClient::new(bad).is_err());
        let mut bad = cfg;
        bad.timeout = Duration::ZERO;
        assert!(GatewayClient::new(bad).is_err());
        let mailto = GatewayConfig::new(Url::parse("mailto:a@b").unwrap(), "t");
        assert!(GatewayClient::new(mailto).is_err());
    }
}
