//! Dossier lifecycle statuses as synced to the National Public Service Portal (domain.md §4),
//! and the one table of allowed transitions.

use std::fmt;

use serde::{Deserialize, Serialize};
use thiserror::Error;

/// A dossier's status; the discriminant is the national status code.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[repr(u8)]
pub enum Status {
    /// 1 — Mới đăng ký: submitted, not yet received.
    Submitted = 1,
    /// 2 — Được tiếp nhận: received.
    Received = 2,
    /// 3 — Không được tiếp nhận: refused at reception (final).
    Refused = 3,
    /// 4 — Đang xử lý: processing.
    Processing = 4,
    /// 5 — Yêu cầu bổ sung giấy tờ: supplement requested.
    SupplementRequested = 5,
    /// 6 — Yêu cầu thực hiện nghĩa vụ tài chính: payment requested.
    PaymentRequested = 6,
    /// 7 — Công dân yêu cầu rút hồ sơ: withdrawn by the citizen (final).
    Withdrawn = 7,
    /// 8 — Dừng xử lý: processing stopped (final).
    Stopped = 8,
    /// 9 — Đã xử lý xong: result ready.
    Completed = 9,
    /// 10 — Đã trả kết quả: result returned (final).
    Returned = 10,
}

/// The allowed transitions, `(from, to)`. This is the only place they are defined.
pub const TRANSITIONS: &[(Status, Status)] = {
    use Status::*;
    &[
        (Submitted, Received),
        (Submitted, Refused),
        (Submitted, Withdrawn),
        (Received, Processing),
        (Received, Withdrawn),
        (Processing, SupplementRequested),
        (Processing, PaymentRequested),
        (Processing, Stopped),
        (Processing, Completed),
        (Processing, Withdrawn),
        (SupplementRequested, Processing),
        (SupplementRequested, Stopped),
        (SupplementRequested, Withdrawn),
        (PaymentRequested, Processing),
        (PaymentRequested, Stopped),
        (PaymentRequested, Withdrawn),
        (Completed, Returned),
    ]
};

/// A transition not in [`TRANSITIONS`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Error)]
#[error("dossier cannot move from {from} to {to}")]
pub struct TransitionError {
    /// Current status.
    pub from: Status,
    /// Requested status.
    pub to: Status,
}

impl Status {
    /// Every status, in code order.
    pub const ALL: [Status; 10] = [
        Status::Submitted,
        Status::Received,
        Status::Refused,
        Status::Processing,
        Status::SupplementRequested,
        Status::PaymentRequested,
        Status::Withdrawn,
        Status::Stopped,
        Status::Completed,
        Status::Returned,
    ];

    /// The national status code (1–10).
    pub fn code(self) -> u8 {
        self as u8
    }

    /// The status with this national code, if any.
    pub fn from_code(code: u8) -> Option<Status> {
        Status::ALL.into_iter().find(|s| s.code() == code)
    }

    /// The official Vietnamese name.
    pub fn name_vi(self) -> &'static str {
        match self {
            Status::Submitted => "Mới đăng ký",
            Status::Received => "Được tiếp nhận",
            Status::Refused => "Không được tiếp nhận",
            Status::Processing => "Đang xử lý",
            Status::SupplementRequested => "Yêu cầu bổ sung giấy tờ",
            Status::PaymentRequested => "Yêu cầu thực hiện nghĩa vụ tài chính",
            Status::Withdrawn => "Công dân yêu cầu rút hồ sơ",
            Status::Stopped => "Dừng xử lý",
            Status::Completed => "Đã xử lý xong",
            Status::Returned => "Đã trả kết quả",
        }
    }

    /// The snake_case English name used on the wire, e.g. `"supplement_requested"`.
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Submitted => "submitted",
            Status::Received => "received",
            Status::Refused => "refused",
            Status::Processing => "processing",
            Status::SupplementRequested => "supplement_requested",
            Status::PaymentRequested => "payment_requested",
            Status::Withdrawn => "withdrawn",
            Status::Stopped => "stopped",
            Status::Completed => "completed",
            Status::Returned => "returned",
        }
    }

    /// The status whose [`Status::as_str`] is `s`.
    pub fn from_str_name(s: &str) -> Option<Status> {
        Status::ALL.into_iter().find(|st| st.as_str() == s)
    }

    /// Whether no transition leaves this status (refused, withdrawn, stopped, returned).
    pub fn is_final(self) -> bool {
        matches!(
            self,
            Status::Refused | Status::Withdrawn | Status::Stopped | Status::Returned
        )
    }

    /// Whether `self → next` is in [`TRANSITIONS`].
    pub fn can_transition_to(self, next: Status) -> bool {
        TRANSITIONS.contains(&(self, next))
    }

    /// `next` if the transition is allowed, otherwise an error naming both statuses.
    pub fn transition(self, next: Status) -> Result<Status, TransitionError> {
        if self.can_transition_to(next) {
            Ok(next)
        } else {
            Err(TransitionError {
                from: self,
                to: next,
            })
        }
    }
}

