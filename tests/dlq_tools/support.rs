//! Helpers of the dead-letter tools system test: producing raw records, running the
//! binary as a subprocess with the test's environment, submitting a routed dossier.

use std::time::{Duration, Instant};

use dossierflow_domain::{Catalog, Level};
use dossierflow_producers::generate::population;
use dossierflow_producers::submit::{Outgoing, Sent, submit_all};
use rdkafka::message::OwnedHeaders;
use reqwest::Url;
use serde_json::json;
use sqlx::PgPool;
use uuid::Uuid;

use crate::common;

pub use crate::common::kafka::produce;

/// CloudEvents 1.0 headers with a given event id.
pub fn ce_headers(id: Uuid, ty: &str) -> OwnedHeaders {
    crate::common::kafka::ce_headers_with("1.0", id, ty)
}

/// Runs `dossierflow <args>` with `env`; returns (success, stdout, stderr).
pub async fn cli(env: &[(&str, String)], args: &[&str]) -> (bool, String, String) {
    let out = tokio::process::Command::new(common::BIN)
        .args(args)
        .envs(env.iter().map(|(k, v)| (*k, v.as_str())))
        .stdin(std::process::Stdio::null())
        .output()
        .await
        .expect("run dossierflow");
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// Like [`cli`], failing the test unless the command succeeds; returns stdout.
pub async fn cli_ok(env: &[(&str, String)], args: &[&str]) -> String {
    let (ok, out, err) = cli(env, args).await;
    assert!(ok, "dossierflow {args:?} failed:\n{out}\n{err}");
    out
}

/// Polls `check` every 500 ms until it returns `Some`, for at most `limit`.
pub async fn wait_for<T, F, Fut>(what: &str, limit: Duration, mut check: F) -> T
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Option<T>>,
{
    let started = Instant::now();
    loop {
        if let Some(v) = check().await {
            return v;
        }
        assert!(started.elapsed() < limit, "{what}: not within {limit:?}");
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
}

/// Submits one dossier of a known applicant for a province-level procedure through the
/// intake API and waits until it is routed; returns its id.
pub async fn routed_dossier(api: &str, pool: &PgPool, seed: u64, size: usize) -> Uuid {
    let catalog = Catalog::embedded().expect("catalogue");
    let pop = population(seed, size, &catalog);
    let procedure = catalog
        .procedures()
        .iter()
        .find(|p| p.level == Level::Province)
        .expect("province procedure");
    let p = pop.person(0);
    let body = json!({"procedure_code": procedure.code.as_str(),
        "applicant": {"full_name": p.name.as_str(), "id_number": p.id.as_str(), "birth_date": p.birth.to_string()}});
    let api = Url::parse(&format!("{api}/")).expect("url");
    let item = Outgoing {
        body,
        idempotency_key: Uuid::new_v4().to_string(),
    };
    let sent = submit_all(&api, vec![item], 1, false)
        .await
        .expect("submit");
    let Some(Sent::Accepted(id)) = sent.into_iter().next() else {
        panic!("submission not accepted");
    };
    let stage = wait_for("dossier final", Duration::from_secs(60), || async {
        sqlx::query_scalar::<_, String>(
            "SELECT stage FROM dossier WHERE id = $1 AND stage IN ('routed', 'triage', 'refused')",
        )
        .bind(id)
        .fetch_optional(pool)
        .await
        .expect("query")
    })
    .await;
    assert_eq!(stage, "routed");
    id
}

/// The data rows of a `dlq list` table (the lines starting with a `partition:offset` id).
pub fn table_rows(out: &str) -> Vec<&str> {
    out.lines()
        .filter(|l| {
            l.split_whitespace()
                .next()
                .is_some_and(|id| id.contains(':') && id.starts_with(|c: char| c.is_ascii_digit()))
        })
        .collect()
}
