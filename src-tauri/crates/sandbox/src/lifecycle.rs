//! What happens to an instance after the API call returns: provisioning (for a database a
//! real PostgreSQL cluster, then `active` once `--provision-seconds` have passed; for
//! Monitoring and Cloud Logs only the shorter wait), a scale, deprovisioning, and picking
//! all of that up again after a restart.

use std::sync::Arc;

use crate::{api::now, rc::private_hostname, server::AppState};

pub(crate) fn spawn_provision(state: Arc<AppState>, guid: String) {
    let task = tokio::spawn({
        let state = state.clone();
        async move { provision(state, guid).await }
    });
    state.track(task);
}

/// How long a scale takes: a quarter of provisioning, at least a second (the real service
/// moves the deployment to its new size in minutes).
pub(crate) fn update_ms(provision_ms: u64) -> i64 {
    i64::try_from((provision_ms / 4).max(1000)).unwrap_or(i64::MAX)
}

pub(crate) fn spawn_update(state: Arc<AppState>, guid: String) {
    let task = tokio::spawn({
        let state = state.clone();
        async move { update(state, guid).await }
    });
    state.track(task);
}

/// A scale: once its time has passed, the new size is the instance's (its parameters, and
/// so its extensions) and the last operation has succeeded.
async fn update(state: Arc<AppState>, guid: String) {
    let Some(ready_at) = state
        .store
        .read(|w| w.instances.get(&guid).map(|i| i.ready_at))
    else {
        return;
    };
    tokio::time::sleep((ready_at - now()).to_std().unwrap_or_default()).await;
    state.store.write(|w| {
        let Some(i) = w.instances.get_mut(&guid) else {
            return;
        };
        if i.op_type != "update" || i.op_state != "in progress" {
            return;
        }
        if let Some(serde_json::Value::Object(pg)) = i.pending_update.take() {
            let target = &mut i.parameters["dataservices"]["postgresql"];
            if !target.is_object() {
                *target = serde_json::json!({});
            }
            for (k, v) in pg {
                target[k] = v;
            }
        }
        i.op_state = "succeeded".into();
        i.op_description = "Update completed successfully".into();
        i.updated_at = now();
    });
    tracing::info!(guid, "instance updated");
}

pub(crate) fn spawn_delete(state: Arc<AppState>, guid: String) {
    let task = tokio::spawn({
        let state = state.clone();
        async move { deprovision(state, guid).await }
    });
    state.track(task);
}

fn finish(state: &AppState, guid: &str, failure: Option<String>) {
    state.store.write(|w| {
        if let Some(i) = w.instances.get_mut(guid) {
            if i.op_type != "create" || i.op_state != "in progress" {
                return;
            }
            i.updated_at = now();
            match &failure {
                None => {
                    i.state = "active".into();
                    i.op_state = "succeeded".into();
                    i.op_description = "Provision completed successfully".into();
                }
                Some(reason) => {
                    i.state = "failed".into();
                    i.op_state = "failed".into();
                    i.op_description = format!("Provision failed: {reason}");
                }
            }
        }
    });
    match failure {
        None => tracing::info!(guid, "instance active"),
        Some(reason) => tracing::warn!(guid, reason, "instance provisioning failed"),
    }
}

