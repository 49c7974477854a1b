//! Tests that cross modules: contract fixtures, retries against a loopback server, and secrets.

mod contract;
mod retry;
mod secrets;
mod server;
