//! The open SSH tunnels to plans' databases, one per plan, by plan id: a plain registry the
//! Connect and Users commands share. A closed tunnel is forgotten when next asked for; all
//! are closed when the app ends.

use std::collections::HashMap;

use tokio::sync::{watch, Mutex};

use onramp_connect::{Tunnel, TunnelStatus};

use crate::TunnelInfo;

#[derive(Default)]
pub struct Tunnels {
    open: Mutex<HashMap<String, Tunnel>>,
}

impl Tunnels {
    /// The plan's tunnel if it is still open (one that closed is forgotten).
    pub async fn info(&self, plan_id: &str) -> Option<TunnelInfo> {
        let mut open = self.open.lock().await;
        let tunnel = open.get(plan_id)?;
        let status = tunnel.status().borrow().clone();
        if matches!(status, TunnelStatus::Closed { .. }) {
            open.remove(plan_id);
            return None;
        }
        Some(TunnelInfo {
            local_port: tunnel.local_addr().port(),
            status,
        })
    }

    /// The plan's tunnel's status as it changes, while it is registered.
    pub async fn status(&self, plan_id: &str) -> Option<watch::Receiver<TunnelStatus>> {
        self.open.lock().await.get(plan_id).map(Tunnel::status)
    }

    /// Registers the plan's tunnel, closing one it replaces.
    pub async fn insert(&self, plan_id: &str, tunnel: Tunnel) {
        let old = self.open.lock().await.insert(plan_id.to_owned(), tunnel);
        if let Some(old) = old {
            old.close().await;
        }
    }

    /// Closes the plan's tunnel; whether there was one.
    pub async fn close(&self, plan_id: &str) -> bool {
        let tunnel = self.open.lock().await.remove(plan_id);
        match tunnel {
            Some(tunnel) => {
                tunnel.close().await;
                true
            }
            None => false,
        }
    }

    pub async fn close_all(&self) {
        let all: Vec<Tunnel> = self.open.lock().await.drain().map(|(_, t)| t).collect();
        for tunnel in all {
            tunnel.close().await;
        }
    }
}
