//! Audit of personal-data lookups (being written).
