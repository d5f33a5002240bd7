//! Personal data at rest against PostgreSQL (issue #8): the sealed applicant ID is not in
//! clear, the blind index finds a citizen's dossiers and no one else's, key rotation
//! moves every sealed value and index to the active keys (old keys then removable) while
//! lookups keep working, and retention deletes only data past its period and only for
//! final dossiers.

mod common;

#[path = "personal_data/seed.rs"]
mod seed;

#[path = "personal_data/lookup.rs"]
mod lookup;

#[path = "personal_data/rotation.rs"]
mod rotation;

#[path = "personal_data/retention.rs"]
mod retention;
