//! The scanner: finds full ID numbers, and full names next to their birth date, in a log
//! or a plain `pg_dump`, and reports each hit by source and line with the value masked.
//!
//! IDs are matched as whole digit runs (a 9-digit CMND inside a longer number is another
//! number); a name counts only on a line that also carries that person's birth date.

use std::collections::{HashMap, HashSet};

/// The personal data to look for.
#[derive(Debug, Default)]
pub struct Needles {
    ids: HashSet<String>,
    /// Birth year → (full name, the date's written forms) of the people born that year.
    by_year: HashMap<String, Vec<(String, Vec<String>)>>,
}

impl Needles {
    /// Adds a full ID number (any length of digits).
    pub fn id(&mut self, id: &str) {
        self.ids.insert(id.trim().to_owned());
    }

    /// Adds a full name with a birth date as submitted (`DD/MM/YYYY` or `YYYY`).
    pub fn name_birth(&mut self, name: &str, birth: &str) {
        let birth = birth.trim();
        let (year, forms) = match birth.split('/').collect::<Vec<_>>()[..] {
            [d, m, y] => (
                y.to_owned(),
                vec![
                    birth.to_owned(),
                    format!("{y}-{m}-{d}"),
                    format!("{d}-{m}-{y}"),
                ],
            ),
            _ => (birth.to_owned(), vec![birth.to_owned()]),
        };
        let people = self.by_year.entry(year).or_default();
        if !people.iter().any(|(n, f)| n == name && *f == forms) {
            people.push((name.to_owned(), forms));
        }
    }

    /// Distinct ID numbers searched.
    pub fn id_count(&self) -> usize {
        self.ids.len()
    }

    /// How many (name, birth date) pairs are searched.
    pub fn person_count(&self) -> usize {
        self.by_year.values().map(Vec::len).sum()
    }
}

/// One match, printable: the raw value never appears in it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Hit {
    /// `log`, `table <name>.<column>`, `notify <channel>`, …
    pub source: String,
    /// 1-based line number in the scanned text.
    pub line: usize,
    /// What matched, masked.
    pub what: String,
    /// The line (shortened) with every matched value masked.
    pub context: String,
}

impl std::fmt::Display for Hit {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} line {}: {} | {}",
            self.source, self.line, self.what, self.context
        )
    }
}

/// `0012******87` for an ID of 9+ digits (the project's convention), stars otherwise.
pub fn mask_id(id: &str) -> String {
    let n = id.len();
    if n < 9 {
        return "*".repeat(n);
    }
    format!("{}{}{}", &id[..4], "*".repeat(n - 6), &id[n - 2..])
}

/// Initials of a name: `Nguyễn Văn An` → `N. V. A.`.
pub fn mask_name(name: &str) -> String {
    name.split_whitespace()
        .filter_map(|w| w.chars().next())
        .map(|c| format!("{c}."))
        .collect::<Vec<_>>()
        .join(" ")
}

/// Removes ANSI colour sequences (`ESC [ … letter`).
pub fn strip_ansi(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        if c == '\u{1b}' {
            for d in chars.by_ref() {
                if d.is_ascii_alphabetic() {
                    break;
                }
            }
        } else {
            out.push(c);
        }
    }
    out
}

/// Maximal runs of ASCII digits of a line, with their byte ranges.
fn digit_runs(line: &str) -> Vec<(usize, usize)> {
    let bytes = line.as_bytes();
    let mut runs = vec![];
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i].is_ascii_digit() {
            let start = i;
            while i < bytes.len() && bytes[i].is_ascii_digit() {
                i += 1;
            }
            runs.push((start, i));
        } else {
            i += 1;
        }
    }
    runs
}

/// Scans one line; returns (what, context) pairs.
fn scan_line(line: &str, needles: &Needles) -> Vec<String> {
    let mut found = vec![];
    let runs = digit_runs(line);
    for &(a, b) in &runs {
        let run = &line[a..b];
        if needles.ids.contains(run) {
            found.push(format!("full ID {}", mask_id(run)));
        }
    }
    let mut years: Vec<&str> = runs
        .iter()
        .map(|&(a, b)| &line[a..b])
        .filter(|r| r.len() == 4 && needles.by_year.contains_key(*r))
        .collect();
    years.sort_unstable();
    years.dedup();
    for year in years {
        for (name, forms) in &needles.by_year[year] {
            if line.contains(name.as_str()) && forms.iter().any(|f| line.contains(f.as_str())) {
                found.push(format!(
                    "full name {} with birth date **/**/{year}",
                    mask_name(name)
                ));
            }
        }
    }
    found
}

