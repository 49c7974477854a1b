//! The sandbox: a local IBM Cloud for rehearsals and tests. It listens on loopback only,
//! answers with the paths, shapes, status codes and error bodies of the real services
//! (`shared/contract/`), keeps its state in a directory so a restart loses nothing, and
//! describes itself in `endpoints.json` so clients (Onramp's, or IBM's own SDKs) find it.
//!
//! Each service lives under a path prefix on one listener, and each base URL in
//! `endpoints.json` is exactly what IBM's SDK for that service takes as its service URL:
//! `/iam` (token, API-key details, policies), `/rc` (Resource Controller and Resource
//! Manager), `/gc/api/v1` (Global Catalog), `/cbr`, `/vpc/<region>/v1`, `/kms/<region>`,
//! `/tags` (Global Tagging), `/search` (Global Search), `/metrics-router/<region>/api/v3`,
//! `/atracker/<region>` and `/logs-router/<region>/{v3,v1}` (the observability routing
//! APIs). `/sandbox/` holds what only the
//! sandbox has: the address map, the faults, the CA, the account's members.
//!
//! Underneath, a database is a real PostgreSQL cluster with TLS from the sandbox CA, and a
//! VPC instance is a real SSH server; the addresses the APIs show are virtual and
//! `/sandbox/addresses` maps them to loopback sockets.
#![cfg_attr(not(test), deny(clippy::unwrap_used, clippy::expect_used))]
#![recursion_limit = "256"]

mod access;
mod account;
mod addresses;
mod api;
mod ca;
mod catalog;
mod cbr;
mod derived;
mod faults;
mod iam;
mod iam_policy;
mod iam_roles;
mod jump;
mod kms;
mod lifecycle;
mod observability;
mod postgres;
mod rc;
mod requests;
mod routing;
mod server;
mod store;
mod tagging;
mod vpc;

pub use account::{Member, SandboxAccount};
pub use addresses::MappedAddress;
pub use faults::{FaultAction, FaultRule, FaultSpec, FaultWhen};
pub use postgres::PostgresError;
pub use requests::RequestRecord;
pub use server::{RunningSandbox, SandboxConfig, SandboxError};
