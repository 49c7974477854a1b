//! Starting and stopping the sandbox: bind a loopback port (never anything else), load the
//! account and the world, restart the servers behind existing resources, write
//! `endpoints.json`, and serve every API on one listener under per-service path prefixes
//! until told to stop.

use std::{
    convert::Infallible,
    net::SocketAddr,
    path::{Path, PathBuf},
    sync::{Arc, Mutex},
};

use axum::{
    extract::{FromRequestParts, Request, State},
    http::{request::Parts, StatusCode},
    middleware::{self, Next},
    response::{IntoResponse, Response},
    routing::{get, post, put},
    Json, Router,
};
use hyper_util::rt::TokioIo;
use serde_json::json;
use tokio::{
    net::TcpListener,
    sync::{oneshot, Notify},
    task::{JoinHandle, JoinSet},
};
use tower::ServiceExt;

use crate::{
    account::{write_atomically, Caller, Member, Members},
    api::{Api, ApiError},
    ca::Ca,
    catalog, cbr,
    derived::Derived,
    faults::{FaultAction, FaultSpec, Faults},
    iam, iam_policy, iam_roles, jump, kms, lifecycle,
    postgres::Postgres,
    rc, routing,
    store::Store,
    tagging, vpc, SandboxAccount,
};

#[derive(Debug, Clone)]
pub struct SandboxConfig {
    /// Must be a loopback address; port 0 picks a free one.
    pub listen: SocketAddr,
    pub state_dir: PathBuf,
    /// Use this API key instead of the stored or generated one.
    pub api_key: Option<String>,
    /// Lifetime of the tokens it issues (IAM's is 3600 s).
    pub token_seconds: u64,
    /// How long a database takes to provision (the real service: 15–20 minutes). Setting
    /// up the real PostgreSQL behind it takes a second or two on top when this is shorter.
    pub provision_seconds: f64,
    /// Faults to inject from the start (see [`FaultSpec`]).
    pub faults: FaultSpec,
    /// The account still uses Logs Routing v1 (`--logs-routing-v1`): its settings say
    /// `api_version: 1` and cannot be switched to 3, the v1 tenants work, and v3 targets
    /// and routes cannot be changed (contract logs-router.md §5).
    pub logs_routing_v1: bool,
}

