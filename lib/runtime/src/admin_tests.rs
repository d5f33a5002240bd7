//! Tests of the admin server's access rules: `/metrics` behind the scrapers' tokens,
//! `/health` open, and the refusal to serve an open `/metrics` beyond loopback.

use super::*;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

fn digests(tokens: &[(&str, &str)]) -> String {
    tokens
        .iter()
        .map(|(name, token)| format!("{name}:{}", BearerDigests::digest_hex(token)))
        .collect::<Vec<_>>()
        .join(",")
}

/// The status code of `GET path` with an optional bearer token.
async fn status(addr: SocketAddr, path: &str, token: Option<&str>) -> u16 {
    let mut stream = tokio::net::TcpStream::connect(addr).await.expect("connect");
    let auth = token
        .map(|t| format!("Authorization: Bearer {t}\r\n"))
        .unwrap_or_default();
    let request = format!("GET {path} HTTP/1.1\r\nHost: admin\r\n{auth}Connection: close\r\n\r\n");
    stream.write_all(request.as_bytes()).await.expect("write");
    let mut response = String::new();
    stream.read_to_string(&mut response).await.expect("read");
    response
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .expect("status line")
}

async fn serve(access: AdminAccess) -> SocketAddr {
    let health = Health::default();
    health.set_ready();
    serve_admin(access, Metrics::new(), health, CancellationToken::new())
        .await
        .expect("serve")
}

#[tokio::test]
async fn metrics_need_a_scraper_token_when_configured_and_health_stays_open() {
    let spec = digests(&[("prometheus", "scrape-old"), ("prometheus", "scrape-new")]);
    let access =
        AdminAccess::new("127.0.0.1:0".parse().expect("addr"), &spec, false).expect("access");
    let addr = serve(access).await;
    assert_eq!(status(addr, "/metrics", None).await, 401);
    assert_eq!(status(addr, "/metrics", Some("wrong")).await, 401);
    assert_eq!(status(addr, "/metrics", Some("scrape-old")).await, 200);
    assert_eq!(status(addr, "/metrics", Some("scrape-new")).await, 200);
    assert_eq!(status(addr, "/health", None).await, 200);
}

#[tokio::test]
async fn without_tokens_loopback_metrics_are_open() {
    let access = AdminAccess::new("127.0.0.1:0".parse().expect("addr"), "", false).expect("access");
    assert!(access.scrapers.is_none());
    let addr = serve(access).await;
    assert_eq!(status(addr, "/metrics", None).await, 200);
}

#[test]
fn an_open_metrics_endpoint_beyond_loopback_is_refused_unless_allowed() {
    for addr in ["0.0.0.0:9464", "10.1.2.3:9464", "[::]:9464"] {
        let addr: SocketAddr = addr.parse().expect("addr");
        let err = AdminAccess::new(addr, "", false).expect_err("must refuse");
        let text = err.to_string();
        assert!(
            text.contains("DOSSIER__ADMIN__TOKENS") && text.contains("ALLOW_OPEN"),
            "{text}"
        );
        assert!(
            AdminAccess::new(addr, "", true).is_ok(),
            "explicitly allowed"
        );
        assert!(
            AdminAccess::new(addr, &digests(&[("p", "t")]), false).is_ok(),
            "protected by tokens"
        );
    }
    for addr in ["127.0.0.1:9464", "[::1]:9464"] {
        assert!(AdminAccess::new(addr.parse().expect("addr"), "", false).is_ok());
    }
    assert!(AdminAccess::new("127.0.0.1:0".parse().expect("addr"), "p:zz", false).is_err());
}
