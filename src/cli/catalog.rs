//! `dossierflow catalog check|load`: validate the catalogue files and load them into
//! PostgreSQL in one transaction (all or nothing).

use std::path::PathBuf;

use clap::{Args, Subcommand};
use dossierflow_domain::Catalog;
use dossierflow_runtime::config::DbArgs;
use dossierflow_runtime::db;
use serde::Serialize;

/// Options of `catalog`.
#[derive(Debug, Args)]
pub struct CatalogArgs {
    #[command(subcommand)]
    action: Action,
}

#[derive(Debug, Subcommand)]
enum Action {
    /// Validate the catalogue files; errors name file and line.
    Check(Source),
    /// Validate, then replace the catalogue tables in PostgreSQL.
    Load {
        #[command(flatten)]
        source: Source,
        #[command(flatten)]
        db: DbArgs,
    },
}

/// Where the catalogue comes from.
#[derive(Debug, Args)]
struct Source {
    /// Folder with procedures.json, agencies.json, units.json and legacy_map.json; the
    /// sample catalogue built into the binary when absent.
    #[arg(long)]
    dir: Option<PathBuf>,
}

pub async fn run(args: CatalogArgs) -> anyhow::Result<()> {
    match args.action {
        Action::Check(source) => {
            let c = read(&source)?;
            println!("catalogue valid: {}", summary(&c));
            Ok(())
        }
        Action::Load { source, db } => {
            let c = read(&source)?;
            let pool = db::connect_and_migrate(&db).await?;
            load(&pool, &c).await?;
            println!("catalogue loaded: {}", summary(&c));
            Ok(())
        }
    }
}

fn summary(c: &Catalog) -> String {
    format!(
        "{} procedures, {} agencies, {} units, {} legacy→current commune links",
        c.procedures().len(),
        c.agencies().len(),
        c.units().len(),
        c.legacy_links().len()
    )
}

fn read(source: &Source) -> anyhow::Result<Catalog> {
    dossierflow_consumers::load_catalog(source.dir.as_deref())
}

/// The serde name of a catalogue enum (`province`, `current_34`…).
fn name<T: Serialize>(v: &T) -> String {
    serde_json::to_value(v)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_default()
}

async fn load(pool: &sqlx::PgPool, c: &Catalog) -> anyhow::Result<()> {
    let mut tx = pool.begin().await?;
    for table in [
        "catalog_procedure",
        "catalog_agency",
        "catalog_unit_mapping",
        "catalog_unit",
    ] {
        sqlx::query(sqlx::AssertSqlSafe(format!("DELETE FROM {table}")))
            .execute(&mut *tx)
            .await?;
    }
    for u in c.units() {
        sqlx::query("INSERT INTO catalog_unit (scheme, code, name, level, parent) VALUES ($1, $2, $3, $4, $5)")
            .bind(name(&u.scheme))
            .bind(&u.code)
            .bind(&u.name)
            .bind(name(&u.level))
            .bind(&u.parent)
            .execute(&mut *tx)
            .await?;
    }
    for (legacy, current) in c.legacy_links() {
        sqlx::query("INSERT INTO catalog_unit_mapping (legacy_code, current_code) VALUES ($1, $2)")
            .bind(legacy)
            .bind(current)
            .execute(&mut *tx)
            .await?;
    }
    for a in c.agencies() {
        sqlx::query("INSERT INTO catalog_agency (id, name, level, parent, unit_code) VALUES ($1, $2, $3, $4, $5)")
            .bind(a.id.as_str())
            .bind(&a.name)
            .bind(name(&a.level))
            .bind(a.parent.as_ref().map(|p| p.as_str().to_owned()))
            .bind(&a.unit_code)
            .execute(&mut *tx)
            .await?;
    }
    for p in c.procedures() {
        let agencies: Vec<String> = p.agencies.iter().map(|a| a.as_str().to_owned()).collect();
        let fields: Vec<String> = p.csdlqg_fields.iter().map(name).collect();
        sqlx::query(
            "INSERT INTO catalog_procedure (code, name, field, level, agencies, processing, channel, csdlqg_fields)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        )
        .bind(p.code.as_str())
        .bind(&p.name)
        .bind(&p.field)
        .bind(name(&p.level))
        .bind(&agencies)
        .bind(serde_json::to_value(p.processing)?)
        .bind(name(&p.channel))
        .bind(&fields)
        .execute(&mut *tx)
        .await?;
    }
    tx.commit().await?;
    Ok(())
}
