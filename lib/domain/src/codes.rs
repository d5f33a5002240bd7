//! CSDLQG code tables for ethnicity (*dân tộc*) and religion (*tôn giáo*), kept as data
//! (`catalog/ethnicities.json`, `catalog/religions.json`, each naming its source).
//! Both are sensitive data (Law 91/2025): callers keep them only when a procedure needs
//! them, and store them sealed.

use std::collections::HashMap;
use std::sync::OnceLock;

use serde::Deserialize;

#[derive(Deserialize)]
struct Entry {
    code: String,
    name: String,
}

#[derive(Deserialize)]
struct File {
    entries: Vec<Entry>,
}

fn table(json: &str) -> HashMap<String, String> {
    serde_json::from_str::<File>(json)
        .map(|f| f.entries.into_iter().map(|e| (e.code, e.name)).collect())
        .unwrap_or_default()
}

/// The name of an ethnicity code (`"01"` → `"Kinh"`).
pub fn ethnicity_name(code: &str) -> Option<&'static str> {
    static TABLE: OnceLock<HashMap<String, String>> = OnceLock::new();
    TABLE
        .get_or_init(|| table(include_str!("../catalog/ethnicities.json")))
        .get(code.trim())
        .map(String::as_str)
}

/// The name of a religion code (`"00"` → `"Không"`).
pub fn religion_name(code: &str) -> Option<&'static str> {
    static TABLE: OnceLock<HashMap<String, String>> = OnceLock::new();
    TABLE
        .get_or_init(|| table(include_str!("../catalog/religions.json")))
        .get(code.trim())
        .map(String::as_str)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_tables_load_and_map_codes() {
        assert_eq!(ethnicity_name("01"), Some("Kinh"));
        assert_eq!(ethnicity_name("54"), Some("Rơ-măm"));
        assert_eq!(ethnicity_name("99"), None);
        assert_eq!(religion_name("00"), Some("Không"));
        assert_eq!(religion_name("02"), Some("Công giáo"));
        assert_eq!(table(include_str!("../catalog/ethnicities.json")).len(), 55);
    }
}
