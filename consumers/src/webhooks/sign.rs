//! Stripe-style webhook signatures: `t=<unix>,v1=<hex HMAC-SHA256(secret, "<t>.<body>")>`.

use hmac::{Hmac, Mac};
use sha2::Sha256;

type HmacSha256 = Hmac<Sha256>;

/// Why a signature header was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SignatureError {
    /// The header is not `t=<unix>,v1=<hex>`.
    #[error("malformed signature header")]
    Malformed,
    /// The timestamp is further from now than the tolerance (replay protection).
    #[error("signature timestamp outside the tolerance")]
    Stale,
    /// No `v1` signature matches the body and secret.
    #[error("signature does not match")]
    Mismatch,
}

fn mac(secret: &[u8], t: i64, body: &[u8]) -> HmacSha256 {
    // HMAC accepts keys of any length: this cannot fail.
    let mut m = match HmacSha256::new_from_slice(secret) {
        Ok(m) => m,
        Err(_) => unreachable!("HMAC takes keys of any length"),
    };
    m.update(t.to_string().as_bytes());
    m.update(b".");
    m.update(body);
    m
}

/// The hex HMAC-SHA256 of `"<t>.<body>"` under `secret`.
pub fn sign(secret: &[u8], t: i64, body: &[u8]) -> String {
    hex::encode(mac(secret, t, body).finalize().into_bytes())
}

/// The full `X-Dossierflow-Signature` header value.
pub fn signature_header(secret: &[u8], t: i64, body: &[u8]) -> String {
    format!("t={t},v1={}", sign(secret, t, body))
}

/// Checks a signature header against the body at time `now` (unix seconds), accepting a
/// timestamp at most `tolerance_s` away. Comparison is constant-time.
pub fn verify(
    header: &str,
    secret: &[u8],
    body: &[u8],
    now: i64,
    tolerance_s: i64,
) -> Result<(), SignatureError> {
    let mut t = None;
    let mut sigs = vec![];
    for part in header.split(',') {
        match part.trim().split_once('=') {
            Some(("t", v)) => t = v.parse::<i64>().ok(),
            Some(("v1", v)) => sigs.push(hex::decode(v).map_err(|_| SignatureError::Malformed)?),
            _ => {}
        }
    }
    let t = t.ok_or(SignatureError::Malformed)?;
    if sigs.is_empty() {
        return Err(SignatureError::Malformed);
    }
    // `abs_diff`: `now - t` overflows for a timestamp near i64::MIN or MAX (found by the
    // `webhook_signature` fuzz target); a negative tolerance accepts nothing, as before.
    let stale = match u64::try_from(tolerance_s) {
        Ok(tolerance) => now.abs_diff(t) > tolerance,
        Err(_) => true,
    };
    if stale {
        return Err(SignatureError::Stale);
    }
    if sigs
        .iter()
        .any(|s| mac(secret, t, body).verify_slice(s).is_ok())
    {
        Ok(())
    } else {
        Err(SignatureError::Mismatch)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: i64 = 1_800_000_000;

    #[test]
    fn a_signed_body_verifies() {
        let h = signature_header(b"s3cret", NOW, b"{\"a\":1}");
        assert!(h.starts_with(&format!("t={NOW},v1=")));
        assert_eq!(verify(&h, b"s3cret", b"{\"a\":1}", NOW + 10, 300), Ok(()));
    }

    #[test]
    fn refusals_are_classified() {
        let h = signature_header(b"s3cret", NOW, b"body");
        type Case<'a> = (&'a str, &'a [u8], &'a [u8], i64, SignatureError);
        let cases: [Case; 5] = [
            (&h, b"other", b"body", NOW, SignatureError::Mismatch),
            (&h, b"s3cret", b"bodY", NOW, SignatureError::Mismatch),
            (&h, b"s3cret", b"body", NOW + 301, SignatureError::Stale),
            (
                "v1=abcd",
                b"s3cret",
                b"body",
                NOW,
                SignatureError::Malformed,
            ),
            (
                "t=1,v1=zz",
                b"s3cret",
                b"body",
                NOW,
                SignatureError::Malformed,
            ),
        ];
        for (header, secret, body, now, want) in cases {
            assert_eq!(
                verify(header, secret, body, now, 300),
                Err(want),
                "{header}"
            );
        }
    }

    #[test]
    fn extreme_timestamps_are_stale_not_a_panic() {
        // Regression (fuzz target `webhook_signature`): `now - t` overflowed and panicked.
        for header in [
            "t=-9223372036854775808,v1=00",
            "t=9223372036854775807,v1=00",
        ] {
            assert_eq!(
                verify(header, b"s3cret", b"body", NOW, 300),
                Err(SignatureError::Stale),
                "{header}"
            );
        }
        let h = signature_header(b"s3cret", NOW, b"body");
        for now in [i64::MIN, i64::MAX] {
            assert_eq!(
                verify(&h, b"s3cret", b"body", now, 300),
                Err(SignatureError::Stale),
                "at {now}"
            );
        }
    }

    #[test]
    fn known_vector() {
        // HMAC-SHA256("key", "1.x"), computed independently with openssl.
        assert_eq!(
            sign(b"key", 1, b"x"),
            "fc4913c41a7bf793267e2a384f3261c9436ec2cd097bd745e7b0d99113f510ec"
        );
    }
}
