//! Short-lived answer cache and coalescing of identical concurrent lookups.
//!
//! A lookup is identified by ID, name, date of birth and procedure (a licence
//! is per procedure, so another procedure is another lookup). While one is in
//! flight, identical lookups await the same call (one `MaYeuCau` reaches
//! CSDLQG: the leader's); a successful answer (found or not found) is then
//! served for `ttl`. Errors are shared with the lookups that were waiting but
//! never cached. Keys and records are personal data: they live in memory only
//! and have no `Debug`.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Duration;

use dossierflow_domain::BirthDate;
use futures::future::{BoxFuture, FutureExt, Shared};
use tokio::time::Instant;

use crate::{CitizenRecord, LookupError, LookupRequest};

/// What a lookup returns.
pub(crate) type Answer = Result<Option<CitizenRecord>, LookupError>;

/// One call in flight, awaitable by every identical lookup.
pub(crate) type Flight = Shared<BoxFuture<'static, Answer>>;

/// Entries kept before expired ones are swept out.
const SWEEP_FLOOR: usize = 1024;

/// The identity of a lookup.
#[derive(Clone, PartialEq, Eq, Hash)]
pub(crate) struct Key {
    id: String,
    name: String,
    birth: BirthDate,
    procedure: String,
}

impl Key {
    pub(crate) fn of(req: &LookupRequest) -> Self {
        Self {
            id: req.id.as_str().to_owned(),
            name: req.name.as_str().to_owned(),
            birth: req.birth,
            procedure: req.procedure_code.clone(),
        }
    }
}

enum Slot {
    Ready {
        until: Instant,
        value: Box<Option<CitizenRecord>>,
    },
    Pending(Flight),
}

/// How a lookup is to be answered.
pub(crate) enum Begin {
    /// From the cache.
    Hit(Box<Option<CitizenRecord>>),
    /// By awaiting an identical lookup already in flight.
    Joined(Flight),
    /// By this new flight, which the caller must await.
    Led(Flight),
}

struct Slots {
    map: HashMap<Key, Slot>,
    sweep_at: usize,
}

/// The cache; disabled when `ttl` is zero.
pub(crate) struct Cache {
    ttl: Duration,
    slots: Mutex<Slots>,
}

impl Cache {
    pub(crate) fn new(ttl: Duration) -> Self {
        Self {
            ttl,
            slots: Mutex::new(Slots {
                map: HashMap::new(),
                sweep_at: SWEEP_FLOOR,
            }),
        }
    }

    /// Whether lookups go through the cache at all.
    pub(crate) fn enabled(&self) -> bool {
        !self.ttl.is_zero()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Slots> {
        self.slots
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Answers from the cache, joins a flight, or starts one with `start`.
    /// The started future must call [`Cache::settle`] when done.
    pub(crate) fn begin(
        &self,
        key: &Key,
        start: impl FnOnce() -> BoxFuture<'static, Answer>,
    ) -> Begin {
        let now = Instant::now();
        let mut slots = self.lock();
        match slots.map.get(key) {
            Some(Slot::Ready { until, value }) if *until > now => return Begin::Hit(value.clone()),
            Some(Slot::Pending(flight)) => return Begin::Joined(flight.clone()),
            _ => {}
        }
        let flight = start().shared();
        slots.map.insert(key.clone(), Slot::Pending(flight.clone()));
        if slots.map.len() >= slots.sweep_at {
            slots.map.retain(|_, slot| match slot {
                Slot::Ready { until, .. } => *until > now,
                // Held by the map alone: every caller was cancelled; drop it.
                Slot::Pending(flight) => flight.strong_count().is_some_and(|n| n > 1),
            });
            slots.sweep_at = (slots.map.len() * 2).max(SWEEP_FLOOR);
        }
        Begin::Led(flight)
    }

    /// Ends the flight for `key`: caches a successful answer, forgets an error.
    pub(crate) fn settle(&self, key: &Key, answer: &Answer) {
        let mut slots = self.lock();
        match answer {
            Ok(value) => {
                let slot = Slot::Ready {
                    until: Instant::now() + self.ttl,
                    value: Box::new(value.clone()),
                };
                slots.map.insert(key.clone(), slot);
            }
            Err(_) => {
                slots.map.remove(key);
            }
        }
    }
}