impl SandboxConfig {
    pub fn new(state_dir: impl Into<PathBuf>) -> Self {
        SandboxConfig {
            listen: SocketAddr::from(([127, 0, 0, 1], 0)),
            state_dir: state_dir.into(),
            api_key: None,
            token_seconds: 3600,
            provision_seconds: 30.0,
            faults: FaultSpec::default(),
            logs_routing_v1: false,
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum SandboxError {
    #[error("the sandbox only listens on loopback, not on {0}")]
    NotLoopback(SocketAddr),
    #[error("sandbox state dir {path}: {source}")]
    State {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        addr: SocketAddr,
        source: std::io::Error,
    },
    #[error("the sandbox state dir {path} is in use by another sandbox ({holder}); stop it, or give this one another --state-dir")]
    InUse { path: PathBuf, holder: String },
}

pub(crate) struct AppState {
    pub account: SandboxAccount,
    /// The account's other users, each with an API key of their own.
    pub members: Members,
    /// `http://127.0.0.1:PORT`, no trailing slash.
    pub base_url: String,
    pub token_seconds: u64,
    pub provision_seconds: f64,
    pub state_dir: PathBuf,
    pub store: Store,
    pub faults: Faults,
    /// See [`SandboxConfig::logs_routing_v1`].
    pub logs_routing_v1: bool,
    pub ca: Ca,
    /// `None` when the machine has no PostgreSQL: databases then fail to provision, with
    /// the reason in `last_operation`.
    pub postgres: Option<Postgres>,
    pub jump_hosts: jump::JumpHosts,
    tasks: Mutex<Vec<JoinHandle<()>>>,
    /// The databases whose servers this sandbox started: the only ones it stops.
    pub started: Mutex<std::collections::HashSet<String>>,
    /// Service credentials' passwords, made again on each read instead of stored.
    pub derived: Derived,
    /// Members' read access to instances (all, unless the owner took some away).
    pub access: crate::access::Access,
    /// The API calls answered, for counting (see [`crate::requests`]).
    pub requests: crate::requests::RequestLog,
    /// Held while the sandbox runs (one sandbox per state dir); `stop` lets go of it last.
    lock: Mutex<Option<std::fs::File>>,
}

impl AppState {
    /// A service credential's password: kept in older state, derived since.
    pub(crate) fn key_password(&self, key: &crate::store::ResourceKey) -> String {
        if key.password.is_empty() {
            self.derived.password("resource-key", &key.guid)
        } else {
            key.password.clone()
        }
    }

    /// Notes that this sandbox started the database's server (so it stops it at the end).
    pub(crate) fn mark_started(&self, guid: &str) {
        self.started
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(guid.to_owned());
    }

    pub(crate) fn provision_ms(&self) -> u64 {
        (self.provision_seconds.max(0.0) * 1000.0) as u64
    }

    /// What `last_operation.poll_after` advises: a tenth of the provisioning time, 1–30 s.
    pub(crate) fn poll_after_seconds(&self) -> u64 {
        ((self.provision_seconds / 10.0).ceil() as u64).clamp(1, 30)
    }

    pub(crate) fn instance_dir(&self, guid: &str) -> PathBuf {
        self.state_dir.join("instances").join(guid)
    }

    pub(crate) fn track(&self, task: JoinHandle<()>) {
        let mut tasks = self.tasks.lock().unwrap_or_else(|e| e.into_inner());
        tasks.retain(|t| !t.is_finished());
        tasks.push(task);
    }
}

/// A sandbox serving in the background; [`RunningSandbox::stop`] stops it and the servers
/// behind its resources. Dropping it stops the listener only.
pub struct RunningSandbox {
    addr: SocketAddr,
    state: Arc<AppState>,
    /// Whether the owner's key was made at this start (nobody else knows it yet).
    made_api_key: bool,
    endpoints_path: PathBuf,
    shutdown: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<()>>,
}

impl std::fmt::Debug for RunningSandbox {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RunningSandbox")
            .field("addr", &self.addr)
            .field("account", &self.state.account)
            .finish()
    }
}

/// Marks a request's connection so the `reset` fault can close it without an answer.
#[derive(Clone)]
pub(crate) struct ConnectionAbort(Arc<Notify>);

impl RunningSandbox {
    /// Binds, restarts what the state dir holds, writes `endpoints.json` and starts serving
    /// on the current Tokio runtime.
    pub async fn start(config: SandboxConfig) -> Result<Self, SandboxError> {
        if !config.listen.ip().is_loopback() {
            return Err(SandboxError::NotLoopback(config.listen));
        }
        let state_err = |source| SandboxError::State {
            path: config.state_dir.clone(),
            source,
        };
        std::fs::create_dir_all(&config.state_dir).map_err(state_err)?;
        let lock = lock_state_dir(&config.state_dir)?;
        let (account, members, made_api_key) =
            SandboxAccount::load_or_create(&config.state_dir, config.api_key.as_deref())
                .map_err(state_err)?;
        let derived = Derived::new(&account.signing_secret);
        let store = Store::load(&config.state_dir).map_err(state_err)?;
        let ca = Ca::load_or_create(&config.state_dir).map_err(state_err)?;
        let postgres = match Postgres::locate(derived.clone()) {
            Ok(pg) => Some(pg),
            Err(error) => {
                tracing::warn!(%error, "databases will fail to provision");
                None
            }
        };
        let listener =
            TcpListener::bind(config.listen)
                .await
                .map_err(|source| SandboxError::Bind {
                    addr: config.listen,
                    source,
                })?;
        let addr = listener.local_addr().map_err(|source| SandboxError::Bind {
            addr: config.listen,
            source,
        })?;
        let base_url = format!("http://{addr}");
        let state = Arc::new(AppState {
            account,
            members,
            base_url: base_url.clone(),
            token_seconds: config.token_seconds,
            provision_seconds: config.provision_seconds,
            state_dir: config.state_dir.clone(),
            store,
            faults: Faults::new(config.faults.clone()),
            logs_routing_v1: config.logs_routing_v1,
            ca,
            postgres,
            jump_hosts: jump::JumpHosts::default(),
            tasks: Mutex::new(Vec::new()),
            started: Mutex::new(std::collections::HashSet::new()),
            access: crate::access::Access::default(),
            requests: crate::requests::RequestLog::default(),
            derived,
            lock: Mutex::new(Some(lock)),
        });
        rc::seed_groups(&state);
        kms::seed(&state);
        lifecycle::resume(&state).await;
        jump::resume(&state).await;

        let endpoints_path = config.state_dir.join("endpoints.json");
        write_endpoints(&endpoints_path, &base_url, &state).map_err(state_err)?;

        let app = router(state.clone());
        let (shutdown, stopped) = oneshot::channel::<()>();
        let task = tokio::spawn(serve(listener, app, stopped));
        tracing::info!(%addr, "sandbox listening");
        Ok(RunningSandbox {
            addr,
            state,
            made_api_key,
            endpoints_path,
            shutdown: Some(shutdown),
            task: Some(task),
        })
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The account; its `api_key` is the owner's key for this run.
    pub fn account(&self) -> &SandboxAccount {
        &self.state.account
    }

    /// Whether the owner's API key was made at this start (no `api_key` was given): then
    /// only this process knows it, and should hand it to whoever needs it.
    pub fn made_api_key(&self) -> bool {
        self.made_api_key
    }

    pub fn endpoints_path(&self) -> &Path {
        &self.endpoints_path
    }

    /// The IAM base URL, as IBM's SDKs take it for their authenticator.
    pub fn iam_url(&self) -> String {
        format!("http://{}/iam", self.addr)
    }

    /// The sandbox CA's certificate (PEM) that the databases' certificates chain to.
    pub fn ca_pem(&self) -> &str {
        self.state.ca.pem()
    }

    /// Every virtual address and the loopback socket behind it.
    pub fn addresses(&self) -> Vec<crate::MappedAddress> {
        crate::addresses::all(&self.state)
    }

    /// Adds a user to the sandbox's account: the same account id, an `iam_id`, name and API
    /// key of their own. Their tokens make them the creator of what they create. Saved in
    /// `state.json` before it returns.
    pub fn add_member(&self, name: Option<&str>) -> Result<Member, SandboxError> {
        self.state
            .members
            .add(name)
            .map_err(|source| SandboxError::State {
                path: self.state.state_dir.clone(),
                source,
            })
    }

    /// Gives the member `iam_id` its read access to the instance `guid` back, or takes it
    /// away (as `PUT /sandbox/access` does).
    pub fn set_read_access(&self, iam_id: &str, guid: &str, read: bool) {
        self.state
            .access
            .set(iam_id.to_owned(), guid.to_owned(), read);
    }

    /// The account's members, in the order they were added.
    pub fn members(&self) -> Vec<Member> {
        self.state.members.all()
    }

    /// Replaces the faults in force.
    pub fn set_faults(&self, spec: FaultSpec) {
        self.state.faults.replace(spec);
    }

    /// The API calls answered so far (the newest 50 000), oldest first.
    pub fn requests(&self) -> Vec<crate::RequestRecord> {
        self.state.requests.all()
    }

    /// Forgets the calls recorded so far.
    pub fn clear_requests(&self) {
        self.state.requests.clear();
    }

    /// How many requests the faults in force have failed (latency aside) since they were set.
    pub fn faults_injected(&self) -> u64 {
        self.state.faults.injected()
    }

    /// Stops serving, the background work, the jump hosts and every database server.
    pub async fn stop(mut self) {
        if let Some(shutdown) = self.shutdown.take() {
            let _ = shutdown.send(());
        }
        if let Some(task) = self.task.take() {
            let _ = task.await;
        }
        let tasks: Vec<_> = self
            .state
            .tasks
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .drain(..)
            .collect();
        for task in tasks {
            task.abort();
            let _ = task.await;
        }
        jump::stop_all(&self.state).await;
        lifecycle::stop_all(&self.state).await;
        // Now, not when the last connection task lets go of the state: a sandbox started on
        // this dir right after `stop` must not find it in use.
        drop(
            self.state
                .lock
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .take(),
        );
    }
}

impl Drop for RunningSandbox {
    fn drop(&mut self) {
        if let Some(shutdown) = self.shutdown.take() {
            let _ = shutdown.send(());
        }
    }
}

/// One task per connection, so that the `reset` fault can drop a connection mid-request.
async fn serve(listener: TcpListener, app: Router, mut stopped: oneshot::Receiver<()>) {
    let mut connections = JoinSet::new();
    loop {
        let (stream, peer) = tokio::select! {
            _ = &mut stopped => break,
            accepted = listener.accept() => match accepted {
                Ok(pair) => pair,
                Err(error) => {
                    tracing::warn!(%error, "accept failed");
                    continue;
                }
            },
        };
        if !peer.ip().is_loopback() {
            // Unreachable while we listen on loopback; kept as a second lock on the door.
            continue;
        }
        let abort = Arc::new(Notify::new());
        let app = app.clone();
        connections.spawn(async move {
            let marker = ConnectionAbort(abort.clone());
            let service =
                hyper::service::service_fn(move |mut request: Request<hyper::body::Incoming>| {
                    request.extensions_mut().insert(marker.clone());
                    let app = app.clone();
                    async move {
                        Ok::<_, Infallible>(
                            app.oneshot(request.map(axum::body::Body::new))
                                .await
                                .into_response(),
                        )
                    }
                });
            let connection = hyper::server::conn::http1::Builder::new()
                .serve_connection(TokioIo::new(stream), service);
            tokio::select! {
                _ = connection => {}
                _ = abort.notified() => {}
            }
        });
        while connections.try_join_next().is_some() {}
    }
    connections.abort_all();
}

/// Takes the state dir's lock (`sandbox.lock`), or says which process holds it: a second
/// sandbox on one state dir would stop the first one's database servers and race its writes.
fn lock_state_dir(dir: &Path) -> Result<std::fs::File, SandboxError> {
    use std::io::{Seek, Write};
    let path = dir.join("sandbox.lock");
    let state_err = |source| SandboxError::State {
        path: path.clone(),
        source,
    };
    let mut file = std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .read(true)
        .write(true)
        .open(&path)
        .map_err(state_err)?;
    match file.try_lock() {
        Ok(()) => {
            file.set_len(0).map_err(state_err)?;
            file.rewind().map_err(state_err)?;
            write!(file, "process {}", std::process::id()).map_err(state_err)?;
            Ok(file)
        }
        Err(std::fs::TryLockError::WouldBlock) => Err(SandboxError::InUse {
            path: dir.to_owned(),
            holder: std::fs::read_to_string(&path).unwrap_or_else(|_| "another process".into()),
        }),
        Err(std::fs::TryLockError::Error(source)) => Err(state_err(source)),
    }
}

fn router(state: Arc<AppState>) -> Router {
    let iam = Router::new()
        .route("/iam/identity/token", post(iam::token))
        .route("/iam/v1/apikeys/details", get(iam_policy::apikey_details))
        .route(
            "/iam/v1/policies",
            post(iam_policy::create_policy).get(iam_policy::list_policies),
        )
        .route(
            "/iam/v1/policies/{id}",
            get(iam_policy::get_policy).delete(iam_policy::delete_policy),
        )
        .route("/iam/v2/roles", get(iam_roles::list_roles));
    let rc = Router::new()
        .route(
            "/rc/v2/resource_groups",
            get(rc::list_groups).post(rc::create_group),
        )
        .route("/rc/v2/resource_groups/{id}", get(rc::get_group))
        .route(
            "/rc/v2/resource_instances",
            get(rc::list_instances).post(rc::create_instance),
        )
        .route(
            "/rc/v2/resource_instances/{id}",
            get(rc::get_instance)
                .delete(rc::delete_instance)
                .patch(rc::update_instance),
        )
        .route(
            "/rc/v2/resource_instances/{id}/resource_keys",
            get(rc::list_instance_keys),
        )
        .route(
            "/rc/v2/resource_keys",
            get(rc::list_keys).post(rc::create_key),
        )
        .route(
            "/rc/v2/resource_keys/{id}",
            get(rc::get_key).delete(rc::delete_key),
        );
    let gc = Router::new()
        .route("/gc/api/v1", get(catalog::search))
        .route("/gc/api/v1/", get(catalog::search))
        .route("/gc/api/v1/{id}", get(catalog::get_entry))
        .route("/gc/api/v1/{id}/{kind}", get(catalog::children));
    let cbr = Router::new()
        .route("/cbr/v1/zones", get(cbr::list_zones).post(cbr::create_zone))
        .route(
            "/cbr/v1/zones/{id}",
            get(cbr::get_zone)
                .put(cbr::replace_zone)
                .delete(cbr::delete_zone),
        )
        .route("/cbr/v1/rules", get(cbr::list_rules).post(cbr::create_rule))
        .route(
            "/cbr/v1/rules/{id}",
            get(cbr::get_rule)
                .put(cbr::replace_rule)
                .delete(cbr::delete_rule),
        );
    let kms = Router::new()
        .route(
            "/kms/{region}/api/v2/keys",
            get(kms::list_keys).post(kms::create_key),
        )
        .route("/kms/{region}/api/v2/keys/{id}", get(kms::get_key));
    let v = "/vpc/{region}/v1";
    let vpc = Router::new()
        .route(&format!("{v}/regions"), get(vpc::list_regions))
        .route(&format!("{v}/regions/{{name}}"), get(vpc::get_region))
        .route(&format!("{v}/regions/{{name}}/zones"), get(vpc::list_zones))
        .route(
            &format!("{v}/vpcs"),
            get(vpc::list_vpcs).post(vpc::create_vpc),
        )
        .route(
            &format!("{v}/vpcs/{{id}}"),
            get(vpc::get_vpc).delete(vpc::delete_vpc),
        )
        .route(
            &format!("{v}/vpcs/{{id}}/default_security_group"),
            get(vpc::default_security_group),
        )
        .route(
            &format!("{v}/subnets"),
            get(vpc::list_subnets).post(vpc::create_subnet),
        )
        .route(
            &format!("{v}/subnets/{{id}}"),
            get(vpc::get_subnet).delete(vpc::delete_subnet),
        )
        .route(
            &format!("{v}/subnets/{{id}}/reserved_ips"),
            get(vpc::list_reserved_ips),
        )
        .route(
            &format!("{v}/subnets/{{id}}/reserved_ips/{{ip}}"),
            get(vpc::get_reserved_ip),
        )
        .route(
            &format!("{v}/keys"),
            get(vpc::list_keys).post(vpc::create_key),
        )
        .route(
            &format!("{v}/keys/{{id}}"),
            get(vpc::get_key).delete(vpc::delete_key),
        )
        .route(&format!("{v}/images"), get(vpc::list_images))
        .route(&format!("{v}/images/{{id}}"), get(vpc::get_image))
        .route(&format!("{v}/instance/profiles"), get(vpc::list_profiles))
        .route(
            &format!("{v}/instance/profiles/{{name}}"),
            get(vpc::get_profile),
        )
        .route(
            &format!("{v}/instances"),
            get(vpc::list_instances_public).post(vpc::create_instance),
        )
        .route(
            &format!("{v}/instances/{{id}}"),
            get(vpc::get_instance_public).delete(vpc::delete_instance),
        )
        .route(
            &format!("{v}/instances/{{id}}/network_interfaces"),
            get(vpc::list_network_interfaces),
        )
        .route(
            &format!("{v}/instances/{{id}}/network_interfaces/{{nic}}"),
            get(vpc::get_network_interface),
        )
        .route(
            &format!("{v}/instances/{{id}}/network_interfaces/{{nic}}/floating_ips/{{fip}}"),
            put(vpc::bind_floating_ip).delete(vpc::unbind_floating_ip),
        )
        .route(
            &format!("{v}/floating_ips"),
            get(vpc::list_floating_ips).post(vpc::create_floating_ip),
        )
        .route(
            &format!("{v}/floating_ips/{{id}}"),
            get(vpc::get_floating_ip).delete(vpc::delete_floating_ip),
        )
        .route(
            &format!("{v}/security_groups"),
            get(vpc::list_security_groups),
        )
        .route(
            &format!("{v}/security_groups/{{id}}"),
            get(vpc::get_security_group),
        )
        .route(
            &format!("{v}/security_groups/{{id}}/rules"),
            get(vpc::list_rules).post(vpc::create_rule),
        )
        .route(
            &format!("{v}/security_groups/{{id}}/rules/{{rule}}"),
            get(vpc::get_rule).delete(vpc::delete_rule),
        )
        .route(
            &format!("{v}/endpoint_gateways"),
            get(vpc::list_endpoint_gateways).post(vpc::create_endpoint_gateway),
        )
        .route(
            &format!("{v}/endpoint_gateways/{{id}}"),
            get(vpc::get_endpoint_gateway).delete(vpc::delete_endpoint_gateway),
        )
        .route(
            &format!("{v}/endpoint_gateways/{{id}}/ips"),
            get(vpc::list_endpoint_gateway_ips),
        )
        .route_layer(middleware::from_fn(vpc::check_query));
    let tags = Router::new()
        .route("/tags/v3/tags", get(tagging::list_tags))
        .route("/tags/v3/tags/attach", post(tagging::attach_tags))
        .route("/tags/v3/tags/detach", post(tagging::detach_tags));
    let search = Router::new().route("/search/v3/resources/search", post(tagging::search));
    let mr = "/metrics-router/{region}/api/v3";
    let metrics_router = {
        use routing::metrics::*;
        Router::new()
            .route(
                &format!("{mr}/targets"),
                get(list_targets).post(create_target),
            )
            .route(
                &format!("{mr}/targets/{{id}}"),
                get(get_target).patch(update_target).delete(delete_target),
            )
            .route(&format!("{mr}/routes"), get(list_routes).post(create_route))
            .route(
                &format!("{mr}/routes/{{id}}"),
                get(get_route).patch(update_route).delete(delete_route),
            )
            .route(
                &format!("{mr}/settings"),
                get(get_settings).patch(update_settings),
            )
    };
    let at = "/atracker/{region}/api/v2";
    let atracker = {
        use routing::atracker::*;
        Router::new()
            .route(
                &format!("{at}/targets"),
                get(list_targets).post(create_target),
            )
            .route(
                &format!("{at}/targets/{{id}}"),
                get(get_target).put(replace_target).delete(delete_target),
            )
            .route(
                &format!("{at}/targets/{{id}}/validate"),
                post(validate_target),
            )
            .route(&format!("{at}/routes"), get(list_routes).post(create_route))
            .route(
                &format!("{at}/routes/{{id}}"),
                get(get_route).put(replace_route).delete(delete_route),
            )
            .route(
                &format!("{at}/settings"),
                get(get_settings).put(put_settings),
            )
    };
    let lr = "/logs-router/{region}/v3";
    let logs_router = {
        use routing::logs::*;
        Router::new()
            .route(
                &format!("{lr}/targets"),
                get(list_targets).post(create_target),
            )
            .route(
                &format!("{lr}/targets/{{id}}"),
                get(get_target).patch(update_target).delete(delete_target),
            )
            .route(&format!("{lr}/routes"), get(list_routes).post(create_route))
            .route(
                &format!("{lr}/routes/{{id}}"),
                get(get_route).patch(update_route).delete(delete_route),
            )
            .route(
                &format!("{lr}/settings"),
                get(get_settings).patch(update_settings),
            )
            .route(&format!("{lr}/migrate"), get(get_migration))
    };
    let v1 = "/logs-router/{region}/v1";
    let logs_router_v1 = {
        use routing::logs_v1::*;
        Router::new()
            .route(
                &format!("{v1}/tenants"),
                get(list_tenants).post(create_tenant),
            )
            .route(
                &format!("{v1}/tenants/{{id}}"),
                get(get_tenant).patch(update_tenant).delete(delete_tenant),
            )
            .route(
                &format!("{v1}/tenants/{{id}}/targets"),
                get(list_targets).post(create_target),
            )
            .route(
                &format!("{v1}/tenants/{{id}}/targets/{{target}}"),
                get(get_target).patch(update_target).delete(delete_target),
            )
    };
    let sandbox = Router::new()
        .route("/sandbox/addresses", get(addresses))
        .route("/sandbox/members", post(add_member))
        .route(
            "/sandbox/access",
            axum::routing::put(crate::access::put_access),
        )
        .route("/sandbox/faults", get(get_faults).put(put_faults))
        .route(
            "/sandbox/requests",
            get(crate::requests::get_requests).delete(crate::requests::clear_requests),
        )
        .route("/sandbox/ca.pem", get(ca_pem));
    Router::new()
        .merge(iam)
        .merge(rc)
        .merge(gc)
        .merge(cbr)
        .merge(kms)
        .merge(vpc)
        .merge(tags)
        .merge(search)
        .merge(metrics_router)
        .merge(atracker)
        .merge(logs_router)
        .merge(logs_router_v1)
        .merge(sandbox)
        .fallback(not_found)
        .layer(middleware::from_fn_with_state(state.clone(), require_token))
        .layer(middleware::from_fn_with_state(state.clone(), inject_faults))
        .layer(middleware::from_fn_with_state(
            state.clone(),
            crate::requests::record,
        ))
        .with_state(state)
}

async fn not_found(request: Request) -> Response {
    let path = request.uri().path().to_owned();
    match Api::for_path(&path) {
        Some(api) => ApiError::new(api, StatusCode::NOT_FOUND, "not_found", format!("No such path: {} {path}", request.method())).into_response(),
        None => (
            StatusCode::NOT_FOUND,
            Json(json!({"error": format!("The sandbox serves /iam, /rc, /gc, /cbr, /kms, /vpc, /tags, /search, /metrics-router, /atracker, /logs-router and /sandbox; not {path}. See endpoints.json.")})),
        )
            .into_response(),
    }
}

/// Every API call but the token exchange and the sandbox's own endpoints needs a valid,
/// unexpired bearer token from this sandbox's IAM. The token's user becomes the request's
/// [`Caller`], which handlers record as the creator of what they make.
async fn require_token(
    State(state): State<Arc<AppState>>,
    mut request: Request,
    next: Next,
) -> Response {
    let path = request.uri().path();
    let Some(api) = Api::for_path(path) else {
        return next.run(request).await;
    };
    if api == Api::IamToken {
        return next.run(request).await;
    }
    let header = request
        .headers()
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let token = header
        .strip_prefix("Bearer ")
        .or_else(|| header.strip_prefix("bearer "));
    let Some(token) = token else {
        return ApiError::unauthorized(api, "no bearer token was sent").into_response();
    };
    let caller = match iam::verify(&state, token.trim()) {
        Ok(claims) => iam::caller(&state, &claims),
        Err(reason) => return ApiError::unauthorized(api, reason).into_response(),
    };
    request.extensions_mut().insert(caller);
    next.run(request).await
}

/// The caller `require_token` found; the account's owner on a route it does not guard.
impl FromRequestParts<Arc<AppState>> for Caller {
    type Rejection = Infallible;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &Arc<AppState>,
    ) -> Result<Self, Self::Rejection> {
        Ok(parts
            .extensions
            .get::<Caller>()
            .cloned()
            .unwrap_or_else(|| Caller {
                iam_id: state.account.iam_id.clone(),
            }))
    }
}

async fn inject_faults(
    State(state): State<Arc<AppState>>,
    request: Request,
    next: Next,
) -> Response {
    let Some(api) = Api::for_path(request.uri().path()) else {
        return next.run(request).await;
    };
    let injection = state
        .faults
        .for_request(api.name(), request.method().as_str());
    if injection.latency_ms > 0 {
        tokio::time::sleep(std::time::Duration::from_millis(injection.latency_ms)).await;
    }
    let note = "(injected by the sandbox's fault spec)";
    match injection.action {
        None | Some(FaultAction::LatencyMs(_)) | Some(FaultAction::ProvisionFail) => {
            next.run(request).await
        }
        Some(FaultAction::Status(code)) => {
            let status = StatusCode::from_u16(code).unwrap_or(StatusCode::SERVICE_UNAVAILABLE);
            let code = match (api, code) {
                (Api::ResourceController | Api::GlobalCatalog, c) => format!("RC-{c}"),
                (_, 500) => "internal_error".into(),
                (_, 502) => "bad_gateway".into(),
                (_, 503) => "service_unavailable".into(),
                (_, 504) => "gateway_timeout".into(),
                (_, c) => format!("error_{c}"),
            };
            let reason = status.canonical_reason().unwrap_or("Error");
            ApiError::new(api, status, code, format!("{reason} {note}")).into_response()
        }
        Some(FaultAction::Throttle(seconds)) => {
            let mut error = ApiError::new(
                api,
                StatusCode::TOO_MANY_REQUESTS,
                if matches!(api, Api::ResourceController | Api::GlobalCatalog) {
                    "RC-TooManyRequests"
                } else {
                    "too_many_requests"
                },
                format!("Too many requests. Please wait a few minutes and try again. {note}"),
            );
            error.retry_after = Some(seconds);
            error.into_response()
        }
        Some(FaultAction::ExpireToken) if api != Api::IamToken => {
            ApiError::unauthorized(api, "expired token").into_response()
        }
        Some(FaultAction::ExpireToken) => next.run(request).await,
        Some(FaultAction::Reset) => {
            if let Some(ConnectionAbort(abort)) =
                request.extensions().get::<ConnectionAbort>().cloned()
            {
                abort.notify_one();
                std::future::pending::<()>().await;
            }
            StatusCode::INTERNAL_SERVER_ERROR.into_response()
        }
        Some(FaultAction::LoseAnswer) => {
            let abort = request.extensions().get::<ConnectionAbort>().cloned();
            // Done for real; only the answer never leaves.
            let _ = next.run(request).await;
            if let Some(ConnectionAbort(abort)) = abort {
                abort.notify_one();
                std::future::pending::<()>().await;
            }
            StatusCode::INTERNAL_SERVER_ERROR.into_response()
        }
    }
}

async fn addresses(State(state): State<Arc<AppState>>) -> Response {
    Json(json!({ "addresses": crate::addresses::all(&state) })).into_response()
}

#[derive(serde::Deserialize, Default)]
struct MemberBody {
    name: Option<String>,
}

/// `POST /sandbox/members {"name"?}`: another user of the account, with its API key. Only
/// the account's owner may ask (a bearer token from its key): the answer is a credential,
/// and the loopback port is open to every user of this machine.
async fn add_member(
    State(state): State<Arc<AppState>>,
    headers: axum::http::HeaderMap,
    body: axum::body::Bytes,
) -> Response {
    if let Err(refused) = crate::access::owner_only(&state, &headers, "add members") {
        return *refused;
    }
    let parsed = if body.iter().all(u8::is_ascii_whitespace) {
        Ok(MemberBody::default())
    } else {
        serde_json::from_slice::<MemberBody>(&body)
            .map_err(|e| format!("expected {{\"name\": \"…\"}} or no body: {e}"))
    };
    let request = match parsed {
        Ok(request) => request,
        Err(message) => {
            return (StatusCode::BAD_REQUEST, Json(json!({ "error": message }))).into_response()
        }
    };
    match state.members.add(request.name.as_deref()) {
        Ok(member) => {
            tracing::info!(iam_id = member.iam_id, "member added");
            (
                StatusCode::CREATED,
                Json(json!({
                    "api_key": member.api_key,
                    "iam_id": member.iam_id,
                    "name": member.name,
                    "email": member.email,
                    "account_id": state.account.account_id,
                })),
            )
                .into_response()
        }
        Err(error) => (
            StatusCode::INTERNAL_SERVER_ERROR,
            Json(json!({ "error": format!("cannot save the member: {error}") })),
        )
            .into_response(),
    }
}

async fn get_faults(State(state): State<Arc<AppState>>) -> Response {
    Json(state.faults.describe()).into_response()
}

#[derive(serde::Deserialize)]
struct FaultsBody {
    spec: String,
}

async fn put_faults(State(state): State<Arc<AppState>>, body: axum::body::Bytes) -> Response {
    let parsed = serde_json::from_slice::<FaultsBody>(&body)
        .map_err(|e| format!("expected {{\"spec\": \"…\"}}: {e}"))
        .and_then(|b| FaultSpec::parse(&b.spec));
    match parsed {
        Ok(spec) => {
            tracing::info!(spec = spec.source, "faults replaced");
            state.faults.replace(spec);
            Json(state.faults.describe()).into_response()
        }
        Err(message) => {
            (StatusCode::BAD_REQUEST, Json(json!({ "error": message }))).into_response()
        }
    }
}

async fn ca_pem(State(state): State<Arc<AppState>>) -> Response {
    (
        [("content-type", "application/x-pem-file")],
        state.ca.pem().to_owned(),
    )
        .into_response()
}

fn write_endpoints(path: &Path, base_url: &str, state: &AppState) -> std::io::Result<()> {
    let regions: serde_json::Map<String, serde_json::Value> = vpc::REGIONS
        .iter()
        .map(|(region, _)| {
            (
                (*region).to_owned(),
                json!({
                    "vpc": format!("{base_url}/vpc/{region}/v1"),
                    "key_protect": format!("{base_url}/kms/{region}"),
                    // As IBM's SDKs take them: Metrics Routing's base ends in `/api/v3`.
                    "metrics_router": format!("{base_url}/metrics-router/{region}/api/v3"),
                    // Activity Tracker's is the bare host: its paths carry `/api/v2`.
                    "atracker": format!("{base_url}/atracker/{region}"),
                    // Logs Routing v3's base ends in `/v3`; the v1 tenants' in `/v1`.
                    "logs_router": format!("{base_url}/logs-router/{region}/v3"),
                    "logs_router_v1": format!("{base_url}/logs-router/{region}/v1"),
                }),
            )
        })
        .collect();
    let endpoints = json!({
        "account_id": state.account.account_id,
        "iam": format!("{base_url}/iam"),
        "resource_controller": format!("{base_url}/rc"),
        "global_catalog": format!("{base_url}/gc/api/v1"),
        "cbr": format!("{base_url}/cbr"),
        // IBM's SDKs append `/v3/tags…` and `/v3/resources/search` to these.
        "global_tagging": format!("{base_url}/tags"),
        "global_search": format!("{base_url}/search"),
        "regions": regions,
        "sandbox": {
            "addresses": format!("{base_url}/sandbox/addresses"),
            "faults": format!("{base_url}/sandbox/faults"),
            "access": format!("{base_url}/sandbox/access"),
            "ca_pem": state.ca.pem_path(),
        },
    });
    write_atomically(
        path,
        &serde_json::to_vec_pretty(&endpoints).map_err(std::io::Error::other)?,
    )
}
