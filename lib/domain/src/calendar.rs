//! The working calendar and due dates (*ngày hẹn trả*, domain.md §6).
//!
//! Holidays and make-up working days are **yearly data** (`lib/domain/calendar/vn-YYYY.json`,
//! each naming its source and flagging uncertain entries), not rules: bridge days change every
//! year. Outside the years on file only weekends are days off.
//!
//! All times are local `Asia/Ho_Chi_Minh` wall time (UTC+7, no daylight saving).

mod data;

use std::collections::HashSet;

use chrono::{Datelike, Duration, FixedOffset, NaiveDate, NaiveDateTime, NaiveTime, Weekday};

use crate::catalog::ProcessingTime;

pub use data::{CalendarDay, CalendarError, CalendarYear};

/// Vietnam's UTC offset in seconds (UTC+7 all year).
pub const VN_OFFSET_SECONDS: i32 = 7 * 3600;

const VN_OFFSET: FixedOffset = match FixedOffset::east_opt(VN_OFFSET_SECONDS) {
    Some(offset) => offset,
    None => panic!("UTC+7 is a valid offset"),
};

/// The `Asia/Ho_Chi_Minh` offset, UTC+7.
pub fn vn_offset() -> FixedOffset {
    VN_OFFSET
}

/// Office hours as `(start, end)` intervals of one working day, in order, non-overlapping.
pub type OfficeHours = Vec<(NaiveTime, NaiveTime)>;

/// Working days and office hours, used to compute due dates.
#[derive(Debug, Clone)]
pub struct WorkingCalendar {
    office_hours: OfficeHours,
    days_off: HashSet<NaiveDate>,
    make_up_days: HashSet<NaiveDate>,
}

impl WorkingCalendar {
    /// Vietnam: office hours 07:00–11:30 and 13:30–17:00 (8 h), holidays and make-up working
    /// days 2023–2027 from the embedded data files.
    pub fn vietnam() -> Result<WorkingCalendar, CalendarError> {
        let years = data::embedded_years()?;
        let hours = vec![(hm(7, 0)?, hm(11, 30)?), (hm(13, 30)?, hm(17, 0)?)];
        WorkingCalendar::new(hours, &years)
    }

    /// A calendar from explicit office hours and yearly data. Office-hour intervals must be
    /// non-empty, ordered and non-overlapping, and add up to 8 hours (1 working day).
    pub fn new(
        office_hours: OfficeHours,
        years: &[CalendarYear],
    ) -> Result<WorkingCalendar, CalendarError> {
        let total: Duration = office_hours.iter().map(|(a, b)| *b - *a).sum();
        let ordered = office_hours.windows(2).all(|w| w[0].1 <= w[1].0);
        if office_hours.iter().any(|(a, b)| a >= b) || !ordered || total != Duration::hours(8) {
            return Err(CalendarError::BadOfficeHours);
        }
        let mut days_off = HashSet::new();
        let mut make_up_days = HashSet::new();
        for y in years {
            days_off.extend(y.days_off.iter().map(|d| d.date));
            make_up_days.extend(y.working_days.iter().map(|d| d.date));
        }
        if let Some(both) = days_off.intersection(&make_up_days).next() {
            return Err(CalendarError::Invalid {
                year: both.year(),
                problem: format!("{both} is both a day off and a make-up working day"),
            });
        }
        Ok(WorkingCalendar {
            office_hours,
            days_off,
            make_up_days,
        })
    }

    /// Whether offices are open on `d`: make-up days are open; holidays, Saturdays and Sundays
    /// are closed; other days are open.
    pub fn is_working_day(&self, d: NaiveDate) -> bool {
        if self.make_up_days.contains(&d) {
            return true;
        }
        !self.days_off.contains(&d) && !matches!(d.weekday(), Weekday::Sat | Weekday::Sun)
    }

