//! The sandbox: a local IBM Cloud for rehearsals and tests. It listens on loopback only,
//! answers with the paths, shapes, status codes and error bodies of the real services
//! (`shared/contract/`), keeps its state in a directory so a restart loses nothing, and
//! describes itself in `endpoints.json` so clients (Onramp's, or IBM's own SDKs) find it.
//!
//! Served so far: the IAM token exchange. The other services arrive with the sandbox issue;
//! `endpoints.json` lists only what is served, so a client never gets pointed at a 404.

mod account;
mod iam;
mod server;

pub use account::SandboxAccount;
pub use server::{RunningSandbox, SandboxConfig, SandboxError};
