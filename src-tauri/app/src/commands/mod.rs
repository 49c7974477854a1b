//! The app's commands, one module per wizard step. Each command is a few lines: the work
//! is in the `onboarding` crate. Every command must also be listed in build.rs (so the
//! permission system knows it) and allowed in capabilities/main.json.

pub mod account;
pub mod clipboard;
pub mod connect;
pub mod existing;
pub mod export;
pub mod plan;
pub mod provision;
pub mod scale;
pub mod status;
pub mod users;
