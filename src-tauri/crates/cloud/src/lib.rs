//! The cloud crate: typed clients for IBM Cloud's APIs, one shared HTTP client, and the
//! token cache. Sandbox and IBM Cloud mode use exactly this code; only the base URLs in
//! [`Endpoints`] differ.

mod endpoints;
mod error;
mod http;
pub mod iam;

pub use endpoints::{Endpoints, RegionEndpoints};
pub use error::{CloudError, ErrorKind};
pub use http::HttpClient;
