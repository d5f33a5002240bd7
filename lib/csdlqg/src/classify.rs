//! Pure mapping of an HTTP answer (status, `Retry-After`, body) to a lookup result.
//!
//! The SOAP and gateway-JSON adapters share the rules; only the body parser
//! differs ([`classify`] for SOAP, [`classify_json`] for JSON, where a
//! `{"maLoi": …}` body plays the part of the fault). Rules, in order:
//! 1. a body carrying vendor code `004`/`005` (SOAP fault or error element) →
//!    `NotAuthorised`, whatever the HTTP status (SOAP 1.1 sends faults as 500);
//! 2. 2xx → parse `CongdanCollection` (empty = not found); another fault →
//!    `Permanent`; unparseable → `Permanent`;
//! 3. 429 and 5xx → `Transient` with `Retry-After` seconds, except a 5xx
//!    carrying a SOAP `Client` fault (the request itself is wrong) → `Permanent`;
//! 4. 401/403 → `NotAuthorised` with the status as code: our credentials are
//!    refused, which retrying cannot fix and which is no fault of the dossier;
//! 5. any other status → `Permanent`.

use std::time::Duration;

use reqwest::StatusCode;

use crate::wire::response::{self, Fault, Reply};
use crate::wire::{WireError, json};
use crate::{CitizenRecord, LookupError};

/// Classifies one SOAP answer. `wanted_id` picks the matching citizen when
/// the collection holds more than one.
pub fn classify(
    status: StatusCode,
    retry_after: Option<&str>,
    body: &str,
    wanted_id: &str,
) -> Result<Option<CitizenRecord>, LookupError> {
    classify_parsed(status, retry_after, response::parse(body), wanted_id)
}

/// Classifies one gateway JSON answer, by the same rules as [`classify`].
pub fn classify_json(
    status: StatusCode,
    retry_after: Option<&str>,
    body: &str,
    wanted_id: &str,
) -> Result<Option<CitizenRecord>, LookupError> {
    classify_parsed(status, retry_after, json::parse(body), wanted_id)
}

fn classify_parsed(
    status: StatusCode,
    retry_after: Option<&str>,
    parsed: Result<Reply, WireError>,
    wanted_id: &str,
) -> Result<Option<CitizenRecord>, LookupError> {
    if let Ok(Reply::Fault(fault)) = &parsed
        && let Some(err) = not_authorised(fault)
    {
        return Err(err);
    }
    if status.is_success() {
        return match parsed {
            Ok(Reply::Citizens(citizens)) => Ok(pick(citizens, wanted_id)),
            Ok(Reply::Fault(fault)) => Err(LookupError::permanent(describe_fault(&fault))),
            Err(e) => Err(LookupError::permanent(format!("malformed response: {e}"))),
        };
    }
    let client_fault = matches!(
        &parsed,
        Ok(Reply::Fault(Fault { fault_code: Some(code), .. })) if code == "Client"
    );
    match status {
        s if s.is_server_error() && client_fault => Err(LookupError::permanent(format!(
            "HTTP {} with SOAP Client fault",
            s.as_u16()
        ))),
        s if s == StatusCode::TOO_MANY_REQUESTS || s.is_server_error() => {
            Err(LookupError::Transient {
                reason: format!("HTTP {}", s.as_u16()),
                retry_after: retry_after.and_then(parse_retry_after),
            })
        }
        StatusCode::UNAUTHORIZED | StatusCode::FORBIDDEN => Err(LookupError::NotAuthorised {
            code: status.as_u16().to_string(),
            reason: "credentials refused by the population database gateway".into(),
        }),
        s => Err(LookupError::permanent(format!("HTTP {}", s.as_u16()))),
    }
}

fn not_authorised(fault: &Fault) -> Option<LookupError> {
    let code = fault.vendor_code.as_deref()?;
    let reason = match code {
        "004" => "procedure not licensed for population database lookups",
        "005" => "officer not permitted to look citizens up",
        _ => return None,
    };
    Some(LookupError::NotAuthorised {
        code: code.to_owned(),
        reason: reason.to_owned(),
    })
}

fn describe_fault(fault: &Fault) -> String {
    format!(
        "error reply (faultcode {}, vendor code {})",
        fault.fault_code.as_deref().unwrap_or("none"),
        fault.vendor_code.as_deref().unwrap_or("none")
    )
}

/// The citizen whose `SoDinhDanh`/`SoCMND` is the one asked for, else the first.
fn pick(mut citizens: Vec<CitizenRecord>, wanted_id: &str) -> Option<CitizenRecord> {
    let matching = citizens
        .iter()
        .position(|c| c.id.as_deref() == Some(wanted_id) || c.old_id.as_deref() == Some(wanted_id));
    match matching {
        Some(i) => Some(citizens.swap_remove(i)),
        None => citizens.into_iter().next(),
    }
}

