//! Which parts of the pipeline a process runs.

/// Which components a process runs.
#[derive(Debug, Clone, Copy, Default)]
pub struct Components {
    pub intake: bool,
    pub verify: bool,
    pub enrich: bool,
    pub route: bool,
    pub notify: bool,
    /// Webhook delivery to agencies.
    pub webhooks: bool,
    /// The due-date scheduler (overdue detection).
    pub deadlines: bool,
}

impl Components {
    const NONE: Self = Self {
        intake: false,
        verify: false,
        enrich: false,
        route: false,
        notify: false,
        webhooks: false,
        deadlines: false,
    };
    pub const INTAKE: Self = Self {
        intake: true,
        ..Self::NONE
    };
    pub const VERIFY: Self = Self {
        verify: true,
        ..Self::NONE
    };
    pub const ENRICH: Self = Self {
        enrich: true,
        ..Self::NONE
    };
    pub const ROUTE: Self = Self {
        route: true,
        ..Self::NONE
    };
    pub const NOTIFY: Self = Self {
        notify: true,
        ..Self::NONE
    };
    pub const WEBHOOKS: Self = Self {
        webhooks: true,
        ..Self::NONE
    };
    pub const DEADLINES: Self = Self {
        deadlines: true,
        ..Self::NONE
    };
    pub const ALL: Self = Self {
        intake: true,
        verify: true,
        enrich: true,
        route: true,
        notify: true,
        webhooks: true,
        deadlines: true,
    };
}
