//! Pure parts of the dead-letter tools: a dead-lettered record as read, its
//! `partition:offset` id, the `--stage`/`--reason`/`--since`/`--until` filter and the
//! summary row `dlq list` prints (table or JSON line). No I/O here.

use std::fmt;
use std::str::FromStr;

use chrono::{DateTime, Duration, Utc};

/// Where a record sits in the dead-letter topic: `partition:offset`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct RecordId {
    /// Partition of the dead-letter topic.
    pub partition: i32,
    /// Offset within that partition.
    pub offset: i64,
}

impl FromStr for RecordId {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let bad = || format!("{s:?} is not a record id: use PARTITION:OFFSET, e.g. 2:17");
        let (p, o) = s.trim().split_once(':').ok_or_else(bad)?;
        let partition: i32 = p.parse().map_err(|_| bad())?;
        let offset: i64 = o.parse().map_err(|_| bad())?;
        if partition < 0 || offset < 0 {
            return Err(bad());
        }
        Ok(Self { partition, offset })
    }
}

impl fmt::Display for RecordId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.partition, self.offset)
    }
}

/// One record of the dead-letter topic, as read.
#[derive(Debug, Clone, PartialEq)]
pub struct DlqRecord {
    /// Its place in the dead-letter topic.
    pub id: RecordId,
    /// The record key (the dossier id for well-formed records).
    pub key: Option<Vec<u8>>,
    /// Every header, in order.
    pub headers: Vec<(String, Option<Vec<u8>>)>,
    /// The value.
    pub payload: Option<Vec<u8>>,
}

impl DlqRecord {
    /// The first header called `name`, as text.
    pub fn header(&self, name: &str) -> Option<String> {
        self.headers
            .iter()
            .find(|(k, _)| k == name)
            .and_then(|(_, v)| v.as_deref())
            .map(|v| String::from_utf8_lossy(v).into_owned())
    }

    /// When the record was dead-lettered (`dlq_failed_at`), if the header parses.
    pub fn failed_at(&self) -> Option<DateTime<Utc>> {
        let text = self.header("dlq_failed_at")?;
        DateTime::parse_from_rfc3339(&text)
            .ok()
            .map(|t| t.with_timezone(&Utc))
    }

    /// The key as printable text (control characters replaced, at most 64 characters).
    pub fn key_text(&self) -> String {
        match &self.key {
            None => "-".into(),
            Some(k) => String::from_utf8_lossy(k)
                .chars()
                .map(|c| if c.is_control() { '?' } else { c })
                .take(64)
                .collect(),
        }
    }
}

/// Parses `--since`/`--until`: an RFC 3339 time, or a duration ago (`90s`, `15m`, `2h`,
/// `7d`) counted back from `now`.
pub fn parse_instant(s: &str, now: DateTime<Utc>) -> Result<DateTime<Utc>, String> {
    let s = s.trim();
    if let Ok(t) = DateTime::parse_from_rfc3339(s) {
        return Ok(t.with_timezone(&Utc));
    }
    let bad = || {
        format!(
            "{s:?} is neither an RFC 3339 time (2026-11-27T07:00:00Z) nor a duration ago (90s, 15m, 2h, 7d)"
        )
    };
    let split = s.find(|c: char| !c.is_ascii_digit()).ok_or_else(bad)?;
    let (num, unit) = s.split_at(split);
    let n: i64 = num.parse().map_err(|_| bad())?;
    let ago = match unit {
        "s" => Duration::try_seconds(n),
        "m" => Duration::try_minutes(n),
        "h" => Duration::try_hours(n),
        "d" => Duration::try_days(n),
        _ => None,
    }
    .ok_or_else(bad)?;
    now.checked_sub_signed(ago).ok_or_else(bad)
}

/// Which dead letters a command works on. Every given condition must hold.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Filter {
    /// `dlq_stage` equals this.
    pub stage: Option<String>,
    /// `dlq_error_class` equals this.
    pub reason: Option<String>,
    /// `dlq_failed_at` is at or after this.
    pub since: Option<DateTime<Utc>>,
    /// `dlq_failed_at` is before this.
    pub until: Option<DateTime<Utc>>,
}

impl Filter {
    /// Whether `r` passes. With a time bound, a record without a readable
    /// `dlq_failed_at` does not pass.
    pub fn matches(&self, r: &DlqRecord) -> bool {
        let same = |want: &Option<String>, header: &str| {
            want.as_ref()
                .is_none_or(|w| r.header(header).as_deref() == Some(w.as_str()))
        };
        if !same(&self.stage, "dlq_stage") || !same(&self.reason, "dlq_error_class") {
            return false;
        }
        if self.since.is_none() && self.until.is_none() {
            return true;
        }
        let Some(at) = r.failed_at() else {
            return false;
        };
        self.since.is_none_or(|s| at >= s) && self.until.is_none_or(|u| at < u)
    }
}

/// The columns of `dlq list`.
pub const TABLE_HEADER: [&str; 8] = [
    "ID",
    "FAILED AT",
    "STAGE",
    "REASON",
    "ATTEMPTS",
    "ORIGINAL",
    "CE_TYPE",
    "KEY",
];

/// One table row of `dlq list`.
pub fn table_row(r: &DlqRecord) -> [String; 8] {
    let h = |name: &str| r.header(name).unwrap_or_else(|| "-".into());
    [
        r.id.to_string(),
        r.failed_at()
            .map(|t| t.format("%Y-%m-%dT%H:%M:%SZ").to_string())
            .unwrap_or_else(|| h("dlq_failed_at")),
        h("dlq_stage"),
        h("dlq_error_class"),
        h("dlq_attempts"),
        format!(
            "{}[{}]@{}",
            h("dlq_original_topic"),
            h("dlq_original_partition"),
            h("dlq_original_offset")
        ),
        h("ce_type"),
        r.key_text(),
    ]
}

/// Rows laid out in aligned columns, header first.
pub fn render_table(rows: &[[String; 8]]) -> String {
    let mut widths = TABLE_HEADER.map(|h| h.chars().count());
    for row in rows {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(cell.chars().count());
        }
    }
    let line = |cells: &[String]| {
        let padded: Vec<String> = cells
            .iter()
            .zip(widths)
            .map(|(c, w)| format!("{c:<w$}"))
            .collect();
        padded.join("  ").trim_end().to_owned() + "\n"
    };
    let mut out = line(&TABLE_HEADER.map(str::to_owned));
    for row in rows {
        out.push_str(&line(row));
    }
    out
}

/// One JSON line of `dlq list --json`: the id, the key and every `dlq_*`/`ce_*` header.
pub fn json_line(r: &DlqRecord) -> serde_json::Value {
    let mut obj = serde_json::Map::new();
    obj.insert("id".into(), r.id.to_string().into());
    obj.insert("partition".into(), r.id.partition.into());
    obj.insert("offset".into(), r.id.offset.into());
    obj.insert("key".into(), r.key_text().into());
    for (k, _) in &r.headers {
        if (k.starts_with("dlq_") || k.starts_with("ce_")) && !obj.contains_key(k) {
            obj.insert(k.clone(), r.header(k).unwrap_or_default().into());
        }
    }
    serde_json::Value::Object(obj)
}

#[cfg(test)]
#[path = "dlq_filter_tests.rs"]
mod tests;
