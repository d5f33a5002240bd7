//! Shared simulator state: per-channel counters, fault configuration, accepted
//! idempotency keys and stored messages, national-portal dossier order and alerts.
//!
//! Everything lives behind one mutex; no lock is ever held across an `.await`.

use std::collections::{BTreeMap, HashMap, HashSet, VecDeque};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};
use serde_json::Value;
use tokio_util::sync::CancellationToken;

use crate::SimConfig;

/// Most messages kept per channel for `GET /admin/messages`.
pub(crate) const MAX_STORED: usize = 1000;

/// A notification channel the simulator plays the provider of.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Channel {
    /// SMS gateway.
    Sms,
    /// Zalo ZNS-style template messages.
    Zalo,
    /// National Public Service Portal (DVCQG).
    #[serde(alias = "national")]
    NationalPortal,
    /// The one-stop portal's status webhook.
    PortalWebhook,
    /// E-mail over SMTP.
    Email,
}

impl Channel {
    /// Every channel, in the order of the stats output.
    pub const ALL: [Channel; 5] = [
        Channel::Sms,
        Channel::Zalo,
        Channel::NationalPortal,
        Channel::PortalWebhook,
        Channel::Email,
    ];

    /// The channel's name on the wire (`sms`, `national_portal`, …).
    pub fn name(self) -> &'static str {
        match self {
            Channel::Sms => "sms",
            Channel::Zalo => "zalo",
            Channel::NationalPortal => "national_portal",
            Channel::PortalWebhook => "portal_webhook",
            Channel::Email => "email",
        }
    }

    fn index(self) -> usize {
        self as usize
    }
}

/// How a channel answers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FaultMode {
    /// Normal answers.
    #[default]
    Ok,
    /// Transient failure: HTTP 503, SMTP 421 greeting then close.
    Fail,
    /// Permanent refusal of every message.
    Reject,
    /// Hold the request (or the SMTP connection) for the timeout hold, then 504 / close.
    Timeout,
}

/// The status the simulated provider reports in delivery receipts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ReceiptStatus {
    /// Delivered to the handset / account.
    #[default]
    Delivered,
    /// Never deliverable.
    PermanentFailure,
    /// Not delivered this time.
    TemporaryFailure,
}

/// Counters of one channel, as served by `GET /admin/stats`.
#[derive(Debug, Clone, Default, Serialize)]
pub(crate) struct Counters {
    pub requests: u64,
    pub accepted: u64,
    pub duplicates: u64,
    pub failed: u64,
    pub rejected: u64,
    pub receipts_sent: u64,
    pub receipts_failed: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub bad_signature: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub out_of_order: Option<u64>,
}

/// A channel's fault configuration.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Fault {
    pub mode: FaultMode,
    pub until: Option<Instant>,
    pub receipt_status: ReceiptStatus,
    pub latency: Duration,
}

impl Fault {
    /// The mode now, reverting to `ok` once a timed fault has expired.
    pub fn current(&mut self) -> FaultMode {
        if self.until.is_some_and(|u| Instant::now() >= u) {
            self.mode = FaultMode::Ok;
            self.until = None;
        }
        self.mode
    }
}

/// Everything kept for one channel.
#[derive(Debug, Default)]
pub(crate) struct ChannelState {
    pub counters: Counters,
    pub fault: Fault,
    /// Accepted idempotency key → provider message id.
    pub ids: HashMap<String, String>,
    /// Accepted keys in order of acceptance.
    pub keys: Vec<String>,
    /// The last [`MAX_STORED`] accepted messages.
    pub messages: VecDeque<Value>,
}

/// The whole mutable state.
#[derive(Debug)]
pub(crate) struct State {
    pub channels: [ChannelState; 5],
    pub alerts: Vec<Value>,
    /// National portal: statuses received per dossier (first receipts, in order).
    pub dossiers: BTreeMap<String, Vec<String>>,
    /// National portal: dossiers synced with `DongBoHoSoMC`.
    pub synced: HashSet<String>,
}