async fn provision(state: Arc<AppState>, guid: String) {
    let Some(instance) = state.store.read(|w| w.instances.get(&guid).cloned()) else {
        return;
    };
    if instance.state != "provisioning" {
        return;
    }
    let failure = if instance.fail_provision {
        Some("the deployment could not be scheduled (injected by the sandbox's provision-fail fault)".to_owned())
    } else if !instance.is_database() {
        // Monitoring and Cloud Logs: nothing to start, only the wait.
        None
    } else if let Some(pg) = state.postgres.as_ref() {
        let dir = state.instance_dir(&guid);
        let made = match instance.postgres.clone() {
            // Made before a restart: start it again.
            Some(mut record) => pg.start(&dir, &mut record).await.map(|_| record),
            None => {
                pg.create(&dir, &private_hostname(&guid, &instance.region), &state.ca)
                    .await
            }
        };
        match made {
            Ok(record) => {
                state.mark_started(&guid);
                state.store.write(|w| {
                    if let Some(i) = w.instances.get_mut(&guid) {
                        i.postgres = Some(record);
                    }
                });
                None
            }
            Err(error) => Some(format!("the database server did not start: {error}")),
        }
    } else {
        Some("PostgreSQL is not installed on this machine (install the postgresql package or set ONRAMP_PG_BIN)".to_owned())
    };
    let wait = (instance.ready_at - now()).to_std().unwrap_or_default();
    tokio::time::sleep(wait).await;
    finish(&state, &guid, failure);
}

async fn deprovision(state: Arc<AppState>, guid: String) {
    state
        .started
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .remove(&guid);
    let database = state
        .store
        .read(|w| w.instances.get(&guid).is_some_and(|i| i.is_database()));
    if let (true, Some(pg)) = (database, state.postgres.as_ref()) {
        if let Err(error) = pg.destroy(&state.instance_dir(&guid)).await {
            tracing::warn!(guid, %error, "could not remove the database server");
        }
    }
    let account = state.account.account_id.clone();
    state.store.write(|w| {
        w.keys.retain(|_, k| k.instance_guid != guid);
        if let Some(crn) = w.instances.get(&guid).map(|i| i.crn(&account)) {
            crate::tagging::detach_all(w, &crn);
        }
        if let Some(i) = w.instances.get_mut(&guid) {
            i.state = "removed".into();
            i.op_state = "succeeded".into();
            i.op_description = "Deprovision completed successfully".into();
            i.updated_at = now();
            i.deleted_at = Some(now());
            i.postgres = None;
        }
    });
    tracing::info!(guid, "instance removed");
}

/// After a restart: start the servers of active databases, and carry on with creates and
/// deletes that were under way.
pub(crate) async fn resume(state: &Arc<AppState>) {
    let instances: Vec<_> = state
        .store
        .read(|w| w.instances.values().cloned().collect());
    for instance in instances {
        if !instance.is_database() && !crate::observability::is_observability(&instance) {
            continue;
        }
        // A scale under way goes on; the database behind it is started again below.
        if (instance.op_type.as_str(), instance.op_state.as_str()) == ("update", "in progress") {
            spawn_update(state.clone(), instance.guid.clone());
        }
        match (instance.op_type.as_str(), instance.op_state.as_str()) {
            ("create", "in progress") => spawn_provision(state.clone(), instance.guid.clone()),
            ("delete", "in progress") => spawn_delete(state.clone(), instance.guid.clone()),
            _ if instance.state == "active" => {
                let (Some(pg), Some(mut record)) =
                    (state.postgres.as_ref(), instance.postgres.clone())
                else {
                    continue;
                };
                let dir = state.instance_dir(&instance.guid);
                match pg.start(&dir, &mut record).await {
                    Ok(()) => {
                        state.mark_started(&instance.guid);
                        state.store.write(|w| {
                            if let Some(i) = w.instances.get_mut(&instance.guid) {
                                i.postgres = Some(record);
                            }
                        })
                    }
                    Err(error) => {
                        tracing::error!(guid = instance.guid, %error, "could not restart the database server")
                    }
                }
            }
            _ => {}
        }
    }
}

/// Stops every database server this sandbox started, and no other.
pub(crate) async fn stop_all(state: &AppState) {
    let Some(pg) = state.postgres.as_ref() else {
        return;
    };
    let guids: Vec<String> = state
        .started
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .drain()
        .collect();
    for guid in guids {
        if let Err(error) = pg.stop(&state.instance_dir(&guid)).await {
            tracing::warn!(guid, %error, "could not stop the database server");
        }
    }
}
