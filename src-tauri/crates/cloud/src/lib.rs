//! The cloud crate: typed clients for IBM Cloud's APIs, one shared HTTP client with retries,
//! and the token cache. Sandbox and IBM Cloud mode use exactly this code; only the base URLs
//! in [`Endpoints`] differ.
//!
//! Start from a [`Cloud`] (an HTTP client, the endpoints and an API key) and ask it for the
//! client of one API, e.g. `cloud.resource_controller()?.get_instance(guid)`.
#![cfg_attr(not(test), deny(clippy::unwrap_used, clippy::expect_used))]

mod context;
mod endpoints;
mod error;
mod http;
mod model;
mod network;

pub mod atracker;
pub mod catalog;
pub mod cbr;
pub mod iam;
pub mod iam_identity;
pub mod iam_policy;
pub mod kms;
pub mod logs_router;
pub mod metrics_router;
pub mod rc;
pub mod rm;
pub mod routing;
pub mod tagging;
pub mod vpc;

#[cfg(test)]
mod tests;

pub use context::Cloud;
pub use endpoints::{Endpoints, RegionEndpoints};
pub use error::{CloudError, ErrorKind};
pub use http::{HttpClient, Idempotency, RetryPolicy};
pub use model::PageLink;
pub use network::Network;