/// `"Đang xử lý" (4)`: the Vietnamese name and the code, as operators see them in the portal.
impl fmt::Display for Status {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "\"{}\" ({})", self.name_vi(), self.code())
    }
}

/// Parses the snake_case wire name ([`Status::as_str`]).
impl std::str::FromStr for Status {
    type Err = UnknownStatus;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Status::from_str_name(s).ok_or_else(|| UnknownStatus(s.to_owned()))
    }
}

/// A string that is not one of the ten status names.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error("unknown dossier status {0:?}: expected e.g. \"received\" or \"supplement_requested\"")]
pub struct UnknownStatus(pub String);

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn codes_round_trip_and_gaps_are_none() {
        for (i, s) in Status::ALL.into_iter().enumerate() {
            assert_eq!(usize::from(s.code()), i + 1);
            assert_eq!(Status::from_code(s.code()), Some(s));
            assert_eq!(Status::from_str_name(s.as_str()), Some(s));
            assert_eq!(
                serde_json::to_string(&s).unwrap(),
                format!("\"{}\"", s.as_str())
            );
        }
        assert_eq!(
            "payment_requested".parse::<Status>(),
            Ok(Status::PaymentRequested)
        );
        assert!("Processing".parse::<Status>().is_err());
        assert_eq!(Status::from_code(0), None);
        assert_eq!(Status::from_code(11), None);
        assert_eq!(Status::SupplementRequested.as_str(), "supplement_requested");
        assert_eq!(
            Status::PaymentRequested.name_vi(),
            "Yêu cầu thực hiện nghĩa vụ tài chính"
        );
    }

    #[test]
    fn final_statuses_have_no_exits_and_others_do() {
        for s in Status::ALL {
            let exits = Status::ALL
                .into_iter()
                .filter(|n| s.can_transition_to(*n))
                .count();
            assert_eq!(s.is_final(), exits == 0, "{s:?}");
        }
        assert!(!Status::Completed.is_final());
    }

    #[test]
    fn transition_table_examples() {
        use Status::*;
        let cases = [
            (Submitted, Received, true),
            (Submitted, Processing, false),
            (Received, Refused, false),
            (Processing, Completed, true),
            (SupplementRequested, Processing, true),
            (PaymentRequested, Completed, false),
            (Completed, Returned, true),
            (Completed, Withdrawn, false),
            (Returned, Processing, false),
            (Processing, Processing, false),
        ];
        for (from, to, ok) in cases {
            assert_eq!(from.transition(to).is_ok(), ok, "{from:?} -> {to:?}");
        }
        let err = Returned.transition(Processing).unwrap_err();
        assert_eq!(
            err.to_string(),
            "dossier cannot move from \"Đã trả kết quả\" (10) to \"Đang xử lý\" (4)"
        );
    }

    #[test]
    fn every_status_reachable_from_submitted() {
        let mut seen = vec![Status::Submitted];
        let mut i = 0;
        while i < seen.len() {
            for (from, to) in TRANSITIONS {
                if *from == seen[i] && !seen.contains(to) {
                    seen.push(*to);
                }
            }
            i += 1;
        }
        assert_eq!(seen.len(), Status::ALL.len());
    }

    proptest! {
        #[test]
        fn transition_agrees_with_table(a in 1u8..=10, b in 1u8..=10) {
            let (from, to) = (Status::from_code(a).unwrap(), Status::from_code(b).unwrap());
            prop_assert_eq!(from.transition(to).is_ok(), TRANSITIONS.contains(&(from, to)));
            prop_assert!(!(from.is_final() && from.can_transition_to(to)));
        }
    }
}
