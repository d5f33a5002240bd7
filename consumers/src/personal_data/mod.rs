//! Personal data at rest (issue #8): lookups by blind index, key rotation and the
//! retention of CSDLQG-derived data. See `docs/personal-data.md`.
//!
//! - [`lookup`]: "which dossiers do we hold for this ID?" through the blind index,
//!   under every configured index key (rows stay mixed during a rotation);
//! - [`rotate`]: re-seal every sealed value under the active data key and recompute
//!   blind indexes under the active index key, in resumable batches; counts per key;
//! - [`retention`]: delete citizen data, leftover staged CSDLQG records and sealed
//!   applicant IDs once their period has passed; run by the scheduler and on demand.

mod key_status;
pub mod lookup;
pub mod retention;
pub mod rotate;
mod rotate_index;

pub use key_status::{KeyCount, key_status};
pub use lookup::{HeldDossier, dossiers_for_id};
pub use retention::{RetentionJob, RetentionPolicy, RetentionReport, run_retention};
pub use rotate::{RotateOptions, RotationReport, TableRotation, rotate};

/// National status codes that end a dossier (`Status::is_final`): refused, withdrawn,
/// stopped, returned.
pub fn final_codes() -> Vec<i16> {
    dossierflow_domain::Status::ALL
        .into_iter()
        .filter(|s| s.is_final())
        .map(|s| i16::from(s.code()))
        .collect()
}
