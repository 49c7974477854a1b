//! Onramp's back end, without a window: what the window's commands share (who is signed
//! in, the embedded sandbox, running jobs, open tunnels and queries, problems to show) and
//! one method per command. The app shell only adapts: it takes a command's arguments, calls
//! one method here, and turns progress into the window's channels and events.
#![cfg_attr(not(test), deny(clippy::unwrap_used, clippy::expect_used))]

mod account;
mod connect;
mod existing;
mod export;
mod plan;
mod plans;
mod provision;
mod scale;
mod state;
mod tunnels;
mod users;

pub use account::AccountStatus;
pub use connect::{ConnectionInfo, TunnelInfo};
pub use provision::Progress;
pub use state::{
    Backend, BuildKind, ProgressHook, StartupProblem, ENDPOINTS_ENV, SANDBOX_PROVISION_ENV,
};
pub use tunnels::Tunnels;
