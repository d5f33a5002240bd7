//! The transaction behind an agency status update: lock the dossier, replay a known
//! idempotency key, check the transition, update, append `dossier.status.v1` (history +
//! outbox) and record the change in `status_change`.

use chrono::{DateTime, TimeZone, Utc};
use dossierflow_domain::{Status, TransitionError, WorkingCalendar, vn_offset};
use dossierflow_runtime::outbox;
use dossierflow_schemas::{Envelope, StatusV1, topics};
use uuid::Uuid;

use super::IntakeState;
use super::status_update::{AGENCY_STATUSES, StatusUpdated, Update};

const SOURCE: &str = "/dossierflow/agency-api";

/// The locked dossier: id, agency, status, due date.
type Locked = (Uuid, Option<String>, i16, Option<chrono::DateTime<Utc>>);

/// What an update did.
pub enum Applied {
    /// Applied now.
    Accepted(StatusUpdated),
    /// The key was applied before: the first result.
    Duplicate(StatusUpdated),
    /// No dossier has this code.
    NotFound,
    /// The dossier belongs to another agency.
    Forbidden,
    /// The key was used for another dossier.
    KeyConflict,
    /// The transition is not allowed.
    Illegal(TransitionError),
}

/// Applies `update` to the dossier `code` on behalf of `agency`.
pub async fn apply(
    state: &IntakeState,
    code: &str,
    agency: &str,
    update: &Update,
    key: Option<&str>,
) -> anyhow::Result<Applied> {
    let mut tx = state.pool().begin().await?;
    let row: Option<Locked> = sqlx::query_as(
        "SELECT id, agency_id, status, due_at FROM dossier WHERE dossier_code = $1 FOR NO KEY UPDATE",
    )
    .bind(code)
    .fetch_optional(&mut *tx)
    .await?;
    let Some((dossier_id, owner, current, due_at)) = row else {
        return Ok(Applied::NotFound);
    };
    if owner.as_deref() != Some(agency) {
        return Ok(Applied::Forbidden);
    }
    if let Some(key) = key {
        // The dossier row lock serialises retries of the same update.
        let seen: Option<(Uuid, serde_json::Value)> = sqlx::query_as(
            "SELECT dossier_id, response FROM status_change WHERE agency_id = $1 AND idempotency_key = $2",
        )
        .bind(agency)
        .bind(key)
        .fetch_optional(&mut *tx)
        .await?;
        if let Some((seen_dossier, response)) = seen {
            return Ok(if seen_dossier == dossier_id {
                Applied::Duplicate(serde_json::from_value(response)?)
            } else {
                Applied::KeyConflict
            });
        }
    }
    let from = u8::try_from(current)
        .ok()
        .and_then(Status::from_code)
        .ok_or_else(|| anyhow::anyhow!("dossier has an unknown status code {current}"))?;
    let to = match check(from, update.to) {
        Ok(to) => to,
        Err(e) => return Ok(Applied::Illegal(e)),
    };
    let now = Utc::now();
    // Leaving a supplement request: the office time the citizen took does not count.
    let due_at = match (from, due_at) {
        (Status::SupplementRequested, Some(due)) => {
            let since: Option<(DateTime<Utc>,)> = sqlx::query_as(
                "SELECT changed_at FROM status_change WHERE dossier_id = $1 AND to_status = 5
                 ORDER BY changed_at DESC LIMIT 1",
            )
            .bind(dossier_id)
            .fetch_optional(&mut *tx)
            .await?;
            Some(since.map_or(due, |(since,)| {
                resumed_due(&state.calendar, due, since, now)
            }))
        }
        (_, due) => due,
    };
    sqlx::query("UPDATE dossier SET status = $2, due_at = $3, updated_at = now() WHERE id = $1")
        .bind(dossier_id)
        .bind(i16::from(to.code()))
        .bind(due_at)
        .execute(&mut *tx)
        .await?;
    let event = Envelope::new(
        SOURCE,
        StatusV1 {
            dossier_id,
            dossier_code: Some(code.to_owned()),
            status_code: to.code(),
            status: to.as_str().to_owned(),
            previous_code: Some(from.code()),
            reason: update.reason.clone(),
            due_at,
            changed_at: now,
        },
    );
    outbox::append(&mut tx, &state.kafka.topic(topics::STATUS), &event).await?;
    let body = StatusUpdated {
        dossier_code: code.to_owned(),
        previous_code: from.code(),
        status_code: to.code(),
        status: to.as_str().to_owned(),
        changed_at: now,
    };
    sqlx::query(
        "INSERT INTO status_change (dossier_id, agency_id, idempotency_key, from_status, to_status,
                                    reason, officer, supplement_deadline, event_id, response, changed_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
    )
    .bind(dossier_id)
    .bind(agency)
    .bind(key)
    .bind(i16::from(from.code()))
    .bind(i16::from(to.code()))
    .bind(&update.reason)
    .bind(&update.officer)
    .bind(update.supplement_deadline)
    .bind(event.id)
    .bind(serde_json::to_value(&body)?)
    .bind(now)
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(Applied::Accepted(body))
}

