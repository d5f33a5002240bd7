//! The yearly holiday files: `{"year", "source", "days_off": [...], "working_days": [...]}`,
//! each day `{"date": "YYYY-MM-DD", "name", "uncertain"}`.

use chrono::{Datelike, NaiveDate, Weekday};
use serde::{Deserialize, Serialize};
use thiserror::Error;

/// The embedded yearly files, oldest first.
const EMBEDDED: [(&str, &str); 5] = [
    ("vn-2023.json", include_str!("../../calendar/vn-2023.json")),
    ("vn-2024.json", include_str!("../../calendar/vn-2024.json")),
    ("vn-2025.json", include_str!("../../calendar/vn-2025.json")),
    ("vn-2026.json", include_str!("../../calendar/vn-2026.json")),
    ("vn-2027.json", include_str!("../../calendar/vn-2027.json")),
];

/// Why calendar data cannot be used.
#[derive(Debug, Error)]
pub enum CalendarError {
    /// A yearly file is not valid JSON of the expected shape.
    #[error("calendar file {file} cannot be read: {source}")]
    Json {
        /// File name.
        file: String,
        /// The parser's complaint.
        #[source]
        source: serde_json::Error,
    },
    /// A yearly file breaks a rule (date outside its year, make-up day on a weekday, …).
    #[error("calendar data for {year}: {problem}")]
    Invalid {
        /// The year concerned.
        year: i32,
        /// What is wrong.
        problem: String,
    },
    /// Office hours are empty, unordered, overlapping or do not add up to 8 hours.
    #[error("office hours must be ordered, non-overlapping intervals totalling 8 hours")]
    BadOfficeHours,
}

/// One listed day.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CalendarDay {
    /// The date.
    pub date: NaiveDate,
    /// Why it is listed (Vietnamese).
    pub name: String,
    /// Not confirmed by an official notice yet.
    #[serde(default)]
    pub uncertain: bool,
}

/// One year of holiday data.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CalendarYear {
    /// The year.
    pub year: i32,
    /// Where the data comes from.
    pub source: String,
    /// Weekdays on which offices are closed.
    pub days_off: Vec<CalendarDay>,
    /// Weekend days on which offices are open (make-up days, *làm bù*).
    pub working_days: Vec<CalendarDay>,
}

impl CalendarYear {
    /// Parses and checks one yearly file; `file` is used in error messages.
    pub fn from_json(file: &str, json: &str) -> Result<CalendarYear, CalendarError> {
        let year: CalendarYear =
            serde_json::from_str(json).map_err(|source| CalendarError::Json {
                file: file.to_owned(),
                source,
            })?;
        let weekend = |d: NaiveDate| matches!(d.weekday(), Weekday::Sat | Weekday::Sun);
        let bad = |problem: String| {
            Err(CalendarError::Invalid {
                year: year.year,
                problem,
            })
        };
        for d in year.days_off.iter().chain(&year.working_days) {
            if d.date.year() != year.year {
                return bad(format!("{} is listed in the file for another year", d.date));
            }
        }
        if let Some(d) = year.working_days.iter().find(|d| !weekend(d.date)) {
            return bad(format!(
                "make-up working day {} is not a Saturday or Sunday",
                d.date
            ));
        }
        Ok(year)
    }
}

/// The embedded years 2023–2027.
pub fn embedded_years() -> Result<Vec<CalendarYear>, CalendarError> {
    EMBEDDED
        .iter()
        .map(|(file, json)| CalendarYear::from_json(file, json))
        .collect()
}
