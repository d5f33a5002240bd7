//! System test: `dossierflow catalog load` loads the sample catalogue into PostgreSQL and
//! refuses a broken file with file:line errors, leaving the loaded catalogue untouched.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

use common::{BIN, TestDb};
use dossierflow_domain::Catalog;

fn sample_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("lib/domain/catalog")
}

fn copy_sample(to: &Path) {
    std::fs::create_dir_all(to).expect("mkdir");
    for f in [
        "procedures.json",
        "agencies.json",
        "units.json",
        "legacy_map.json",
    ] {
        std::fs::copy(sample_dir().join(f), to.join(f)).expect("copy");
    }
}

fn dossierflow(args: &[&str], db: &TestDb) -> (bool, String) {
    let out = Command::new(BIN)
        .args(args)
        .env("DOSSIER__DATABASE__URL", &db.url)
        .output()
        .expect("run");
    (
        out.status.success(),
        format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ),
    )
}

/// The 1-based line of the `nth` line containing `needle`.
fn line_of(path: &Path, needle: &str, nth: usize) -> usize {
    let text = std::fs::read_to_string(path).expect("read");
    text.lines()
        .enumerate()
        .filter(|(_, l)| l.contains(needle))
        .nth(nth)
        .expect("needle")
        .0
        + 1
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn catalog_load_accepts_the_sample_and_refuses_broken_files_with_lines() {
    let db = TestDb::new();
    let (ok, out) = dossierflow(&["catalog", "load"], &db);
    assert!(ok, "{out}");
    let sample = Catalog::embedded().expect("sample");
    let pool = db.pool().await;
    let count = |table: &'static str| {
        let pool = pool.clone();
        async move {
            let (n,): (i64,) =
                sqlx::query_as(sqlx::AssertSqlSafe(format!("SELECT count(*) FROM {table}")))
                    .fetch_one(&pool)
                    .await
                    .expect("count");
            n as usize
        }
    };
    assert_eq!(count("catalog_procedure").await, sample.procedures().len());
    assert_eq!(count("catalog_agency").await, sample.agencies().len());
    assert_eq!(count("catalog_unit").await, sample.units().len());
    assert_eq!(
        count("catalog_unit_mapping").await,
        sample.legacy_links().len()
    );
    assert!(sample.procedures().len() >= 20 && sample.current_communes().len() >= 10);

    let dir = std::env::temp_dir().join(format!("dfcat-{}", uuid::Uuid::new_v4().simple()));
    // An unknown agency reference.
    copy_sample(&dir);
    let p = dir.join("procedures.json");
    let text = std::fs::read_to_string(&p).expect("read");
    std::fs::write(
        &p,
        text.replacen("\"000.00.20.H43\"", "\"000.00.99.H43\"", 1),
    )
    .expect("write");
    let want = format!(
        "procedures.json:{}",
        line_of(&p, "\"code\": \"1.004227\"", 0)
    );
    let (ok, out) = dossierflow(
        &["catalog", "load", "--dir", dir.to_str().expect("utf8")],
        &db,
    );
    assert!(!ok, "a broken catalogue must be refused");
    assert!(
        out.contains(&want) && out.contains("000.00.99.H43"),
        "expected {want} in: {out}"
    );

    // A duplicate code: the line of the second occurrence.
    copy_sample(&dir);
    let text = std::fs::read_to_string(&p).expect("read");
    std::fs::write(&p, text.replacen("\"1.004036\"", "\"1.003658\"", 1)).expect("write");
    let want = format!(
        "procedures.json:{}",
        line_of(&p, "\"code\": \"1.003658\"", 1)
    );
    let (ok, out) = dossierflow(
        &["catalog", "check", "--dir", dir.to_str().expect("utf8")],
        &db,
    );
    assert!(!ok && out.contains(&want), "expected {want} in: {out}");

    // Malformed JSON: file, line and column.
    copy_sample(&dir);
    let u = dir.join("units.json");
    let text = std::fs::read_to_string(&u).expect("read");
    std::fs::write(&u, text.replacen("\"code\":", "\"code\"", 1)).expect("write");
    let (ok, out) = dossierflow(
        &["catalog", "load", "--dir", dir.to_str().expect("utf8")],
        &db,
    );
    assert!(!ok && out.contains("units.json:"), "{out}");

    // Nothing of the refused loads reached the database.
    assert_eq!(count("catalog_procedure").await, sample.procedures().len());
    let (agency,): (String,) =
        sqlx::query_as("SELECT agencies[1] FROM catalog_procedure WHERE code = '1.004227'")
            .fetch_one(&pool)
            .await
            .expect("row");
    assert_eq!(agency, "000.00.20.H43");
    let _ = std::fs::remove_dir_all(&dir);
}
