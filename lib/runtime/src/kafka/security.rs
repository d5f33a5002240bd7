//! Kafka client security: the protocol (`plaintext`, `ssl`, `sasl_plaintext`,
//! `sasl_ssl`), the SASL mechanism and credentials and the CA certificate, mapped to
//! librdkafka properties for every client the process builds.
//!
//! The default build links librdkafka without OpenSSL (no TLS, no SCRAM). Such a build
//! given a protocol or mechanism it cannot speak refuses at start-up with an error that
//! names the cargo feature `kafka-tls`, which links a vendored OpenSSL. librdkafka's own
//! `builtin.features` is the source of truth, so the check also holds for a build made
//! with the feature.

use std::path::PathBuf;

use clap::{Args, ValueEnum};
use rdkafka::ClientConfig;

use crate::tokens::Secret;

/// `security.protocol`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, ValueEnum)]
pub enum SecurityProtocol {
    /// No TLS, no authentication (local brokers, a private network).
    #[default]
    #[value(name = "plaintext")]
    Plaintext,
    /// TLS, no SASL (or client certificates configured outside dossierflow).
    #[value(name = "ssl")]
    Ssl,
    /// SASL authentication without TLS.
    #[value(name = "sasl_plaintext")]
    SaslPlaintext,
    /// SASL authentication over TLS (production).
    #[value(name = "sasl_ssl")]
    SaslSsl,
}

impl SecurityProtocol {
    /// The librdkafka value.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Plaintext => "plaintext",
            Self::Ssl => "ssl",
            Self::SaslPlaintext => "sasl_plaintext",
            Self::SaslSsl => "sasl_ssl",
        }
    }
    fn tls(self) -> bool {
        matches!(self, Self::Ssl | Self::SaslSsl)
    }
    fn sasl(self) -> bool {
        matches!(self, Self::SaslPlaintext | Self::SaslSsl)
    }
}

/// `sasl.mechanism`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum SaslMechanism {
    /// SCRAM with SHA-256.
    #[value(name = "SCRAM-SHA-256")]
    ScramSha256,
    /// SCRAM with SHA-512.
    #[value(name = "SCRAM-SHA-512")]
    ScramSha512,
    /// Password sent as is: only over TLS.
    #[value(name = "PLAIN")]
    Plain,
}

impl SaslMechanism {
    /// The librdkafka value.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::ScramSha256 => "SCRAM-SHA-256",
            Self::ScramSha512 => "SCRAM-SHA-512",
            Self::Plain => "PLAIN",
        }
    }
}

/// Security settings of every Kafka client (`DOSSIER__KAFKA__SECURITY_PROTOCOL`, …).
/// `Debug` never shows the password.
#[derive(Debug, Clone, Default, Args)]
pub struct KafkaSecurity {
    /// `plaintext`, `ssl`, `sasl_plaintext` or `sasl_ssl` (TLS and SCRAM need a build
    /// with the cargo feature `kafka-tls`).
    #[arg(
        long = "kafka-security-protocol",
        env = "DOSSIER__KAFKA__SECURITY_PROTOCOL",
        value_enum,
        default_value_t,
        ignore_case = true
    )]
    pub protocol: SecurityProtocol,
    /// SASL mechanism: `SCRAM-SHA-256`, `SCRAM-SHA-512` or `PLAIN`.
    #[arg(
        long = "kafka-sasl-mechanism",
        env = "DOSSIER__KAFKA__SASL_MECHANISM",
        value_enum,
        ignore_case = true
    )]
    pub sasl_mechanism: Option<SaslMechanism>,
    /// SASL user name (the principal `User:<name>` that broker ACLs name).
    #[arg(long = "kafka-sasl-username", env = "DOSSIER__KAFKA__SASL_USERNAME")]
    pub sasl_username: Option<String>,
    /// SASL password.
    #[arg(
        long = "kafka-sasl-password",
        env = "DOSSIER__KAFKA__SASL_PASSWORD",
        hide_env_values = true
    )]
    pub sasl_password: Option<Secret>,
    /// PEM file of the CA that signed the brokers' certificates (default: the system's).
    #[arg(
        long = "kafka-ssl-ca-location",
        env = "DOSSIER__KAFKA__SSL_CA_LOCATION"
    )]
    pub ssl_ca_location: Option<PathBuf>,
}

