//! The pure fold behind `dossierflow replay`: a dossier's state rebuilt from its event
//! history (`dossier_event`, in `seq` order), mirroring what each writer does to the
//! `dossier` row in the transaction that appends the event:
//!
//! | event | writer | columns |
//! |---|---|---|
//! | `dossier.submitted.v1` | intake (`store.rs`) / verify upsert | status 1, stage `submitted` |
//! | `dossier.verified.v1` | verify | stage `verified`/`refused`, verification; status 3 if not verified |
//! | `dossier.enriched.v1` | enrich | stage `enriched` |
//! | `dossier.triage.v1` | route | stage `triage` |
//! | `dossier.routed.v1` | route | stage `routed`, status 2, agency, code, received, due |
//! | `dossier.status.v1` | intake, verify, route, agency API, scheduler | status; due date when given |
//! | `dossier.overdue.v1` | scheduler | overdue at |
//!
//! Other events (`notification.requested.v1`) change no column. Times are compared at
//! PostgreSQL's microsecond precision.

use chrono::{DateTime, DurationRound, TimeDelta, Utc};
use dossierflow_schemas::{OverdueV1, RoutedV1, StatusV1, VerificationOutcome, VerifiedV1};
use serde::de::DeserializeOwned;

/// The replayed columns of a dossier.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DossierState {
    /// National status code (1–10).
    pub status: i16,
    /// Pipeline stage.
    pub stage: String,
    /// Verification outcome.
    pub verification: Option<String>,
    /// Dossier code.
    pub dossier_code: Option<String>,
    /// Responsible agency.
    pub agency_id: Option<String>,
    /// Reception time.
    pub received_at: Option<DateTime<Utc>>,
    /// Due date.
    pub due_at: Option<DateTime<Utc>>,
    /// When the scheduler found it overdue.
    pub overdue_at: Option<DateTime<Utc>>,
}

impl Default for DossierState {
    /// The row as intake (or the verify stage, for a portal-published dossier) creates it.
    fn default() -> Self {
        Self {
            status: 1,
            stage: "submitted".into(),
            verification: None,
            dossier_code: None,
            agency_id: None,
            received_at: None,
            due_at: None,
            overdue_at: None,
        }
    }
}

/// One stored field that differs from its replayed value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Difference {
    /// Column name.
    pub field: &'static str,
    /// Stored value, printed.
    pub stored: String,
    /// Replayed value, printed.
    pub replayed: String,
}

/// Why a history cannot be replayed. Names the event, never a value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FoldError {
    /// Position in the history (0-based).
    pub index: usize,
    /// Event type.
    pub ty: String,
    /// serde's reason (field and position).
    pub reason: String,
}

impl std::fmt::Display for FoldError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "event #{} ({}) does not decode: {}",
            self.index, self.ty, self.reason
        )
    }
}

impl std::error::Error for FoldError {}

/// PostgreSQL keeps microseconds, and sqlx truncates to them.
pub fn to_micros(t: DateTime<Utc>) -> DateTime<Utc> {
    t.duration_trunc(TimeDelta::microseconds(1)).unwrap_or(t)
}

/// Replays `history` (event type and payload, in order). `None` when no event in it sets
/// a column (e.g. a row inserted by hand, or a history of notifications only).
pub fn fold(history: &[(String, serde_json::Value)]) -> Result<Option<DossierState>, FoldError> {
    let mut s = DossierState::default();
    let mut touched = false;
    for (index, (ty, payload)) in history.iter().enumerate() {
        match ty.as_str() {
            "dossier.submitted.v1" => {
                s.status = 1;
                s.stage = "submitted".into();
            }
            "dossier.verified.v1" => {
                let v: VerifiedV1 = parse(index, ty, payload)?;
                let ok = v.outcome == VerificationOutcome::Verified;
                s.stage = if ok { "verified" } else { "refused" }.into();
                s.verification = Some(v.outcome.as_str().to_owned());
                if !ok {
                    s.status = 3;
                }
            }
            "dossier.enriched.v1" => s.stage = "enriched".into(),
            "dossier.triage.v1" => s.stage = "triage".into(),
            "dossier.routed.v1" => {
                let r: RoutedV1 = parse(index, ty, payload)?;
                s.stage = "routed".into();
                s.status = 2;
                s.agency_id = Some(r.agency_id);
                s.dossier_code = Some(r.dossier_code);
                s.received_at = Some(to_micros(r.received_at));
                s.due_at = Some(to_micros(r.due_at));
            }
            "dossier.status.v1" => {
                let st: StatusV1 = parse(index, ty, payload)?;
                s.status = i16::from(st.status_code);
                if let Some(due) = st.due_at {
                    s.due_at = Some(to_micros(due));
                }
            }
            "dossier.overdue.v1" => {
                let o: OverdueV1 = parse(index, ty, payload)?;
                s.overdue_at = Some(to_micros(o.detected_at));
            }
            _ => continue,
        }
        touched = true;
    }
    Ok(touched.then_some(s))
}

fn parse<T: DeserializeOwned>(
    index: usize,
    ty: &str,
    v: &serde_json::Value,
) -> Result<T, FoldError> {
    T::deserialize(v).map_err(|e| FoldError {
        index,
        ty: ty.to_owned(),
        // serde_json's message may quote a value; keep only its category and position.
        reason: e
            .to_string()
            .split(':')
            .next()
            .unwrap_or("invalid")
            .to_owned(),
    })
}

fn text<T: ToString>(v: &Option<T>) -> String {
    v.as_ref().map_or("-".into(), ToString::to_string)
}

fn time(v: &Option<DateTime<Utc>>) -> String {
    v.map_or("-".into(), |t| {
        t.to_rfc3339_opts(chrono::SecondsFormat::Micros, true)
    })
}

fn status(code: i16) -> String {
    let name = u8::try_from(code)
        .ok()
        .and_then(dossierflow_domain::Status::from_code)
        .map_or("?", |s| s.as_str());
    format!("{code} ({name})")
}

/// Every field where `stored` differs from `replayed`, in column order.
pub fn diff(stored: &DossierState, replayed: &DossierState) -> Vec<Difference> {
    let mut out = Vec::new();
    let mut check = |field: &'static str, a: String, b: String| {
        if a != b {
            out.push(Difference {
                field,
                stored: a,
                replayed: b,
            });
        }
    };
    check("status", status(stored.status), status(replayed.status));
    check("stage", stored.stage.clone(), replayed.stage.clone());
    check(
        "verification",
        text(&stored.verification),
        text(&replayed.verification),
    );
    check(
        "dossier_code",
        text(&stored.dossier_code),
        text(&replayed.dossier_code),
    );
    check(
        "agency_id",
        text(&stored.agency_id),
        text(&replayed.agency_id),
    );
    let (sr, rr) = (stored.received_at.map(to_micros), replayed.received_at);
    check("received_at", time(&sr), time(&rr));
    check(
        "due_at",
        time(&stored.due_at.map(to_micros)),
        time(&replayed.due_at),
    );
    check(
        "overdue_at",
        time(&stored.overdue_at.map(to_micros)),
        time(&replayed.overdue_at),
    );
    out
}

#[cfg(test)]
#[path = "replay_fold_tests.rs"]
mod tests;
