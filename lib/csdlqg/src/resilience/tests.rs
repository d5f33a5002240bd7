//! Tests of the resilience layer against an in-process fake registry (fault
//! injection, call counting, peak concurrency) under tokio's paused clock, and
//! one run against the real simulator over HTTP.

mod breaker;
mod cache;
mod fake;
mod limits;
mod retry;
mod sim;