/// A security setting that cannot work. Messages name settings, never their values.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SecurityError {
    /// A SASL protocol without its mechanism, user name or password.
    #[error("DOSSIER__KAFKA__SECURITY_PROTOCOL={0} needs {1}")]
    Missing(&'static str, &'static str),
    /// A setting that the chosen protocol would silently ignore.
    #[error("{0} is set but DOSSIER__KAFKA__SECURITY_PROTOCOL={1} does not use it")]
    Unused(&'static str, &'static str),
    /// The linked librdkafka lacks a capability the settings need.
    #[error(
        "Kafka {0} needs librdkafka's {1:?} support, which this build lacks (it has: {2}); \
         rebuild with `cargo build --release --features kafka-tls` (links a vendored OpenSSL)"
    )]
    Unsupported(String, &'static str, String),
}

impl KafkaSecurity {
    /// The librdkafka properties these settings add to every client.
    pub fn properties(&self) -> Result<Vec<(&'static str, String)>, SecurityError> {
        let protocol = self.protocol.as_str();
        let mut props = vec![("security.protocol", protocol.to_owned())];
        if self.protocol.sasl() {
            let mechanism = self.sasl_mechanism.ok_or(SecurityError::Missing(
                protocol,
                "DOSSIER__KAFKA__SASL_MECHANISM",
            ))?;
            let username = self.sasl_username.clone().filter(|u| !u.is_empty()).ok_or(
                SecurityError::Missing(protocol, "DOSSIER__KAFKA__SASL_USERNAME"),
            )?;
            let password = self.sasl_password.clone().filter(|p| !p.is_empty()).ok_or(
                SecurityError::Missing(protocol, "DOSSIER__KAFKA__SASL_PASSWORD"),
            )?;
            props.push(("sasl.mechanism", mechanism.as_str().to_owned()));
            props.push(("sasl.username", username));
            props.push(("sasl.password", password.expose().to_owned()));
        } else if self.sasl_mechanism.is_some()
            || self.sasl_username.is_some()
            || self.sasl_password.is_some()
        {
            return Err(SecurityError::Unused("DOSSIER__KAFKA__SASL_*", protocol));
        }
        match (&self.ssl_ca_location, self.protocol.tls()) {
            (Some(ca), true) => props.push(("ssl.ca.location", ca.display().to_string())),
            (Some(_), false) => {
                return Err(SecurityError::Unused(
                    "DOSSIER__KAFKA__SSL_CA_LOCATION",
                    protocol,
                ));
            }
            (None, _) => {}
        }
        Ok(props)
    }

    /// librdkafka capabilities (`builtin.features` names) these settings need.
    pub fn required_features(&self) -> Vec<&'static str> {
        let mut needed = vec![];
        if self.protocol.tls() {
            needed.push("ssl");
        }
        if self.protocol.sasl() {
            needed.push(match self.sasl_mechanism {
                Some(SaslMechanism::ScramSha256 | SaslMechanism::ScramSha512) => "sasl_scram",
                _ => "sasl_plain",
            });
        }
        needed
    }

    /// `Err` naming the cargo feature when `builtin` (librdkafka's `builtin.features`)
    /// lacks a capability these settings need.
    pub fn check_support(&self, builtin: &str) -> Result<(), SecurityError> {
        let have: Vec<&str> = builtin.split(',').map(str::trim).collect();
        match self
            .required_features()
            .into_iter()
            .find(|f| !have.contains(f))
        {
            None => Ok(()),
            Some(missing) => {
                let what = match self.sasl_mechanism.filter(|_| self.protocol.sasl()) {
                    Some(m) => format!("{} with {}", self.protocol.as_str(), m.as_str()),
                    None => self.protocol.as_str().to_owned(),
                };
                Err(SecurityError::Unsupported(
                    what,
                    missing,
                    builtin.to_owned(),
                ))
            }
        }
    }

    /// Checks the settings against the linked librdkafka and adds them to `config`.
    pub fn apply(&self, config: &mut ClientConfig) -> Result<(), SecurityError> {
        let props = self.properties()?;
        if !self.required_features().is_empty() {
            self.check_support(&builtin_features())?;
        }
        for (key, value) in props {
            config.set(key, value);
        }
        Ok(())
    }

    /// Checks the settings without building a client (call it first thing at start-up).
    pub fn validate(&self) -> Result<(), SecurityError> {
        self.apply(&mut ClientConfig::new())
    }

    /// Whether no security is configured (the embedded demo cluster speaks plaintext).
    pub fn is_plaintext(&self) -> bool {
        self.protocol == SecurityProtocol::Plaintext
    }
}

/// librdkafka's `builtin.features` of this build (e.g. `gzip,snappy,sasl,…`).
pub fn builtin_features() -> String {
    ClientConfig::new()
        .create_native_config()
        .and_then(|c| c.get("builtin.features"))
        .unwrap_or_default()
}

#[cfg(test)]
#[path = "security_tests.rs"]
mod tests;
