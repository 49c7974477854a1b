//! The connect crate: everything between a provisioned private path and a query on the
//! database. The SSH tunnel through the jump VSI ([`tunnel`]), the keys it needs, made on the
//! desktop ([`keys`]), the PostgreSQL session with `verify-full` semantics through it
//! ([`postgres`]), and the connection doctor that checks each hop and names what to fix
//! ([`doctor`]).
#![cfg_attr(not(test), deny(clippy::unwrap_used, clippy::expect_used))]

pub mod doctor;
pub mod keys;
pub mod postgres;
pub mod tunnel;

pub use keys::{generate_host_key, generate_user_key, JumpHostKey, KeyPair};
pub use tunnel::{CloseReason, Tunnel, TunnelConfig, TunnelError, TunnelStatus};