    /// The due date for a dossier received at `received` (local wall time).
    ///
    /// Counting starts at the next office-hours instant (after 17:00 or on a day off → 07:00 of
    /// the next working day; before 07:00 → 07:00; at lunch → 13:30), then `time` is added in
    /// office time (8 working hours = 1 working day). A deadline that falls exactly at the end
    /// of an office interval stays there (e.g. 17:00), not at the start of the next one.
    /// Saturates at [`NaiveDateTime::MAX`] if the end of the representable calendar is reached.
    pub fn due_date(&self, received: NaiveDateTime, time: ProcessingTime) -> NaiveDateTime {
        // u64 hours → minutes cannot overflow i64 for any u32 input.
        let minutes = i64::try_from(time.working_hours() * 60).unwrap_or(i64::MAX);
        self.add_working(received, Duration::minutes(minutes))
    }

    /// The due date when processing was paused, e.g. while the citizen supplemented the
    /// dossier (*yêu cầu bổ sung*): the office time that fell inside each pause
    /// `[start, end)` is added back, so the days spent waiting do not count (domain.md §4).
    /// Overlapping pauses count once.
    pub fn due_date_with_pauses(
        &self,
        received: NaiveDateTime,
        time: ProcessingTime,
        pauses: &[(NaiveDateTime, NaiveDateTime)],
    ) -> NaiveDateTime {
        let mut sorted: Vec<_> = pauses.iter().filter(|(a, b)| a < b).copied().collect();
        sorted.sort();
        let mut paused = Duration::zero();
        let mut covered_until = NaiveDateTime::MIN;
        for (start, end) in sorted {
            let start = start.max(covered_until).max(received);
            if start < end {
                paused += self.working_time_between(start, end);
            }
            covered_until = covered_until.max(end);
        }
        let due = self.due_date(received, time);
        if paused.is_zero() {
            due
        } else {
            self.add_working(due, paused)
        }
    }

    /// Office time between two instants (zero when `to <= from`).
    pub fn working_time_between(&self, from: NaiveDateTime, to: NaiveDateTime) -> Duration {
        let mut total = Duration::zero();
        let mut day = from.date();
        while day <= to.date() {
            if self.is_working_day(day) {
                for &(start, end) in &self.office_hours {
                    let a = day.and_time(start).max(from);
                    let b = day.and_time(end).min(to);
                    if a < b {
                        total += b - a;
                    }
                }
            }
            match day.succ_opt() {
                Some(next) => day = next,
                None => break,
            }
        }
        total
    }

    /// `from` plus `amount` of office time: counting starts at the next office-hours
    /// instant, and a result exactly at the end of an office interval stays there.
    /// Saturates at [`NaiveDateTime::MAX`].
    pub fn add_working(&self, from: NaiveDateTime, amount: Duration) -> NaiveDateTime {
        let mut remaining = amount;
        let mut cur = from;
        loop {
            let day = cur.date();
            if self.is_working_day(day) {
                for &(start, end) in &self.office_hours {
                    let (start, end) = (day.and_time(start), day.and_time(end));
                    if cur >= end {
                        continue;
                    }
                    let from = cur.max(start);
                    let available = end - from;
                    if remaining <= available {
                        return from + remaining;
                    }
                    remaining -= available;
                    cur = end;
                }
            }
            match self.next_working_day(day) {
                Some(next) => cur = next.and_time(self.office_hours[0].0),
                None => return NaiveDateTime::MAX,
            }
        }
    }

    /// The first working day strictly after `d`.
    pub fn next_working_day(&self, d: NaiveDate) -> Option<NaiveDate> {
        let mut d = d.succ_opt()?;
        while !self.is_working_day(d) {
            d = d.succ_opt()?;
        }
        Some(d)
    }
}

fn hm(h: u32, m: u32) -> Result<NaiveTime, CalendarError> {
    NaiveTime::from_hms_opt(h, m, 0).ok_or(CalendarError::BadOfficeHours)
}

#[cfg(test)]
mod tests;
