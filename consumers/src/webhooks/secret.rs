//! Webhook secrets at rest: sealed with the data keyring (AES-256-GCM), bound to the
//! agency so a sealed secret copied to another agency's row does not open.
//!
//! Stored form: `sealed:<key id>:<hex nonce ‖ ciphertext>`. A value without the prefix
//! is taken as a plaintext secret (rows written before sealing existed).

use dossierflow_runtime::crypto::{CryptoError, Keyring};

const PREFIX: &str = "sealed:";

fn aad(agency: &str) -> Vec<u8> {
    format!("agency_endpoint.webhook_secret:{agency}").into_bytes()
}

/// Seals an agency's webhook secret for storage.
pub fn seal_secret(keys: &Keyring, agency: &str, secret: &str) -> Result<String, CryptoError> {
    let (key_id, blob) = keys.seal(secret.as_bytes(), &aad(agency))?;
    Ok(format!("{PREFIX}{key_id}:{}", hex::encode(blob)))
}

/// Opens a stored webhook secret (or passes a legacy plaintext one through).
pub fn open_secret(keys: &Keyring, agency: &str, stored: &str) -> Result<String, CryptoError> {
    let Some(rest) = stored.strip_prefix(PREFIX) else {
        return Ok(stored.to_owned());
    };
    let (key_id, blob) = rest.split_once(':').ok_or(CryptoError::Open)?;
    let blob = hex::decode(blob).map_err(|_| CryptoError::Open)?;
    let plain = keys.open(key_id, &blob, &aad(agency))?;
    String::from_utf8(plain).map_err(|_| CryptoError::Open)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keys() -> Keyring {
        Keyring::parse(dossierflow_runtime::config::DEV_KEYS, "dev").expect("dev keys")
    }

    #[test]
    fn a_sealed_secret_opens_only_for_its_agency() {
        let k = keys();
        let sealed = seal_secret(&k, "000.00.13.H43", "s3cret").expect("seal");
        assert!(sealed.starts_with("sealed:dev:") && !sealed.contains("s3cret"));
        assert_eq!(
            open_secret(&k, "000.00.13.H43", &sealed).expect("open"),
            "s3cret"
        );
        assert!(open_secret(&k, "000.00.20.H43", &sealed).is_err());
        assert!(open_secret(&k, "000.00.13.H43", "sealed:dev:zz").is_err());
    }

    #[test]
    fn a_plaintext_secret_passes_through() {
        assert_eq!(open_secret(&keys(), "a", "plain").expect("plain"), "plain");
    }
}
