//! Topic names. Names are versioned (`.v1`); a breaking change gets a new topic.

/// Dossiers accepted at intake (or published by the portal).
pub const SUBMITTED: &str = "dossier.submitted.v1";
/// Outcome of the CSDLQG verification of the applicant.
pub const VERIFIED: &str = "dossier.verified.v1";
/// Dossiers enriched with the citizen data their procedure needs (ids only on the wire).
pub const ENRICHED: &str = "dossier.enriched.v1";
/// Dossiers assigned to their responsible agency, with dossier code and due date.
pub const ROUTED: &str = "dossier.routed.v1";
/// Every status change of a dossier (national status codes 1–10).
pub const STATUS: &str = "dossier.status.v1";
/// Notifications to send, one record per dossier, status change and channel.
pub const NOTIFICATION: &str = "notification.requested.v1";
/// Dossiers that could not be routed automatically and wait for an officer.
pub const TRIAGE: &str = "dossier.triage.v1";
/// Dossiers past their due date and not finished: the apology and new appointment
/// (*phiếu xin lỗi và hẹn lại*) is due.
pub const OVERDUE: &str = "dossier.overdue.v1";
/// Records a stage could not process (undecodable, wrong version, invalid data).
pub const DEAD_LETTER: &str = "dossier.dlq.v1";

/// Every fixed topic of the pipeline, for topic creation at start-up.
pub const ALL: [&str; 9] = [
    SUBMITTED,
    VERIFIED,
    ENRICHED,
    ROUTED,
    STATUS,
    NOTIFICATION,
    TRIAGE,
    OVERDUE,
    DEAD_LETTER,
];

/// The delivery topic of one agency: `agency.<e-identifier>.dossiers.v1`.
///
/// One topic per agency lets broker ACLs confine each agency to its own dossiers.
pub fn agency(agency_id: &str) -> String {
    format!("agency.{agency_id}.dossiers.v1")
}

#[cfg(test)]
mod tests {
    #[test]
    fn agency_topic_embeds_the_e_identifier() {
        assert_eq!(
            super::agency("000.00.92.H55"),
            "agency.000.00.92.H55.dossiers.v1"
        );
    }
}
