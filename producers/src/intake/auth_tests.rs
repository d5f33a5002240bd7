//! Tests of the portal clients' authentication: digests, rotation, the middleware's
//! `401`, the OpenAPI declaration and the per-officer quota.

use super::*;
use axum::Router;
use axum::extract::Extension;
use axum::http::HeaderMap;
use axum::routing::get;
use utoipa::OpenApi;

fn bearer(token: &str) -> HeaderMap {
    let mut h = HeaderMap::new();
    h.insert(
        "authorization",
        format!("Bearer {token}").parse().expect("header"),
    );
    h
}

#[test]
fn tokens_are_checked_against_their_digests() {
    let spec = format!(
        "portal:{},kiosk:{}",
        PortalAuth::digest_hex("s3cret"),
        PortalAuth::digest_hex("other")
    );
    let auth = PortalAuth::parse(&spec).expect("spec");
    assert_eq!(
        auth.authenticate(&bearer("s3cret")).as_deref(),
        Some("portal")
    );
    assert_eq!(
        auth.authenticate(&bearer("other")).as_deref(),
        Some("kiosk")
    );
    assert_eq!(auth.authenticate(&bearer("s3cre")), None);
    assert_eq!(auth.authenticate(&HeaderMap::new()), None);
    assert!(PortalAuth::parse("portal:nothex").is_err());
    assert!(PortalAuth::parse("portal").is_err());
}

/// Serves `/guarded` behind the middleware, echoing the authenticated client's name.
async fn guarded(auth: PortalAuth) -> String {
    let app = Router::new().route(
        "/guarded",
        get(|Extension(c): Extension<PortalClient>| async move { c.0 }).route_layer(
            axum::middleware::from_fn_with_state(Arc::new(auth), require_portal_client),
        ),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    tokio::spawn(async move { axum::serve(listener, app).await });
    format!("http://{addr}/guarded")
}

#[tokio::test]
async fn the_middleware_admits_configured_tokens_only_and_names_the_client() {
    // Rotation: the old and the new token of `portal` are both configured.
    let spec = format!(
        "portal:{},portal:{}",
        PortalAuth::digest_hex("old-token"),
        PortalAuth::digest_hex("new-token")
    );
    let url = guarded(PortalAuth::parse(&spec).expect("spec")).await;
    let http = reqwest::Client::new();
    for (token, want) in [
        (None, 401),
        (Some("wrong"), 401),
        (Some("old-token"), 200),
        (Some("new-token"), 200),
    ] {
        let mut req = http.get(&url);
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        let r = req.send().await.expect("send");
        assert_eq!(r.status().as_u16(), want, "token {token:?}");
        if want == 401 {
            assert_eq!(
                r.headers()
                    .get("www-authenticate")
                    .and_then(|v| v.to_str().ok()),
                Some("Bearer")
            );
            let body: serde_json::Value = r.json().await.expect("json");
            assert_eq!(body["error"], "unauthenticated", "{body}");
        } else {
            assert_eq!(r.text().await.expect("text"), "portal");
        }
    }
}

#[test]
fn the_openapi_document_requires_the_portal_token_and_documents_401() {
    let doc = serde_json::to_value(super::super::ApiDoc::openapi()).expect("json");
    assert_eq!(
        doc["components"]["securitySchemes"]["portal_token"]["scheme"],
        "bearer"
    );
    for (path, method) in PORTAL_OPERATIONS {
        let op = &doc["paths"][path][method];
        assert_eq!(
            op["security"][0]["portal_token"],
            serde_json::json!([]),
            "{method} {path}: {op}"
        );
        assert!(op["responses"]["401"].is_object(), "{method} {path}: 401");
    }
    // Endpoints with their own credentials are not marked as needing a portal token.
    assert!(doc["paths"]["/v1/dossiers/by-code/{code}"]["get"]["security"].is_null());
}

#[test]
fn each_officer_has_its_own_quota() {
    let limit = OfficerLimit::per_minute(2);
    assert!(limit.check("p/a").is_ok());
    assert!(limit.check("p/a").is_ok());
    assert!(limit.check("p/a").is_err(), "third lookup in the minute");
    assert!(
        limit.check("p/b").is_ok(),
        "another officer is not affected"
    );
}
