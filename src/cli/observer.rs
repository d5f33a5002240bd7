//! What happens around every CSDLQG attempt: the lawful lookup audit and the metrics.

use std::sync::Arc;
use std::time::Duration;

use dossierflow_audit::{AuditKey, GroupAppender, LookupRecord};
use dossierflow_csdlqg::{AttemptEvent, BreakerState, CitizenRecord, LookupObserver};
use dossierflow_runtime::telemetry::{Metrics, OutcomeLabel};
use sqlx::PgPool;
use uuid::Uuid;

/// Appends one audit row per attempt (grouped with concurrent attempts into one
/// transaction) and counts it.
pub struct LookupTelemetry {
    /// Writes the audit chain.
    pub audit: GroupAppender,
    /// Metrics.
    pub metrics: Arc<Metrics>,
}

impl LookupTelemetry {
    /// Telemetry whose audit rows go to `pool`, ID digests under `key`.
    pub fn new(pool: PgPool, key: AuditKey, metrics: Arc<Metrics>) -> Self {
        Self {
            audit: GroupAppender::start(pool, key),
            metrics,
        }
    }
}

/// Names (never values) of the fields a record delivered.
fn returned_fields(r: &CitizenRecord) -> Vec<String> {
    let present = [
        ("full_name", !r.full_name.is_empty()),
        ("id_number", r.id.is_some()),
        ("old_id_number", r.old_id.is_some()),
        ("gender", true),
        ("ethnicity", r.ethnicity.is_some()),
        ("religion", r.religion.is_some()),
        ("marital_status", true),
        ("blood_type", true),
        ("birth_date", true),
        ("nationality", r.nationality.is_some()),
        ("birth_registration_place", r.birth_registration.is_some()),
        ("hometown", r.hometown.is_some()),
        ("permanent_address", r.permanent.is_some()),
        ("current_address", r.current.is_some()),
        ("father", r.father.is_some()),
        ("mother", r.mother.is_some()),
        ("spouse", r.spouse.is_some()),
        ("representative", r.representative.is_some()),
        ("head_of_household", r.head_of_household.is_some()),
        ("household_book", r.household_book.is_some()),
    ];
    present
        .iter()
        .filter(|(_, p)| *p)
        .map(|(n, _)| (*n).to_owned())
        .collect()
}

#[async_trait::async_trait]
impl LookupObserver for LookupTelemetry {
    async fn attempt(&self, event: &AttemptEvent<'_>) {
        let (outcome, returned) = match event.result {
            Ok(Some(record)) => ("found", returned_fields(record)),
            Ok(None) => ("not_found", vec![]),
            Err(e) => (e.class(), vec![]),
        };
        self.metrics
            .csdlqg_requests
            .get_or_create(&OutcomeLabel { outcome })
            .inc();
        self.metrics
            .csdlqg_duration
            .observe(event.latency.as_secs_f64());
        let req = event.request;
        let ctx = &req.context;
        let record = LookupRecord {
            actor: ctx.actor.clone(),
            unit: ctx.unit.clone(),
            dossier_id: ctx
                .dossier_id
                .as_deref()
                .and_then(|d| Uuid::parse_str(d).ok()),
            procedure: req.procedure_code.clone(),
            channel: ctx.channel,
            request_id: req.request_id.clone(),
            attempt: event.attempt as i32,
            id_digits: req.id.as_str().to_owned(),
            fields_requested: ctx.fields_requested.clone(),
            fields_returned: returned,
            outcome: outcome.to_owned(),
            latency_ms: event.latency.as_millis().min(i32::MAX as u128) as i32,
        };
        if let Err(e) = self.audit.append(record).await {
            self.metrics.audit_failures.inc();
            tracing::error!(error = %e, request_id = %req.request_id, "cannot append the lookup audit row");
        }
    }

    fn breaker_changed(&self, from: BreakerState, to: BreakerState) {
        tracing::warn!(%from, %to, "CSDLQG circuit breaker changed state");
        self.metrics
            .csdlqg_circuit_state
            .set(i64::from(to.as_number()));
        self.metrics
            .csdlqg_circuit_transitions
            .get_or_create(&OutcomeLabel {
                outcome: to.as_str(),
            })
            .inc();
    }

    fn retried(&self) {
        self.metrics.csdlqg_retries.inc();
    }

    fn rate_limited(&self, _waited: Duration) {
        self.metrics.csdlqg_rate_limited.inc();
    }

    fn budget_exhausted(&self) {
        self.metrics.csdlqg_budget_exhausted.inc();
    }

    fn cache_hit(&self) {
        self.metrics.csdlqg_cache_hits.inc();
    }

    fn coalesced(&self) {
        self.metrics.csdlqg_cache_hits.inc();
    }
}
