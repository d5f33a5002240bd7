//! A scripted [`PopulationRegistry`] and a recording [`LookupObserver`].

use std::collections::VecDeque;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use dossierflow_domain::{BirthDate, BloodType, CitizenName, Gender, MaritalStatus, NationalId};
use tokio::time::Instant;

use crate::resilience::{
    AttemptEvent, BreakerConfig, BreakerState, LookupObserver, ResilienceConfig, Resilient,
};
use crate::{CitizenRecord, LookupError, LookupRequest, PopulationRegistry};

pub(super) type Answer = Result<Option<CitizenRecord>, LookupError>;

/// Answers from a script, then `fallback`; records ids, times and concurrency.
pub(super) struct Fake {
    script: Mutex<VecDeque<Answer>>,
    fallback: Mutex<Answer>,
    delay: Duration,
    calls: AtomicUsize,
    current: AtomicUsize,
    peak: AtomicUsize,
    seen: Mutex<Vec<(String, Instant)>>,
}

impl Fake {
    pub(super) fn new(script: Vec<Answer>, fallback: Answer) -> Arc<Self> {
        Self::slow(script, fallback, Duration::ZERO)
    }

    pub(super) fn slow(script: Vec<Answer>, fallback: Answer, delay: Duration) -> Arc<Self> {
        Arc::new(Self {
            script: Mutex::new(script.into()),
            fallback: Mutex::new(fallback),
            delay,
            calls: AtomicUsize::new(0),
            current: AtomicUsize::new(0),
            peak: AtomicUsize::new(0),
            seen: Mutex::new(Vec::new()),
        })
    }

    pub(super) fn set_fallback(&self, answer: Answer) {
        *self.fallback.lock().unwrap() = answer;
    }

    pub(super) fn calls(&self) -> usize {
        self.calls.load(Ordering::SeqCst)
    }

    pub(super) fn peak(&self) -> usize {
        self.peak.load(Ordering::SeqCst)
    }

    /// `MaYeuCau` of every call, in call order.
    pub(super) fn ids(&self) -> Vec<String> {
        self.seen
            .lock()
            .unwrap()
            .iter()
            .map(|s| s.0.clone())
            .collect()
    }

    /// When each call started.
    pub(super) fn times(&self) -> Vec<Instant> {
        self.seen.lock().unwrap().iter().map(|s| s.1).collect()
    }
}

#[async_trait::async_trait]
impl PopulationRegistry for Arc<Fake> {
    async fn lookup(&self, req: &LookupRequest) -> Answer {
        self.calls.fetch_add(1, Ordering::SeqCst);
        let now = self.current.fetch_add(1, Ordering::SeqCst) + 1;
        self.peak.fetch_max(now, Ordering::SeqCst);
        self.seen
            .lock()
            .unwrap()
            .push((req.request_id.clone(), Instant::now()));
        let scripted = self.script.lock().unwrap().pop_front();
        let answer = scripted.unwrap_or_else(|| self.fallback.lock().unwrap().clone());
        if !self.delay.is_zero() {
            tokio::time::sleep(self.delay).await;
        }
        self.current.fetch_sub(1, Ordering::SeqCst);
        answer
    }
}

/// Everything the layer reported.
#[derive(Default)]
pub(super) struct Recorder {
    /// `(request id, attempt, class or "found"/"not_found")` per attempt event.
    pub(super) attempts: Mutex<Vec<(String, u32, &'static str)>>,
    pub(super) transitions: Mutex<Vec<(BreakerState, BreakerState)>>,
    pub(super) retried: AtomicUsize,
    pub(super) rate_limited: AtomicUsize,
    pub(super) budget_exhausted: AtomicUsize,
    pub(super) cache_hits: AtomicUsize,
    pub(super) coalesced: AtomicUsize,
}

impl Recorder {
    pub(super) fn count(counter: &AtomicUsize) -> usize {
        counter.load(Ordering::SeqCst)
    }

    pub(super) fn attempt_numbers(&self) -> Vec<u32> {
        self.attempts.lock().unwrap().iter().map(|a| a.1).collect()
    }
}

#[async_trait::async_trait]
impl LookupObserver for Recorder {
    async fn attempt(&self, event: &AttemptEvent<'_>) {
        let label = match event.result {
            Ok(Some(_)) => "found",
            Ok(None) => "not_found",
            Err(e) => e.class(),
        };
        let row = (event.request.request_id.clone(), event.attempt, label);
        self.attempts.lock().unwrap().push(row);
    }
    fn breaker_changed(&self, from: BreakerState, to: BreakerState) {
        self.transitions.lock().unwrap().push((from, to));
    }
    fn retried(&self) {
        self.retried.fetch_add(1, Ordering::SeqCst);
    }
    fn rate_limited(&self, _waited: Duration) {
        self.rate_limited.fetch_add(1, Ordering::SeqCst);
    }
    fn budget_exhausted(&self) {
        self.budget_exhausted.fetch_add(1, Ordering::SeqCst);
    }
    fn cache_hit(&self) {
        self.cache_hits.fetch_add(1, Ordering::SeqCst);
    }
    fn coalesced(&self) {
        self.coalesced.fetch_add(1, Ordering::SeqCst);
    }
}

/// A breaker that never opens, for tests about something else.
pub(super) fn no_breaker() -> BreakerConfig {
    BreakerConfig {
        min_calls: u32::MAX,
        consecutive_failures: 0,
        ..BreakerConfig::default()
    }
}

/// The layer over `fake`, observed by a fresh recorder.
pub(super) fn layer(
    fake: &Arc<Fake>,
    config: ResilienceConfig,
) -> (Resilient<Arc<Fake>>, Arc<Recorder>) {
    let recorder = Arc::new(Recorder::default());
    let layer = Resilient::new(Arc::clone(fake), config, recorder.clone());
    (layer, recorder)
}

pub(super) fn request(base: &str) -> LookupRequest {
    LookupRequest {
        request_id: base.into(),
        procedure_code: "1.004227".into(),
        id: NationalId::parse("001090123456").unwrap(),
        name: CitizenName::parse("Nguyễn Văn An").unwrap(),
        birth: BirthDate::parse("20/04/1990").unwrap(),
        context: Default::default(),
    }
}

pub(super) fn found() -> Answer {
    Ok(Some(CitizenRecord {
        id: Some("001090123456".into()),
        old_id: None,
        full_name: "Nguyễn Văn An".into(),
        gender: Gender::Male,
        ethnicity: None,
        religion: None,
        marital_status: MaritalStatus::Single,
        blood_type: BloodType::O,
        birth: BirthDate::YearOnly(1990),
        nationality: Some("VN".into()),
        birth_registration: None,
        hometown: None,
        permanent: None,
        current: None,
        father: None,
        mother: None,
        spouse: None,
        representative: None,
        head_of_household: None,
        household_book: None,
    }))
}

pub(super) fn transient(reason: &str) -> Answer {
    Err(LookupError::transient(reason))
}

pub(super) fn transient_after(reason: &str, after: Duration) -> Answer {
    Err(LookupError::Transient {
        reason: reason.into(),
        retry_after: Some(after),
    })
}
