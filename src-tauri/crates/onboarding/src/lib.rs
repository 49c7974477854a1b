//! Onramp's domain, free of any UI toolkit: the rules each wizard step applies, the work
//! behind each step, and the error contract every command keeps with the UI.
#![cfg_attr(not(test), deny(clippy::unwrap_used, clippy::expect_used))]

pub mod account;
pub mod clipboard;
pub mod connect;
pub mod connectivity;
pub mod cost;
pub mod credential;
pub mod done;
pub mod drafts;
pub mod engine;
pub mod error;
pub mod existing;
pub mod export;
pub mod input;
pub mod jobs;
pub mod journal;
pub mod notice;
pub mod observability;
pub mod offerings;
pub mod overview;
pub mod plan;
pub mod plans;
pub mod review;
pub mod rulebook;
pub mod scale;
pub mod settings;
pub mod users;
pub mod vault;

pub use error::{AppError, ErrorCode};