impl State {
    fn new() -> Self {
        let mut channels: [ChannelState; 5] = Default::default();
        channels[Channel::PortalWebhook.index()]
            .counters
            .bad_signature = Some(0);
        channels[Channel::NationalPortal.index()]
            .counters
            .out_of_order = Some(0);
        State {
            channels,
            alerts: Vec::new(),
            dossiers: BTreeMap::new(),
            synced: HashSet::new(),
        }
    }

    /// One channel's state.
    pub fn ch(&mut self, c: Channel) -> &mut ChannelState {
        &mut self.channels[c.index()]
    }

    /// One channel's state, read-only.
    pub fn get(&self, c: Channel) -> &ChannelState {
        &self.channels[c.index()]
    }
}

/// The result of offering a message under an idempotency key.
#[derive(Debug)]
pub(crate) enum Admission<E> {
    /// First time this key was seen: accepted under the returned message id.
    Accepted(String),
    /// The key was accepted before, under the returned message id.
    Duplicate(String),
    /// The message is invalid (counted `rejected`).
    Invalid(E),
}

/// State shared by the HTTP routes, the SMTP server and the receipt sender.
pub(crate) struct Shared {
    pub config: SimConfig,
    pub client: reqwest::Client,
    pub shutdown: CancellationToken,
    state: Mutex<State>,
}

/// A handle on the shared state.
pub(crate) type Sim = Arc<Shared>;

impl Shared {
    /// Creates the state for a configuration.
    pub fn new(config: SimConfig, shutdown: CancellationToken) -> anyhow::Result<Sim> {
        let client = reqwest::Client::builder()
            .timeout(Duration::from_secs(10))
            .build()?;
        Ok(Arc::new(Shared {
            config,
            client,
            shutdown,
            state: Mutex::new(State::new()),
        }))
    }

    /// Locks the state (a panic while holding the lock cannot corrupt plain counters).
    pub fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Counts a request and returns the channel's current mode and latency.
    pub fn begin(&self, c: Channel) -> (FaultMode, Duration) {
        let mut st = self.lock();
        let ch = st.ch(c);
        ch.counters.requests += 1;
        let mode = ch.fault.current();
        (mode, ch.fault.latency)
    }

    /// Updates one counter of a channel.
    pub fn count(&self, c: Channel, f: impl FnOnce(&mut Counters)) {
        f(&mut self.lock().ch(c).counters);
    }

    /// Offers a message under `key`: a repeated key is a duplicate; otherwise `validate`
    /// (called under the lock, only for new keys) builds the stored message or refuses it.
    pub fn admit<E>(
        &self,
        c: Channel,
        key: &str,
        message_id: impl FnOnce() -> String,
        validate: impl FnOnce(&mut State) -> Result<Value, E>,
    ) -> Admission<E> {
        let mut st = self.lock();
        if let Some(id) = st.get(c).ids.get(key).cloned() {
            st.ch(c).counters.duplicates += 1;
            return Admission::Duplicate(id);
        }
        match validate(&mut st) {
            Err(e) => {
                st.ch(c).counters.rejected += 1;
                Admission::Invalid(e)
            }
            Ok(mut message) => {
                let id = message_id();
                if let Value::Object(m) = &mut message {
                    m.insert("idempotency_key".into(), Value::String(key.to_owned()));
                    m.entry("message_id")
                        .or_insert_with(|| Value::String(id.clone()));
                }
                let ch = st.ch(c);
                ch.counters.accepted += 1;
                ch.ids.insert(key.to_owned(), id.clone());
                ch.keys.push(key.to_owned());
                if ch.messages.len() >= MAX_STORED {
                    ch.messages.pop_front();
                }
                ch.messages.push_back(message);
                Admission::Accepted(id)
            }
        }
    }

    /// Sleeps `d`, or less if the simulator shuts down.
    pub async fn pause(&self, d: Duration) {
        if d.is_zero() {
            return;
        }
        tokio::select! {
            () = tokio::time::sleep(d) => {}
            () = self.shutdown.cancelled() => {}
        }
    }
}
