//! The jump hosts: each VPC instance (VSI) is a real SSH server on loopback that accepts the
//! keys registered through the VPC keys API and given at create, and forwards `ssh -L`
//! channels only to the endpoint gateways of its own VPC. Its host key is kept in the state
//! dir, so a client's `known_hosts` stays valid across sandbox restarts. When the instance's
//! `user_data` installs an ed25519 host key the cloud-init way (`ssh_keys`, as Onramp
//! generates it), that key is the one it presents, as on a real VSI; otherwise it makes one.

use std::{
    collections::HashMap,
    net::SocketAddr,
    sync::{Arc, Weak},
};

use onramp_jumphost::{ForwardFn, JumpHost, JumpHostConfig};
use tokio::sync::Mutex;

use crate::server::AppState;

#[derive(Default)]
pub(crate) struct JumpHosts {
    running: Mutex<HashMap<String, JumpHost>>,
}

fn forwarder(state: Weak<AppState>, vpc: String, instance: String) -> ForwardFn {
    Arc::new(move |host: &str, port: u16| {
        let state = state.upgrade()?;
        let target = crate::addresses::forward_from_vpc(&state, &vpc, &instance, host, port);
        if target.is_none() {
            tracing::info!(
                vpc,
                host,
                port,
                "jump host refused a forward: not an endpoint gateway of its VPC that its security groups let it reach"
            );
        }
        target
    })
}

fn host_key_path(state: &AppState, id: &str) -> std::path::PathBuf {
    state.state_dir.join("jumphosts").join(format!("{id}.key"))
}

/// Makes the host key that `user_data` installs (if it installs one) the VSI's host key.
pub(crate) fn install_host_key_from_user_data(
    state: &AppState,
    id: &str,
    user_data: &str,
) -> Result<(), String> {
    let Some(key) = onramp_jumphost::host_key_from_cloud_init(user_data) else {
        tracing::info!(
            instance = id,
            "user_data installs no host key; the jump host makes one"
        );
        return Ok(());
    };
    onramp_jumphost::install_host_key(&host_key_path(state, id), &key)
        .map_err(|e| e.to_string())?;
    tracing::info!(instance = id, "jump host key taken from user_data");
    Ok(())
}

/// Starts the SSH server behind a VSI (on its recorded port after a restart, if free).
pub(crate) async fn start_for_instance(
    state: &Arc<AppState>,
    id: &str,
    keys: Vec<String>,
) -> Result<(), String> {
    let vpc = state
        .store
        .read(|w| {
            w.docs
                .get(id)
                .and_then(|d| d.body["vpc"]["id"].as_str().map(str::to_owned))
        })
        .ok_or_else(|| format!("instance {id} not found"))?;
    let dir = state.state_dir.join("jumphosts");
    std::fs::create_dir_all(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    let recorded = state.store.read(|w| w.jump_ports.get(id).copied());
    let config = |port: u16| JumpHostConfig {
        listen: SocketAddr::from(([127, 0, 0, 1], port)),
        host_key_path: host_key_path(state, id),
        authorized_keys: keys.clone(),
        forward: forwarder(Arc::downgrade(state), vpc.clone(), id.to_owned()),
    };
    let host = match JumpHost::start(config(recorded.unwrap_or(0))).await {
        Ok(host) => host,
        Err(error) if recorded.is_some() => {
            tracing::info!(%error, "the jump host's old port is taken; using a new one");
            JumpHost::start(config(0))
                .await
                .map_err(|e| e.to_string())?
        }
        Err(error) => return Err(error.to_string()),
    };
    let port = host.addr().port();
    tracing::info!(
        instance = id,
        port,
        fingerprint = host.host_key_fingerprint(),
        "jump host started"
    );
    state
        .store
        .write(|w| w.jump_ports.insert(id.to_owned(), port));
    state
        .jump_hosts
        .running
        .lock()
        .await
        .insert(id.to_owned(), host);
    Ok(())
}

pub(crate) async fn stop_for_instance(state: &AppState, id: &str) {
    let host = state.jump_hosts.running.lock().await.remove(id);
    if let Some(host) = host {
        host.stop().await;
    }
    let _ = std::fs::remove_file(host_key_path(state, id));
}

/// After a restart: start the SSH server of every VSI again, with the keys it was made with.
pub(crate) async fn resume(state: &Arc<AppState>) {
    let instances: Vec<(String, Vec<String>)> = state.store.read(|w| {
        w.docs_of("instance", None)
            .map(|d| {
                let keys = d.body["authorized_keys_sandbox"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .filter_map(|k| k.as_str().map(str::to_owned))
                    .collect();
                (d.body["id"].as_str().unwrap_or_default().to_owned(), keys)
            })
            .collect()
    });
    for (id, keys) in instances {
        if let Err(error) = start_for_instance(state, &id, keys).await {
            tracing::error!(instance = id, error, "could not restart the jump host");
        }
    }
}

pub(crate) async fn stop_all(state: &AppState) {
    let hosts: Vec<JumpHost> = state
        .jump_hosts
        .running
        .lock()
        .await
        .drain()
        .map(|(_, h)| h)
        .collect();
    for host in hosts {
        host.stop().await;
    }
}
