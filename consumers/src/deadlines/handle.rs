//! Pure core of the due-date scheduler: which dossiers are overdue, what to emit for
//! them, and how the per-agency gauge changes. No I/O.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, Utc};
use dossierflow_domain::Status;
use dossierflow_schemas::{OverdueV1, StatusV1};
use uuid::Uuid;

/// Reason carried by the status event, shown to the citizen.
pub const OVERDUE_REASON: &str = "Quá hạn xử lý — phiếu xin lỗi và hẹn lại";

/// Whether the dossier's processing is over: a final status, or the result is ready
/// (`Completed`, which can still move to `Returned` but is no longer late).
pub fn is_finished(status: Status) -> bool {
    status.is_final() || status == Status::Completed
}

/// The national codes of finished statuses (3, 7, 8, 9, 10), for the SQL filter.
pub fn finished_codes() -> Vec<i16> {
    Status::ALL
        .into_iter()
        .filter(|s| is_finished(*s))
        .map(|s| i16::from(s.code()))
        .collect()
}

/// A dossier the scheduler read: due, not yet marked overdue.
#[derive(Debug, Clone, PartialEq)]
pub struct Candidate {
    /// Dossier id.
    pub dossier_id: Uuid,
    /// Dossier code, assigned at reception.
    pub dossier_code: Option<String>,
    /// Responsible agency, assigned at reception.
    pub agency_id: Option<String>,
    /// Current national status code.
    pub status: i16,
    /// Due date.
    pub due_at: Option<DateTime<Utc>>,
}

/// What to do with one candidate.
#[derive(Debug, Clone, PartialEq)]
pub enum Decision {
    /// Mark it overdue and emit both events.
    Overdue {
        /// The `dossier.overdue.v1` payload.
        overdue: OverdueV1,
        /// The `dossier.status.v1` payload that makes the notify stage send the apology.
        status: StatusV1,
    },
    /// Leave it alone, for the given reason (a closed set, fit for logs).
    Skip(&'static str),
}

/// Decides whether `c` is overdue at `now`.
pub fn decide(c: &Candidate, now: DateTime<Utc>) -> Decision {
    let Some(due_at) = c.due_at else {
        return Decision::Skip("no_due_date");
    };
    if due_at >= now {
        return Decision::Skip("not_due");
    }
    let Some(status) = u8::try_from(c.status).ok().and_then(Status::from_code) else {
        return Decision::Skip("unknown_status");
    };
    if is_finished(status) {
        return Decision::Skip("finished");
    }
    let (Some(code), Some(agency)) = (&c.dossier_code, &c.agency_id) else {
        return Decision::Skip("not_received");
    };
    Decision::Overdue {
        overdue: OverdueV1 {
            dossier_id: c.dossier_id,
            dossier_code: code.clone(),
            agency_id: agency.clone(),
            due_at,
            detected_at: now,
        },
        status: StatusV1 {
            dossier_id: c.dossier_id,
            dossier_code: Some(code.clone()),
            status_code: status.code(),
            status: status.as_str().to_owned(),
            previous_code: None,
            reason: Some(OVERDUE_REASON.to_owned()),
            due_at: Some(due_at),
            changed_at: now,
        },
    }
}

/// The gauge values to set: every agency counted now, plus 0 for each agency that had
/// overdue dossiers last tick and has none now (so a stale value never lingers).
pub fn gauge_values(
    previous: &BTreeSet<String>,
    counts: &[(String, i64)],
) -> BTreeMap<String, i64> {
    let mut values: BTreeMap<String, i64> = previous.iter().map(|a| (a.clone(), 0)).collect();
    for (agency, n) in counts {
        values.insert(agency.clone(), *n);
    }
    values
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::Duration;

    fn candidate(status: i16, due_in_minutes: i64, now: DateTime<Utc>) -> Candidate {
        Candidate {
            dossier_id: Uuid::nil(),
            dossier_code: Some("000.01.30.H43-261127-0001".into()),
            agency_id: Some("000.01.30.H43".into()),
            status,
            due_at: Some(now + Duration::minutes(due_in_minutes)),
        }
    }

    #[test]
    fn finished_codes_are_refused_withdrawn_stopped_completed_returned() {
        assert_eq!(finished_codes(), vec![3, 7, 8, 9, 10]);
    }

    #[test]
    fn decisions_table() {
        let now = Utc::now();
        let cases: &[(i16, i64, Option<&str>)] = &[
            // (status, due in minutes, skip reason or None for overdue)
            (2, -1, None),
            (4, -600, None),
            (5, -1, None),
            (6, -1, None),
            (4, 1, Some("not_due")),
            (4, 0, Some("not_due")),
            (3, -1, Some("finished")),
            (7, -1, Some("finished")),
            (8, -1, Some("finished")),
            (9, -1, Some("finished")),
            (10, -1, Some("finished")),
            (11, -1, Some("unknown_status")),
            (-1, -1, Some("unknown_status")),
        ];
        for &(status, due, expected) in cases {
            let d = decide(&candidate(status, due, now), now);
            match (expected, d) {
                (None, Decision::Overdue { overdue, status: s }) => {
                    assert_eq!(overdue.detected_at, now);
                    assert_eq!(i16::from(s.status_code), status);
                    assert_eq!(s.reason.as_deref(), Some(OVERDUE_REASON));
                    assert_eq!(s.due_at, Some(overdue.due_at));
                }
                (Some(reason), Decision::Skip(r)) => assert_eq!(r, reason, "status {status}"),
                (e, d) => panic!("status {status}, due {due}: expected {e:?}, got {d:?}"),
            }
        }
    }

    #[test]
    fn dossiers_without_due_date_or_reception_are_skipped() {
        let now = Utc::now();
        let mut c = candidate(2, -5, now);
        c.due_at = None;
        assert_eq!(decide(&c, now), Decision::Skip("no_due_date"));
        let mut c = candidate(2, -5, now);
        c.agency_id = None;
        assert_eq!(decide(&c, now), Decision::Skip("not_received"));
    }

    #[test]
    fn agencies_that_dropped_to_zero_are_reset() {
        let previous: BTreeSet<String> = ["A".to_owned(), "B".to_owned()].into();
        let counts = vec![("B".to_owned(), 3), ("C".to_owned(), 1)];
        let v = gauge_values(&previous, &counts);
        assert_eq!(
            v.into_iter().collect::<Vec<_>>(),
            vec![("A".into(), 0), ("B".into(), 3), ("C".into(), 1)]
        );
    }
}
