//! Tests of the mapping from security settings to librdkafka properties and of the
//! refusal of settings this build cannot speak.

use super::*;

fn scram(protocol: SecurityProtocol) -> KafkaSecurity {
    KafkaSecurity {
        protocol,
        sasl_mechanism: Some(SaslMechanism::ScramSha512),
        sasl_username: Some("dossierflow-verify".into()),
        sasl_password: Some("p4ss".parse().expect("secret")),
        ssl_ca_location: None,
    }
}

#[test]
fn plaintext_is_the_default_and_needs_nothing() {
    let s = KafkaSecurity::default();
    assert!(s.is_plaintext());
    assert_eq!(
        s.properties(),
        Ok(vec![("security.protocol", "plaintext".to_owned())])
    );
    assert!(s.required_features().is_empty());
    let mut config = ClientConfig::new();
    assert_eq!(s.apply(&mut config), Ok(()));
    assert_eq!(config.get("security.protocol"), Some("plaintext"));
}

#[test]
fn sasl_ssl_with_scram_maps_to_librdkafka_properties() {
    let mut s = scram(SecurityProtocol::SaslSsl);
    s.ssl_ca_location = Some("/etc/kafka/ca.pem".into());
    let props = s.properties().expect("valid");
    let want: Vec<(&str, String)> = vec![
        ("security.protocol", "sasl_ssl".into()),
        ("sasl.mechanism", "SCRAM-SHA-512".into()),
        ("sasl.username", "dossierflow-verify".into()),
        ("sasl.password", "p4ss".into()),
        ("ssl.ca.location", "/etc/kafka/ca.pem".into()),
    ];
    assert_eq!(props, want);
    assert_eq!(s.required_features(), vec!["ssl", "sasl_scram"]);
    s.sasl_mechanism = Some(SaslMechanism::ScramSha256);
    assert!(
        s.properties()
            .expect("valid")
            .contains(&("sasl.mechanism", "SCRAM-SHA-256".into()))
    );
}

#[test]
fn incomplete_or_ignored_settings_are_refused_without_quoting_secrets() {
    let mut s = scram(SecurityProtocol::SaslPlaintext);
    s.sasl_password = None;
    let err = s.properties().expect_err("no password");
    assert!(
        err.to_string().contains("DOSSIER__KAFKA__SASL_PASSWORD"),
        "{err}"
    );
    let mut s = scram(SecurityProtocol::SaslSsl);
    s.sasl_mechanism = None;
    assert!(s.properties().is_err());
    let mut s = scram(SecurityProtocol::Plaintext);
    assert!(matches!(s.properties(), Err(SecurityError::Unused(..))));
    s = KafkaSecurity {
        ssl_ca_location: Some("/ca.pem".into()),
        ..Default::default()
    };
    assert!(matches!(s.properties(), Err(SecurityError::Unused(..))));
    let shown = format!("{:?}", scram(SecurityProtocol::SaslSsl));
    assert!(!shown.contains("p4ss"), "{shown}");
}

#[test]
fn a_build_without_tls_refuses_tls_and_scram_naming_the_feature() {
    let without = "gzip,snappy,sasl,regex,lz4,sasl_plain,plugins";
    for s in [
        scram(SecurityProtocol::SaslSsl),
        scram(SecurityProtocol::SaslPlaintext),
        KafkaSecurity {
            protocol: SecurityProtocol::Ssl,
            ..Default::default()
        },
    ] {
        let err = s.check_support(without).expect_err("unsupported");
        assert!(err.to_string().contains("--features kafka-tls"), "{err}");
        assert!(!err.to_string().contains("p4ss"));
    }
    let with = "gzip,snappy,ssl,sasl,regex,lz4,sasl_plain,sasl_scram,plugins";
    assert_eq!(scram(SecurityProtocol::SaslSsl).check_support(with), Ok(()));
    // SASL/PLAIN needs no OpenSSL.
    let mut plain = scram(SecurityProtocol::SaslPlaintext);
    plain.sasl_mechanism = Some(SaslMechanism::Plain);
    assert_eq!(plain.check_support(without), Ok(()));
}

/// The default build really lacks TLS, so the refusal above is what users meet; a
/// `kafka-tls` build accepts the same settings.
#[test]
fn this_build_refuses_or_accepts_sasl_ssl_according_to_its_features() {
    let builtin = builtin_features();
    assert!(builtin.contains("sasl_plain"), "{builtin}");
    let mut config = ClientConfig::new();
    let result = scram(SecurityProtocol::SaslSsl).apply(&mut config);
    if cfg!(feature = "kafka-tls") {
        assert_eq!(result, Ok(()));
        assert_eq!(config.get("security.protocol"), Some("sasl_ssl"));
    } else {
        assert!(!builtin.split(',').any(|f| f == "ssl"), "{builtin}");
        assert!(matches!(result, Err(SecurityError::Unsupported(..))));
        assert_eq!(config.get("security.protocol"), None, "nothing applied");
    }
}

#[test]
fn settings_parse_from_the_environment_names() {
    use clap::Parser;
    #[derive(Parser)]
    struct Cli {
        #[command(flatten)]
        security: KafkaSecurity,
    }
    let cli = Cli::try_parse_from([
        "x",
        "--kafka-security-protocol",
        "SASL_SSL",
        "--kafka-sasl-mechanism",
        "scram-sha-256",
        "--kafka-sasl-username",
        "u",
        "--kafka-sasl-password",
        "p",
    ])
    .expect("parse");
    assert_eq!(cli.security.protocol, SecurityProtocol::SaslSsl);
    assert_eq!(
        cli.security.sasl_mechanism,
        Some(SaslMechanism::ScramSha256)
    );
    assert!(Cli::try_parse_from(["x", "--kafka-security-protocol", "tls"]).is_err());
}
