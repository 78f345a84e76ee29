//! Lockstep's server side: everything that never reaches the browser.
//!
//! The top-level modules are the domain, one per concept. Domain operations
//! take a `&mut PgConnection` (or a pool when they manage their own
//! transaction), so callers can compose several in one transaction. The
//! HTTP adapter around them (the REST API, middleware, security headers,
//! no-JS form errors) is in [`web`].

pub mod accounts;
pub mod api_keys;
pub mod appointments;
pub mod assessment_sections;
pub mod assessments;
pub mod assignments;
pub mod audit;
pub mod auth;
#[cfg(feature = "bench-unsafe")]
pub mod bench_unsafe;
pub mod cards;
pub mod clients;
pub mod counselors;
pub mod db;
pub mod demo;
pub mod devices;
pub mod documents;
pub mod error;
pub mod fields;
pub mod idempotency;
pub mod invariants;
pub mod metrics;
pub mod notices;
pub mod numbers;
pub mod people;
pub mod profiles;
pub mod reapers;
pub mod requests;
pub mod retry;
pub mod scenarios;
pub mod secrets;
pub mod session_cache;
pub mod setup;
pub mod slugs;
pub mod state;
pub mod throttle;
pub mod versioned;
pub mod web;

pub use error::{Error, Result};
pub use state::AppState;
