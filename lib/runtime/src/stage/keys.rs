//! Per-key order among records handled concurrently.
//!
//! A stage may handle many records at once, but two records with the same Kafka key (one
//! dossier's events: the outbox keys every record by its dossier id) must be handled in
//! offset order: the national portal refuses a status older than the one it holds, and a
//! stage's view of a dossier must not go backwards. [`KeyOrder::enter`] is called in
//! offset order by the consumer loop; each record gets a [`Turn`] that resolves when every
//! earlier record of its key has finished. Records of different keys never wait for each
//! other. A record without a key is ordered within its partition.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use tokio::sync::oneshot;

/// Orders records that share a key.
#[derive(Default)]
pub struct KeyOrder {
    inner: Mutex<Chains>,
}

#[derive(Default)]
struct Chains {
    next_seq: u64,
    /// Per key: the sequence of the last record entered and the receiver that resolves
    /// when it finishes (taken by the next record of the key).
    tails: HashMap<Vec<u8>, (u64, Option<oneshot::Receiver<()>>)>,
}

/// One record's place in its key's chain. [`Turn::finish`] lets the next record of the
/// key go; dropping it unfinished (abandoned at shutdown, task aborted) tells the next
/// record that this one was not handled, so it must not be handled either.
pub struct Turn {
    order: Arc<KeyOrder>,
    key: Vec<u8>,
    seq: u64,
    wait: Option<oneshot::Receiver<()>>,
    done: Option<oneshot::Sender<()>>,
}

impl KeyOrder {
    /// The chain key of a record: its Kafka key, or its partition when it has none.
    pub fn chain_key(topic: &str, partition: i32, key: Option<&[u8]>) -> Vec<u8> {
        let mut k = Vec::with_capacity(topic.len() + 40);
        k.extend_from_slice(topic.as_bytes());
        match key {
            Some(key) => {
                k.push(b'k');
                k.extend_from_slice(key);
            }
            None => {
                k.push(b'p');
                k.extend_from_slice(&partition.to_be_bytes());
            }
        }
        k
    }

    /// Enters a record; must be called in the order records are to be handled.
    pub fn enter(self: &Arc<Self>, key: Vec<u8>) -> Turn {
        let (tx, rx) = oneshot::channel();
        let mut chains = self.lock();
        chains.next_seq += 1;
        let seq = chains.next_seq;
        let wait = chains
            .tails
            .insert(key.clone(), (seq, Some(rx)))
            .and_then(|(_, rx)| rx);
        drop(chains);
        Turn {
            order: self.clone(),
            key,
            seq,
            wait,
            done: Some(tx),
        }
    }

    /// Keys with a record in flight.
    pub fn keys_in_flight(&self) -> usize {
        self.lock().tails.len()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Chains> {
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }
}

impl Turn {
    /// Resolves when the previous record of the key is over: `true` when it (and so
    /// every earlier one) was handled, `false` when it was abandoned. An abandoned record
    /// is re-delivered after a restart, so a later record of its key must be abandoned
    /// too, or the two would be handled out of order.
    pub async fn ready(&mut self) -> bool {
        match self.wait.take() {
            Some(rx) => rx.await.is_ok(),
            None => true,
        }
    }

    /// This record was handled (or durably handed to a retry or dead-letter topic).
    pub fn finish(mut self) {
        if let Some(tx) = self.done.take() {
            let _ = tx.send(());
        }
    }
}

impl Drop for Turn {
    fn drop(&mut self) {
        let mut chains = self.order.lock();
        // The last record of its key: nobody will wait for it, forget the key.
        if chains
            .tails
            .get(&self.key)
            .is_some_and(|(s, _)| *s == self.seq)
        {
            chains.tails.remove(&self.key);
        }
        // An unfinished turn drops its sender unsent: the next record sees it abandoned.
    }
}

#[cfg(test)]
#[path = "keys_tests.rs"]
mod tests;
