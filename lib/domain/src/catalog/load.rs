//! Loading and validating catalogue JSON. Each file is an object with a `_source` note and an
//! `entries` array (a bare array is accepted too). Every error names the file and the entry.

use serde::Deserialize;
use serde::de::DeserializeOwned;
use thiserror::Error;

use super::validate::{index_agencies, index_links, index_procedures, index_units};
use super::{Agency, Catalog, Procedure, Unit};

pub(super) const PROCEDURES_FILE: &str = "procedures.json";
pub(super) const AGENCIES_FILE: &str = "agencies.json";
pub(super) const UNITS_FILE: &str = "units.json";
pub(super) const LEGACY_MAP_FILE: &str = "legacy_map.json";

/// Why a catalogue could not be loaded. Always names the file and, if known, the entry.
#[derive(Debug, Error)]
pub enum CatalogError {
    /// Not valid JSON or not the expected shape.
    #[error("{file}:{}:{}: not a valid catalogue file: {source}", source.line(), source.column())]
    Json {
        /// File name.
        file: &'static str,
        /// The parser's complaint, with line and column.
        #[source]
        source: serde_json::Error,
    },
    /// An entry that breaks a catalogue rule.
    #[error("{file}:{}: entry {entry}: {problem}", line.map_or("?".to_owned(), |l| l.to_string()))]
    Invalid {
        /// File name.
        file: &'static str,
        /// 1-based line of the entry in the file, when it could be located.
        line: Option<usize>,
        /// Code or id of the entry.
        entry: String,
        /// What is wrong, e.g. "duplicate code" or "unknown agency 000.00.99.H43".
        problem: String,
    },
}

pub(super) fn invalid(file: &'static str, entry: &str, problem: impl Into<String>) -> CatalogError {
    CatalogError::Invalid {
        file,
        line: None,
        entry: entry.to_owned(),
        problem: problem.into(),
    }
}

impl CatalogError {
    /// The file the error is in.
    pub fn file(&self) -> &'static str {
        match self {
            Self::Json { file, .. } | Self::Invalid { file, .. } => file,
        }
    }

    /// Fills in the line of an `Invalid` entry from the file's text.
    pub(super) fn located(self, text: &str) -> Self {
        match self {
            Self::Invalid {
                file,
                line: None,
                entry,
                problem,
            } => {
                let line = locate(text, &entry, problem.contains("duplicate"));
                Self::Invalid {
                    file,
                    line,
                    entry,
                    problem,
                }
            }
            other => other,
        }
    }
}

/// The line of the entry whose `code`/`id`/`legacy` is named in `entry` (either the bare
/// key or `#N (key)`); the last occurrence for duplicates, else the first.
fn locate(text: &str, entry: &str, last: bool) -> Option<usize> {
    let key = match entry.split_once(" (") {
        Some((_, rest)) => rest.trim_end_matches(')'),
        None => entry,
    };
    let needle = format!("\"{key}\"");
    let mut hits = text.lines().enumerate().filter(|(_, l)| {
        let t = l.trim_start();
        (t.starts_with("\"code\"") || t.starts_with("\"id\"") || t.starts_with("\"legacy\""))
            && l.contains(&needle)
    });
    let hit = if last { hits.last() } else { hits.next() };
    hit.map(|(i, _)| i + 1).or_else(|| {
        // `#N` without a key: the N-th object opening inside `entries`.
        let n: usize = entry.strip_prefix('#')?.split(' ').next()?.parse().ok()?;
        let start = text.lines().position(|l| l.contains("\"entries\""))?;
        text.lines()
            .enumerate()
            .skip(start + 1)
            .filter(|(_, l)| l.trim_start().starts_with('{'))
            .nth(n - 1)
            .map(|(i, _)| i + 1)
    })
}

/// One legacy commune and the current commune it merged into.
#[derive(Deserialize)]
pub(super) struct LegacyLink {
    pub(super) legacy: String,
    pub(super) current: String,
}

/// Parses one file into its entries; a malformed entry is reported by position and code/id.
fn read<T: DeserializeOwned>(file: &'static str, json: &str) -> Result<Vec<T>, CatalogError> {
    let value: serde_json::Value =
        serde_json::from_str(json).map_err(|source| CatalogError::Json { file, source })?;
    let entries = match value {
        serde_json::Value::Array(a) => a,
        serde_json::Value::Object(mut o) => match o.remove("entries") {
            Some(serde_json::Value::Array(a)) => a,
            _ => return Err(invalid(file, "-", "expected an `entries` array")),
        },
        _ => {
            return Err(invalid(
                file,
                "-",
                "expected an object with `entries` or an array",
            ));
        }
    };
    entries
        .into_iter()
        .enumerate()
        .map(|(i, v)| {
            let key = ["code", "id", "legacy"]
                .iter()
                .find_map(|k| v.get(k).and_then(|c| c.as_str()))
                .map_or_else(|| format!("#{}", i + 1), |c| format!("#{} ({c})", i + 1));
            serde_json::from_value(v).map_err(|e| invalid(file, &key, e.to_string()))
        })
        .collect()
}

impl Catalog {
    /// The embedded sample catalogue (new Phú Thọ province), parsed and validated.
    pub fn embedded() -> Result<Catalog, CatalogError> {
        Catalog::from_json(
            include_str!("../../catalog/procedures.json"),
            include_str!("../../catalog/agencies.json"),
            include_str!("../../catalog/units.json"),
            include_str!("../../catalog/legacy_map.json"),
        )
    }

    /// Parses and validates a catalogue from the four JSON documents.
    pub fn from_json(
        procedures: &str,
        agencies: &str,
        units: &str,
        legacy_map: &str,
    ) -> Result<Catalog, CatalogError> {
        let texts = [
            (PROCEDURES_FILE, procedures),
            (AGENCIES_FILE, agencies),
            (UNITS_FILE, units),
            (LEGACY_MAP_FILE, legacy_map),
        ];
        let locate = |e: CatalogError| {
            let text = texts
                .iter()
                .find(|(f, _)| *f == e.file())
                .map_or("", |(_, t)| *t);
            e.located(text)
        };
        Self::build(procedures, agencies, units, legacy_map).map_err(locate)
    }

    fn build(
        procedures: &str,
        agencies: &str,
        units: &str,
        legacy_map: &str,
    ) -> Result<Catalog, CatalogError> {
        let procedures: Vec<Procedure> = read(PROCEDURES_FILE, procedures)?;
        let agencies: Vec<Agency> = read(AGENCIES_FILE, agencies)?;
        let units: Vec<Unit> = read(UNITS_FILE, units)?;
        let links: Vec<LegacyLink> = read(LEGACY_MAP_FILE, legacy_map)?;

        let unit_index = index_units(&units)?;
        let legacy_map = index_links(&links, &unit_index, &units)?;
        let (agency_index, commune_agency_index) = index_agencies(&agencies, &unit_index, &units)?;
        let procedure_index = index_procedures(&procedures, &agency_index, &agencies)?;
        Ok(Catalog {
            procedures,
            agencies,
            units,
            legacy_map,
            procedure_index,
            agency_index,
            unit_index,
            commune_agency_index,
        })
    }
}