/// `Retry-After` in delta-seconds (HTTP dates are ignored).
pub fn parse_retry_after(value: &str) -> Option<Duration> {
    value.trim().parse::<u64>().ok().map(Duration::from_secs)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wire::response::{write_citizens, write_fault};

    fn err(status: u16, retry: Option<&str>, body: &str) -> LookupError {
        let status = StatusCode::from_u16(status).unwrap();
        classify(status, retry, body, "001090123456").unwrap_err()
    }

    #[test]
    fn vendor_codes_win_over_status() {
        let f004 = write_fault("Client", "không được phép", Some("004"));
        let f005 = write_fault("Server", "không được phép", Some("005"));
        for (status, body, code) in [
            (500, &f004, "004"),
            (200, &f004, "004"),
            (403, &f005, "005"),
        ] {
            match err(status, None, body) {
                LookupError::NotAuthorised { code: c, .. } => assert_eq!(c, code),
                other => panic!("HTTP {status}: {other:?}"),
            }
        }
    }

    #[test]
    fn statuses_map_to_classes() {
        let server = write_fault("Server", "boom", None);
        let client = write_fault("Client", "bad", None);
        assert_eq!(
            err(503, Some("7"), ""),
            LookupError::Transient {
                reason: "HTTP 503".into(),
                retry_after: Some(Duration::from_secs(7))
            }
        );
        assert_eq!(
            err(429, Some("Wed, 21 Oct 2015 07:28:00 GMT"), "").retry_after(),
            None
        );
        assert!(err(429, None, "").is_transient());
        assert!(err(500, None, &server).is_transient());
        assert_eq!(err(500, None, &client).class(), "permanent");
        assert_eq!(err(400, None, &client).class(), "permanent");
        assert_eq!(err(404, None, "").class(), "permanent");
        assert!(
            matches!(err(401, None, ""), LookupError::NotAuthorised { code, .. } if code == "401")
        );
        assert_eq!(err(200, None, "<html>").class(), "permanent");
        assert_eq!(err(200, None, &server).class(), "permanent");
    }

    #[test]
    fn success_picks_the_wanted_citizen() {
        let ok = |body: &str| classify(StatusCode::OK, None, body, "012345678").unwrap();
        assert!(ok(&write_citizens(&[])).is_none());
        let xml = r#"<Envelope><Body><CongdanCollection>
            <CongDan><SoDinhDanh>001090000001</SoDinhDanh><HoVaTen><Ten>A</Ten></HoVaTen>
              <NgayThangNamSinh><Nam>1990</Nam></NgayThangNamSinh></CongDan>
            <CongDan><SoCMND>012345678</SoCMND><HoVaTen><Ten>B</Ten></HoVaTen>
              <NgayThangNamSinh><Nam>1991</Nam></NgayThangNamSinh></CongDan>
            </CongdanCollection></Body></Envelope>"#;
        assert_eq!(ok(xml).map(|r| r.full_name), Some("B".to_owned()));
    }

    fn json_err(status: u16, retry: Option<&str>, body: &str) -> LookupError {
        let status = StatusCode::from_u16(status).unwrap();
        classify_json(status, retry, body, "001090123456").unwrap_err()
    }

    #[test]
    fn json_answers_follow_the_same_rules() {
        let e004 = r#"{"maLoi":"004","moTa":"Thủ tục chưa được cấp quyền"}"#;
        for status in [200, 403, 500] {
            assert!(
                matches!(json_err(status, None, e004), LookupError::NotAuthorised { code, .. } if code == "004")
            );
        }
        assert!(
            matches!(json_err(401, None, r#"{"maLoi":"401"}"#), LookupError::NotAuthorised { code, .. } if code == "401")
        );
        let throttled = json_err(429, Some("3"), "");
        assert_eq!(throttled.retry_after(), Some(Duration::from_secs(3)));
        assert!(json_err(503, None, "<html>busy</html>").is_transient());
        assert!(json_err(504, None, "").is_transient());
        assert_eq!(
            json_err(400, None, r#"{"maLoi":"400"}"#).class(),
            "permanent"
        );
        assert_eq!(json_err(200, None, "not json").class(), "permanent");
        assert_eq!(
            json_err(200, None, r#"{"maLoi":"999"}"#).class(),
            "permanent"
        );
        let ok = |body: &str| classify_json(StatusCode::OK, None, body, "001090123456").unwrap();
        assert!(ok(r#"{"congDan":[]}"#).is_none());
        let body = json::write_citizens(&[CitizenRecord {
            id: Some("001090123456".into()),
            ..sample()
        }])
        .to_string();
        assert_eq!(
            ok(&body).and_then(|r| r.id),
            Some("001090123456".to_owned())
        );
    }

    fn sample() -> CitizenRecord {
        let xml = r#"<Envelope><Body><CongdanCollection><CongDan><HoVaTen><Ten>A</Ten></HoVaTen>
            <NgayThangNamSinh><Nam>1990</Nam></NgayThangNamSinh></CongDan>
            </CongdanCollection></Body></Envelope>"#;
        classify(StatusCode::OK, None, xml, "x").unwrap().unwrap()
    }

    #[test]
    fn reasons_never_echo_the_body() {
        let body = "<Envelope><Body><CongdanCollection><CongDan><SoDinhDanh>001090123456";
        let e = err(200, None, body);
        assert!(!e.to_string().contains("001090123456"), "{e}");
    }
}