/// The line shortened to 200 characters, every ID and matched name masked.
fn masked_context(line: &str, needles: &Needles) -> String {
    let mut out = String::new();
    let mut last = 0;
    for (a, b) in digit_runs(line) {
        if needles.ids.contains(&line[a..b]) {
            out.push_str(&line[last..a]);
            out.push_str(&mask_id(&line[a..b]));
            last = b;
        }
    }
    out.push_str(&line[last..]);
    for people in needles.by_year.values() {
        for (name, _) in people {
            out = out.replace(name.as_str(), &mask_name(name));
        }
    }
    let short: String = out.chars().take(200).collect();
    let more = if short.len() < out.len() { "…" } else { "" };
    format!("{short}{more}")
}

/// Scans a log (or any text) as one source.
pub fn scan_text(source: &str, text: &str, needles: &Needles) -> Vec<Hit> {
    let mut hits = vec![];
    for (n, line) in text.lines().enumerate() {
        for what in scan_line(line, needles) {
            hits.push(Hit {
                source: source.to_owned(),
                line: n + 1,
                what,
                context: masked_context(line, needles),
            });
        }
    }
    hits
}

/// Scans a plain-text `pg_dump`: hits inside a `COPY public.<table> (<columns>)` section
/// name the table and the column(s) holding the value.
pub fn scan_dump(text: &str, needles: &Needles) -> Vec<Hit> {
    let mut hits = vec![];
    let mut section: Option<(String, Vec<String>)> = None;
    for (n, line) in text.lines().enumerate() {
        if let Some(rest) = line.strip_prefix("COPY ") {
            let (table, cols) = rest.split_once(" (").unwrap_or((rest, ""));
            let table = table.trim_start_matches("public.").to_owned();
            let cols = cols
                .split(')')
                .next()
                .unwrap_or("")
                .split(", ")
                .map(str::to_owned)
                .collect();
            section = Some((table, cols));
            continue;
        }
        if line == "\\." {
            section = None;
            continue;
        }
        for what in scan_line(line, needles) {
            let source = match &section {
                Some((table, cols)) => {
                    let named: Vec<&str> = line
                        .split('\t')
                        .zip(cols)
                        .filter(|(v, _)| !scan_line(v, needles).is_empty())
                        .map(|(_, c)| c.as_str())
                        .collect();
                    if named.is_empty() {
                        format!("table {table} (across columns)")
                    } else {
                        format!("table {table}.{}", named.join("+"))
                    }
                }
                None => "dump (outside COPY data)".to_owned(),
            };
            hits.push(Hit {
                source,
                line: n + 1,
                what,
                context: masked_context(line, needles),
            });
        }
    }
    hits
}

#[cfg(test)]
mod tests {
    use super::*;

    const ID: &str = "025190012387";

    fn needles() -> Needles {
        let mut n = Needles::default();
        n.id(ID);
        n.id("123456789");
        n.name_birth("Nguyễn Văn An", "05/03/1990");
        n
    }

    #[test]
    fn finds_a_planted_id_and_names_the_table_and_column() {
        let dump = format!(
            "SET x = 1;\nCOPY public.dossier (id, applicant_id_masked) FROM stdin;\n\
             a1\t0251******87\n\\.\n\nCOPY public.idempotency_key (client, key, response) FROM stdin;\n\
             c\tk\t{{\"id\": \"{ID}\"}}\n\\.\n"
        );
        let hits = scan_dump(&dump, &needles());
        assert_eq!(hits.len(), 1, "{hits:?}");
        assert_eq!(hits[0].source, "table idempotency_key.response");
        assert_eq!(hits[0].line, 7);
        assert_eq!(hits[0].what, "full ID 0251******87");
        let shown = hits[0].to_string();
        assert!(!shown.contains(ID), "the raw ID is never printed: {shown}");
    }

    #[test]
    fn finds_ids_in_logs_on_digit_boundaries_and_names_with_their_birth_date() {
        let log = format!(
            "\u{1b}[2m2026\u{1b}[0m DEBUG intake: body id_number={ID}\n\
             ok 0251******87 and 11234567890 (a longer number)\n\
             applicant Nguyễn Văn An born 1990-03-05\n\
             applicant Nguyễn Văn An, no date\n\
             cmnd 123456789.\n"
        );
        let hits = scan_text("log", &strip_ansi(&log), &needles());
        let lines: Vec<usize> = hits.iter().map(|h| h.line).collect();
        assert_eq!(lines, [1, 3, 5], "{hits:?}");
        assert!(hits[1].what.starts_with("full name N. V. A."));
        assert!(hits.iter().all(|h| !h.to_string().contains(ID)));
        assert!(hits.iter().all(|h| !h.context.contains("Nguyễn")));
    }

    #[test]
    fn masks() {
        assert_eq!(mask_id("001203004587"), "0012******87");
        assert_eq!(mask_id("123456789"), "1234***89");
        assert_eq!(mask_name("Nguyễn Văn An"), "N. V. A.");
    }
}
