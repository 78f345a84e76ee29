//! Lockstep's integration tests, one binary (each test file used to link the
//! whole application on its own). Every `#[sqlx::test]` gets a fresh,
//! migrated PostgreSQL database.
//!
//! The modules at the top talk to the whole application over real HTTP
//! ([`common::spawn`]); `domain` calls the server's operations directly.

mod common;
mod domain;

mod accounts;
mod cards;
mod clients;
mod notices;
mod people;
mod profiles;
mod resilience;
mod security;
mod session_cache;
mod training;
mod workflow;
