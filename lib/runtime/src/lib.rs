//! Runtime plumbing shared by every dossierflow process.
//!
//! Stages and the intake API contain business logic only; everything that talks to the
//! outside world in the same way everywhere lives here, so that every process behaves
//! alike: configuration, logs and metrics, the admin port, Kafka clients, the database
//! pool and migrations, the transactional outbox and graceful shutdown.
//!
//! # Layout
//! - [`config`]: command-line/env settings shared by every subcommand.
//! - [`telemetry`]: tracing set-up and the metric registry.
//! - [`admin`]: the admin HTTP server (`/metrics`, `/health`).
//! - [`labels`]: metric label sets.
//! - [`catalogue`]: the documented list of every metric (`dossierflow metrics`).
//! - [`lag`]: consumer-lag metrics from librdkafka statistics.
//! - [`kafka`]: producer, consumer and topic administration.
//! - [`crypto`]: AES-256-GCM encryption at rest with a rotating keyring.
//! - [`commit_group`]: many stage records in one transaction and one commit.
//! - [`db`]: pool, database creation, migrations, the inbox (processed events).
//! - [`outbox`]: writing events in the business transaction and relaying them to Kafka.
//! - [`ports`]: free ports for the child processes the bench and the tests start.
//! - [`stage`]: the consume → handle → commit loops every stage runs (concurrency,
//!   offset tracking, pause on outages, retry topics, dead letters).
//! - [`shutdown`]: signals and the cancellation token.

pub mod admin;
pub mod catalogue;
pub mod commit_group;
pub mod config;
pub mod crypto;
pub mod db;
pub mod kafka;
pub mod labels;
pub mod lag;
pub mod notify_metrics;
pub mod outbox;
pub mod ports;
mod registration;
pub mod shutdown;
pub mod stage;
pub mod telemetry;
pub mod tokens;
