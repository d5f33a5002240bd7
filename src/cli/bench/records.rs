//! Records shaped like the pipeline's: a key, a value and the CloudEvents headers the
//! outbox relay sends, built from the schema samples (`schemas/samples/`).

use chrono::Utc;
use dossierflow_schemas::envelope::attribute_headers;
use dossierflow_schemas::{Envelope, Event, RoutedV1, SubmittedV1};
use rdkafka::message::{Header, OwnedHeaders};
use uuid::Uuid;

/// One event kind's record, ready to be sent many times.
#[derive(Debug, Clone)]
pub struct Template {
    /// The event type (`dossier.submitted.v1`, …).
    pub ty: &'static str,
    /// The `ce_source` the pipeline writes for it.
    pub source: &'static str,
    /// The record value: the compact JSON data, as the relay sends it.
    pub value: Vec<u8>,
}

impl Template {
    /// Key bytes: a dossier id as text.
    pub const KEY_BYTES: usize = 36;

    /// The bytes of the `ce_*` headers (names and values) of one record.
    pub fn header_bytes(&self) -> usize {
        attribute_headers(Uuid::now_v7(), self.source, self.ty, Utc::now())
            .iter()
            .map(|(k, v)| k.len() + v.len())
            .sum()
    }

    /// Key, value and headers of one record.
    pub fn record_bytes(&self) -> usize {
        Self::KEY_BYTES + self.value.len() + self.header_bytes()
    }

    /// Fresh headers for one record (a new event id and time, like the relay's).
    pub fn headers(&self) -> OwnedHeaders {
        attribute_headers(Uuid::now_v7(), self.source, self.ty, Utc::now())
            .into_iter()
            .fold(OwnedHeaders::new(), |h, (key, v)| {
                h.insert(Header {
                    key,
                    value: Some(v.as_bytes()),
                })
            })
    }
}

pub(super) const SUBMITTED_SAMPLE: &str =
    include_str!("../../../schemas/samples/dossier.submitted.v1.json");
const ROUTED_SAMPLE: &str = include_str!("../../../schemas/samples/dossier.routed.v1.json");

/// The templates of `dossier.submitted.v1` (the largest event) and `dossier.routed.v1`.
pub fn templates() -> anyhow::Result<Vec<Template>> {
    Ok(vec![
        template::<SubmittedV1>(SUBMITTED_SAMPLE, "/dossierflow/intake")?,
        template::<RoutedV1>(ROUTED_SAMPLE, "/dossierflow/route")?,
    ])
}

fn template<T: Event>(sample: &str, source: &'static str) -> anyhow::Result<Template> {
    let data: T = serde_json::from_str(sample)
        .map_err(|e| anyhow::anyhow!("schema sample of {} does not parse: {e}", T::TYPE))?;
    let envelope = Envelope::new(source, data);
    // The relay sends `payload::jsonb` re-serialised: compact JSON of the same size.
    let value = serde_json::to_value(&envelope.data)?
        .to_string()
        .into_bytes();
    Ok(Template {
        ty: T::TYPE,
        source,
        value,
    })
}

/// `count` distinct dossier ids as record keys (cycled by the producers).
pub fn keys(count: usize) -> Vec<String> {
    (0..count).map(|_| Uuid::now_v7().to_string()).collect()
}

#[cfg(test)]
mod tests {
    use rdkafka::message::Headers;

    #[test]
    fn templates_have_the_sample_sizes() {
        let t = super::templates().expect("templates");
        assert_eq!(t[0].ty, "dossier.submitted.v1");
        assert!(
            t[0].value.len() > 250 && t[0].value.len() < 400,
            "{}",
            t[0].value.len()
        );
        assert!(t[0].header_bytes() > 150, "{}", t[0].header_bytes());
        assert!(t[1].value.len() < t[0].value.len());
        assert_eq!(t[0].headers().count(), 6);
    }
}
