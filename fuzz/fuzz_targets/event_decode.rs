//! Fuzz target: decoding a Kafka record into every event type, as the stages do
//! (`Envelope::<T>::decode` in `lib/runtime/src/stage/process.rs`).
//!
//! Input: the record value, or `headers NUL value` where `headers` is `name=value` lines
//! (then the `ce_*` headers are the fuzzer's). Without a NUL, valid headers of each type
//! are used, so the samples in `schemas/samples/` are seeds as they are.
//! Checks: no panic; a decoded event re-encodes and decodes to the same data; `history`
//! (the audit form) never panics.
#![no_main]

use dossierflow_fuzz::split_nul;
use dossierflow_schemas::envelope::{Attributes, attribute_headers};
use dossierflow_schemas::{
    EnrichedV1, Envelope, Event, NotificationV1, OverdueV1, RoutedV1, StatusV1, SubmittedV1,
    TriageV1, VerifiedV1,
};
use libfuzzer_sys::fuzz_target;

fn headers_of(block: &[u8]) -> Vec<(&str, &[u8])> {
    block
        .split(|&b| b == b'\n')
        .filter_map(|line| {
            let eq = line.iter().position(|&b| b == b'=')?;
            let name = std::str::from_utf8(&line[..eq]).ok()?;
            Some((name, &line[eq + 1..]))
        })
        .collect()
}

fn check<T: Event + PartialEq + std::fmt::Debug>(custom: Option<&[u8]>, value: &[u8]) {
    let owned;
    let headers: Vec<(&str, &[u8])> = match custom {
        Some(block) => headers_of(block),
        None => {
            owned = attribute_headers(
                uuid::Uuid::nil(),
                "/fuzz",
                T::TYPE,
                chrono::DateTime::UNIX_EPOCH,
            );
            owned.iter().map(|(n, v)| (*n, v.as_bytes())).collect()
        }
    };
    let _ = Attributes::from_headers(headers.iter().copied());
    let Ok(event) = Envelope::<T>::decode(headers, value) else {
        return;
    };
    let _ = event.data.history();
    let _ = event.key();
    let again = event.headers();
    let again: Vec<(&str, &[u8])> = again.iter().map(|(n, v)| (*n, v.as_bytes())).collect();
    let round = Envelope::<T>::decode(again, &event.value())
        .unwrap_or_else(|e| panic!("{} does not decode its own encoding: {e}", T::TYPE));
    assert_eq!(
        round.data,
        event.data,
        "{} round trip changed the data",
        T::TYPE
    );
    assert_eq!(round.id, event.id);
}

fuzz_target!(|data: &[u8]| {
    let (first, rest) = split_nul(data);
    let (custom, value) = match rest {
        Some(value) => (Some(first), value),
        None => (None, first),
    };
    check::<SubmittedV1>(custom, value);
    check::<VerifiedV1>(custom, value);
    check::<EnrichedV1>(custom, value);
    check::<RoutedV1>(custom, value);
    check::<TriageV1>(custom, value);
    check::<StatusV1>(custom, value);
    check::<NotificationV1>(custom, value);
    check::<OverdueV1>(custom, value);
});
