//! The answer cache and coalescing of identical concurrent lookups.

use std::time::Duration;

use super::fake::{Fake, Recorder, found, layer, request, transient};
use crate::PopulationRegistry;
use crate::resilience::ResilienceConfig;

fn cached() -> ResilienceConfig {
    ResilienceConfig {
        cache_ttl: Duration::from_secs(30),
        ..ResilienceConfig::default()
    }
}

#[tokio::test(start_paused = true)]
async fn identical_lookups_hit_within_the_ttl_and_miss_after() {
    let fake = Fake::new(Vec::new(), found());
    let (layer, rec) = layer(&fake, cached());
    let first = layer.lookup(&request("d1")).await;
    tokio::time::advance(Duration::from_secs(29)).await;
    assert_eq!(layer.lookup(&request("d2")).await, first);
    assert_eq!((fake.calls(), Recorder::count(&rec.cache_hits)), (1, 1));
    tokio::time::advance(Duration::from_secs(2)).await;
    assert_eq!(layer.lookup(&request("d3")).await, first);
    assert_eq!((fake.calls(), Recorder::count(&rec.cache_hits)), (2, 1));
    assert_eq!(fake.ids(), ["d1-1", "d3-1"]);
}

#[tokio::test(start_paused = true)]
async fn another_procedure_or_date_is_another_lookup() {
    let fake = Fake::new(Vec::new(), found());
    let (layer, _) = layer(&fake, cached());
    layer.lookup(&request("a")).await.unwrap();
    let mut other = request("b");
    other.procedure_code = "2.000001".into();
    layer.lookup(&other).await.unwrap();
    let mut born = request("c");
    born.birth = dossierflow_domain::BirthDate::YearOnly(1990);
    layer.lookup(&born).await.unwrap();
    assert_eq!(fake.calls(), 3);
}

#[tokio::test(start_paused = true)]
async fn errors_are_not_cached() {
    let fake = Fake::new(vec![transient("x"); 4], found());
    let (layer, _) = layer(&fake, cached());
    layer.lookup(&request("a")).await.unwrap_err();
    assert!(layer.lookup(&request("b")).await.unwrap().is_some());
    assert_eq!(fake.calls(), 5);
}

#[tokio::test(start_paused = true)]
async fn concurrent_identical_lookups_make_one_call() {
    let fake = Fake::slow(Vec::new(), found(), Duration::from_millis(200));
    let (layer, rec) = layer(&fake, cached());
    let lookups = (0..10).map(|i| {
        let layer = layer.clone();
        async move { layer.lookup(&request(&format!("d{i}"))).await }
    });
    let answers = futures::future::join_all(lookups).await;
    assert!(answers.iter().all(|a| *a == found()));
    assert_eq!(fake.calls(), 1);
    assert_eq!(
        fake.ids(),
        ["d0-1"],
        "the leader's request id is the one sent"
    );
    assert_eq!(Recorder::count(&rec.coalesced), 9);
    assert_eq!(rec.attempts.lock().unwrap().len(), 1);
}

#[tokio::test(start_paused = true)]
async fn zero_ttl_turns_caching_and_coalescing_off() {
    let fake = Fake::slow(Vec::new(), found(), Duration::from_millis(10));
    let (layer, _) = layer(&fake, ResilienceConfig::default());
    let lookups = (0..4).map(|i| {
        let layer = layer.clone();
        async move { layer.lookup(&request(&format!("d{i}"))).await }
    });
    futures::future::join_all(lookups).await;
    layer.lookup(&request("again")).await.unwrap();
    assert_eq!(fake.calls(), 5);
}

#[tokio::test(start_paused = true)]
async fn a_cancelled_leader_does_not_strand_its_followers() {
    let fake = Fake::slow(Vec::new(), found(), Duration::from_millis(200));
    let (layer, _) = layer(&fake, cached());
    let lead = layer.clone();
    let leader = tokio::spawn(async move { lead.lookup(&request("lead")).await });
    tokio::time::sleep(Duration::from_millis(50)).await;
    let follow = layer.clone();
    let follower = tokio::spawn(async move { follow.lookup(&request("follow")).await });
    tokio::time::sleep(Duration::from_millis(10)).await;
    leader.abort();
    assert_eq!(follower.await.unwrap(), found());
    assert_eq!(fake.calls(), 1);
}
