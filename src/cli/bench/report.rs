//! The benchmark report: named sections of rows, rendered as a terminal table and as JSON.
//!
//! Each part of `dossierflow bench` (broker, postgres, and later the full pipeline,
//! latency and CSDLQG runs) adds one [`Section`]; a section's rows share its columns
//! (the union of their metric names, in first-seen order). The JSON is the same data.

use serde::Serialize;

/// A whole run: where and how it ran, then one section per part.
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    /// When the run started (RFC 3339, UTC).
    pub started_at: String,
    /// The binary's version.
    pub version: String,
    /// `release` or `debug`: how this binary was built.
    pub build: String,
    /// Logical CPUs of the machine.
    pub cpus: usize,
    /// One section per part that ran, in order.
    pub sections: Vec<Section>,
}

/// One part of the run: rows of named metrics.
#[derive(Debug, Clone, Serialize)]
pub struct Section {
    /// Machine name of the part (`broker`, `postgres`, …).
    pub name: String,
    /// Human title.
    pub title: String,
    /// Settings and remarks worth keeping with the numbers.
    pub notes: Vec<String>,
    /// The measurements.
    pub rows: Vec<Row>,
}

/// One measurement: a label and its metrics.
#[derive(Debug, Clone, Serialize)]
pub struct Row {
    /// What was measured (e.g. `produce dossier.submitted.v1`).
    pub label: String,
    /// The numbers, in display order.
    pub metrics: Vec<Metric>,
}

/// One number with its unit.
#[derive(Debug, Clone, Serialize)]
pub struct Metric {
    /// Column name (e.g. `records/s`).
    pub name: String,
    /// The value.
    pub value: f64,
}

impl Section {
    /// An empty section.
    pub fn new(name: &str, title: &str) -> Self {
        Self {
            name: name.to_owned(),
            title: title.to_owned(),
            notes: Vec::new(),
            rows: Vec::new(),
        }
    }
}

impl Row {
    /// A row without metrics yet.
    pub fn new(label: impl Into<String>) -> Self {
        Self {
            label: label.into(),
            metrics: Vec::new(),
        }
    }

    /// Adds a metric (builder style).
    pub fn metric(mut self, name: &str, value: f64) -> Self {
        self.metrics.push(Metric {
            name: name.to_owned(),
            value,
        });
        self
    }

    /// The value of a metric, if present.
    pub fn get(&self, name: &str) -> Option<f64> {
        self.metrics
            .iter()
            .find(|m| m.name == name)
            .map(|m| m.value)
    }
}

impl Report {
    /// The report as pretty JSON.
    pub fn to_json(&self) -> anyhow::Result<String> {
        Ok(serde_json::to_string_pretty(self)?)
    }

    /// The report as a plain-text table, one block per section.
    pub fn to_table(&self) -> String {
        let mut out = format!(
            "dossierflow bench {} ({} build, {} CPUs), started {}\n",
            self.version, self.build, self.cpus, self.started_at
        );
        for s in &self.sections {
            out.push('\n');
            out.push_str(&section_table(s));
        }
        out
    }
}

/// One section: title, aligned columns, then its notes.
fn section_table(s: &Section) -> String {
    let mut columns: Vec<&str> = Vec::new();
    for m in s.rows.iter().flat_map(|r| &r.metrics) {
        if !columns.contains(&m.name.as_str()) {
            columns.push(&m.name);
        }
    }
    let mut cells: Vec<Vec<String>> = vec![
        std::iter::once(String::new())
            .chain(columns.iter().map(|c| (*c).to_owned()))
            .collect(),
    ];
    for r in &s.rows {
        let mut line = vec![r.label.clone()];
        line.extend(
            columns
                .iter()
                .map(|c| r.get(c).map(format_value).unwrap_or_else(|| "-".into())),
        );
        cells.push(line);
    }
    let widths: Vec<usize> = (0..=columns.len())
        .map(|i| {
            cells
                .iter()
                .map(|l| l[i].chars().count())
                .max()
                .unwrap_or(0)
        })
        .collect();
    let mut out = format!("== {} ({})\n", s.title, s.name);
    for line in &cells {
        let mut text = String::new();
        for (i, cell) in line.iter().enumerate() {
            let pad = widths[i].saturating_sub(cell.chars().count());
            if i == 0 {
                text.push_str(cell);
                text.push_str(&" ".repeat(pad));
            } else {
                text.push_str("  ");
                text.push_str(&" ".repeat(pad));
                text.push_str(cell);
            }
        }
        out.push_str(text.trim_end());
        out.push('\n');
    }
    for n in &s.notes {
        out.push_str("  note: ");
        out.push_str(n);
        out.push('\n');
    }
    out
}

/// Thousands separators for large values, two decimals for small ones.
pub fn format_value(v: f64) -> String {
    if !v.is_finite() {
        return v.to_string();
    }
    if v.abs() >= 100.0 || v.fract() == 0.0 {
        let n = v.round() as i64;
        let digits = n.unsigned_abs().to_string();
        let mut grouped = String::new();
        for (i, c) in digits.chars().enumerate() {
            if i > 0 && (digits.len() - i).is_multiple_of(3) {
                grouped.push(',');
            }
            grouped.push(c);
        }
        if n < 0 {
            grouped.insert(0, '-');
        }
        grouped
    } else {
        format!("{v:.2}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Report {
        let mut s = Section::new("broker", "Broker ceiling");
        s.notes.push("6 partitions".into());
        s.rows.push(
            Row::new("produce submitted")
                .metric("records", 1000.0)
                .metric("records/s", 123_456.7),
        );
        s.rows.push(
            Row::new("consume submitted")
                .metric("records", 1000.0)
                .metric("MB/s", 12.5),
        );
        Report {
            started_at: "2026-11-27T22:00:00Z".into(),
            version: "0.1.0".into(),
            build: "debug".into(),
            cpus: 2,
            sections: vec![s],
        }
    }

    #[test]
    fn json_keeps_sections_rows_and_metrics() {
        let json: serde_json::Value =
            serde_json::from_str(&sample().to_json().expect("json")).expect("parse");
        assert_eq!(json["build"], "debug");
        assert_eq!(json["sections"][0]["name"], "broker");
        assert_eq!(json["sections"][0]["notes"][0], "6 partitions");
        let row = &json["sections"][0]["rows"][0];
        assert_eq!(row["label"], "produce submitted");
        assert_eq!(row["metrics"][1]["name"], "records/s");
        assert_eq!(row["metrics"][1]["value"], 123_456.7);
    }

    #[test]
    fn table_has_union_columns_and_dashes_for_missing() {
        let table = sample().to_table();
        let lines: Vec<&str> = table.lines().collect();
        assert!(lines[0].contains("debug build, 2 CPUs"));
        assert_eq!(lines[2], "== Broker ceiling (broker)");
        assert!(
            lines[3].ends_with("records  records/s   MB/s"),
            "{}",
            lines[3]
        );
        assert!(lines[4].starts_with("produce submitted"));
        assert!(lines[4].contains("1,000") && lines[4].contains("123,457"));
        assert!(lines[4].trim_end().ends_with('-'));
        assert!(lines[5].trim_end().ends_with("12.50"));
        assert_eq!(lines[6], "  note: 6 partitions");
    }

    #[test]
    fn values_are_grouped_or_rounded() {
        assert_eq!(format_value(1_234_567.4), "1,234,567");
        assert_eq!(format_value(999.0), "999");
        assert_eq!(format_value(12.345), "12.35");
        assert_eq!(format_value(-2500.0), "-2,500");
    }
}