/// The due date after a supplement pause from `since` to `now`: the office time of the
/// pause is added back (domain.md §4, §6).
pub fn resumed_due(
    calendar: &WorkingCalendar,
    due: DateTime<Utc>,
    since: DateTime<Utc>,
    now: DateTime<Utc>,
) -> DateTime<Utc> {
    let local = |t: DateTime<Utc>| t.with_timezone(&vn_offset()).naive_local();
    let paused = calendar.working_time_between(local(since), local(now));
    let shifted = calendar.add_working(local(due), paused);
    vn_offset()
        .from_local_datetime(&shifted)
        .single()
        .map_or(due, |t| t.with_timezone(&Utc))
}

/// The domain's transition rule, restricted to the statuses an agency may set.
pub fn check(from: Status, to: Status) -> Result<Status, TransitionError> {
    if AGENCY_STATUSES.contains(&to) {
        from.transition(to)
    } else {
        Err(TransitionError { from, to })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn agencies_follow_the_transition_table() {
        assert_eq!(
            check(Status::Received, Status::Processing),
            Ok(Status::Processing)
        );
        assert_eq!(
            check(Status::Completed, Status::Returned),
            Ok(Status::Returned)
        );
        let err = check(Status::Processing, Status::Received).expect_err("backwards");
        let message = err.to_string();
        assert!(
            message.contains(&Status::Processing.to_string()),
            "{message}"
        );
        assert!(message.contains(&Status::Received.to_string()), "{message}");
        assert!(
            check(Status::Submitted, Status::Received).is_err(),
            "reception is the route stage's"
        );
        assert!(
            check(Status::Returned, Status::Processing).is_err(),
            "final"
        );
    }

    #[test]
    fn a_supplement_pause_moves_the_due_date_by_the_office_time_waited() {
        let cal = WorkingCalendar::vietnam().expect("calendar");
        let t = |s: &str| {
            DateTime::parse_from_rfc3339(s)
                .expect("time")
                .with_timezone(&Utc)
        };
        // Due Mon 27/03/2023 14:27:45 (07:27:45Z); paused Wed 08/03 09:00 → Mon 13/03 09:00
        // local: three working days of office time.
        let due = resumed_due(
            &cal,
            t("2023-03-27T07:27:45Z"),
            t("2023-03-08T02:00:00Z"),
            t("2023-03-13T02:00:00Z"),
        );
        assert_eq!(due, t("2023-03-30T07:27:45Z"));
        // A pause over a weekend costs nothing.
        let same = resumed_due(
            &cal,
            t("2023-03-27T07:27:45Z"),
            t("2023-03-11T02:00:00Z"),
            t("2023-03-12T12:00:00Z"),
        );
        assert_eq!(same, t("2023-03-27T07:27:45Z"));
    }
}
