//! The outbox relay's leadership on a real PostgreSQL: the first relay on a database
//! leads and a second stands by until the first is gone; a server that accepts a
//! connection and never answers makes a relay stand by within the check's limit rather
//! than hold up its rounds.

mod common;

use std::time::Duration;

use dossierflow_runtime::outbox::lead::Lead;
use dossierflow_runtime::telemetry::Metrics;
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};

const TAKEOVER: Duration = Duration::from_secs(5);

#[tokio::test]
async fn the_first_relay_leads_and_a_second_leads_once_it_is_gone() {
    let test_db = common::TestDb::create("relay_lead").await;
    let metrics = Metrics::new();
    let mut first = Lead::new(test_db.pool.clone(), TAKEOVER);
    let mut second = Lead::new(test_db.pool.clone(), TAKEOVER);
    assert_eq!(first.scope(&metrics).await, None, "the first relay leads");
    assert_eq!(
        second.scope(&metrics).await,
        Some(TAKEOVER),
        "the second stands by"
    );
    drop(first);
    // The next check, a second later, finds the lock free.
    let until = std::time::Instant::now() + Duration::from_secs(10);
    while second.scope(&metrics).await.is_some() {
        assert!(std::time::Instant::now() < until, "the standby never led");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    // Leadership off: every relay publishes every row.
    let mut off = Lead::new(test_db.pool.clone(), Duration::ZERO);
    assert_eq!(off.scope(&metrics).await, None);
}

#[tokio::test]
async fn a_server_that_never_answers_makes_the_relay_stand_by_in_time() {
    // Accepts connections and never says a word.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let port = listener.local_addr().expect("addr").port();
    let held = tokio::spawn(async move {
        let mut open = Vec::new();
        while let Ok((socket, _)) = listener.accept().await {
            open.push(socket);
        }
    });
    let options = PgConnectOptions::new()
        .host("127.0.0.1")
        .port(port)
        .username("postgres");
    let pool = PgPoolOptions::new().connect_lazy_with(options);
    let mut lead = Lead::new(pool, TAKEOVER);
    let scope = tokio::time::timeout(Duration::from_secs(15), lead.scope(&Metrics::new()))
        .await
        .expect("the leadership check held the relay up past its limit");
    assert_eq!(scope, Some(TAKEOVER), "a relay that cannot check stands by");
    held.abort();
}
