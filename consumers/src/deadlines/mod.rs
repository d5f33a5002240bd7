//! Due-date scheduler: finds dossiers past their due date (*ngày hẹn trả*) that are not
//! finished and starts the apology (*phiếu xin lỗi và hẹn lại ngày trả kết quả*).
//!
//! Reads the `dossier` table every tick (default 30 s): dossiers with `due_at < now()`,
//! a status other than refused, withdrawn, stopped, completed or returned (3, 7, 8, 9,
//! 10), and no `overdue_at` yet. Consumes no topic.
//!
//! Emits, through the outbox and in the transaction that sets `overdue_at`:
//! `dossier.overdue.v1`, and `dossier.status.v1` with the current status and the reason
//! "Quá hạn xử lý — phiếu xin lỗi và hẹn lại", so the notify stage tells the citizen.
//! Sets the `dossier_overdue_dossiers{agency}` gauge from the database every tick.
//!
//! Guarantee: exactly one overdue event per dossier, however many instances run. Each
//! tick's transaction takes `pg_try_advisory_xact_lock`; an instance that does not get it
//! skips the tick, and the marking update only touches rows still unmarked. A dossier
//! whose row another stage holds locked is skipped and seen at the next tick.

mod handle;
mod shell;

pub use handle::{
    Candidate, Decision, OVERDUE_REASON, decide, finished_codes, gauge_values, is_finished,
};
pub use shell::{LOCK_KEY, Scheduler, TickReport};
