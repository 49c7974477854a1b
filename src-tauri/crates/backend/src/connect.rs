//! Connect: the way from the desktop to the private database of an applied plan. An SSH
//! tunnel through the jump VSI (kept open while the app runs, closed on exit or when idle),
//! the connection doctor, the commands to do the same with OpenSSH and `psql`, and a first
//! query. The SSH key and the password are read from the keychain here and never sent to
//! the window.

use std::{
    net::{Ipv4Addr, SocketAddr, TcpListener},
    path::PathBuf,
    time::Duration,
};

use serde::Serialize;
use specta::Type;
use tokio::sync::watch;

use onramp_connect::{
    doctor::{DoctorReport, Stage},
    postgres::{PgSession, PgTarget},
    Tunnel, TunnelConfig, TunnelStatus,
};
use onramp_onboarding::{
    connect::{self, CommandInputs, ConnectCommands, ConnectFiles, QueryResult, Target},
    AppError, ErrorCode,
};

use crate::Backend;

/// How long Onramp's tunnel stays open without a connection through it.
const TUNNEL_IDLE: Duration = Duration::from_secs(15 * 60);
/// Where the OpenSSH tunnel is suggested to listen (the first free port from here).
const OPENSSH_PORT: u16 = 15432;

/// What the Connect step shows: where the database is, the tunnel if open, and the
/// commands to copy. No secret.
#[derive(Debug, Clone, Serialize, Type)]
#[serde(rename_all = "camelCase")]
pub struct ConnectionInfo {
    pub plan_id: String,
    pub plan_name: String,
    /// The private host name TLS verifies.
    pub host_name: String,
    pub database: String,
    /// The Manager credential's user.
    pub user: String,
    pub jump_address: String,
    pub vpe_address: String,
    pub host_key_fingerprint: Option<String>,
    /// True when the plan uses the user's own SSH key (its file must be chosen).
    pub own_key: bool,
    /// Where the generated key is suggested to be saved for OpenSSH.
    pub default_key_file: String,
    pub tunnel: Option<TunnelInfo>,
    /// `psql` through Onramp's tunnel (when it is open).
    pub via_tunnel: Option<ConnectCommands>,
    /// The same with an OpenSSH tunnel instead.
    pub via_openssh: ConnectCommands,
    /// The query the step suggests first.
    pub first_query: String,
}

#[derive(Debug, Clone, Serialize, Type)]
#[serde(rename_all = "camelCase")]
pub struct TunnelInfo {
    pub local_port: u16,
    pub status: TunnelStatus,
}

fn home() -> PathBuf {
    std::env::var_os("HOME").map_or_else(|| PathBuf::from("/"), PathBuf::from)
}

/// `~/x` → `$HOME/x`.
pub(crate) fn expand(path: &str) -> PathBuf {
    match path.strip_prefix("~/") {
        Some(rest) => home().join(rest),
        None => PathBuf::from(path.trim()),
    }
}

struct Loaded {
    target: Target,
    network: onramp_cloud::Network,
}

fn free_port(from: u16, except: Option<u16>) -> u16 {
    (from..from.saturating_add(100))
        .find(|p| Some(*p) != except && TcpListener::bind((Ipv4Addr::LOCALHOST, *p)).is_ok())
        .unwrap_or(from)
}

impl Backend {
    async fn load(
        &self,
        plan_id: &str,
        key_file: Option<&str>,
        need_key: bool,
    ) -> Result<Loaded, AppError> {
        let state = self;
        let session = state.signed_in().await?;
        let js = state.read_journal(plan_id).await?;
        let key_file = key_file.filter(|k| !k.trim().is_empty()).map(expand);
        let target = Target::load(&js, &state.keychain, key_file.as_deref(), need_key).await?;
        let network = state.network(&session).await?;
        Ok(Loaded { target, network })
    }

    async fn jump_socket(&self, loaded: &Loaded) -> Result<SocketAddr, AppError> {
        let state = self;
        loaded
            .network
            .resolve(&state.http, &loaded.target.jump_address, 22)
            .await
            .map_err(|e| {
                AppError::new(
                    ErrorCode::Network,
                    format!(
                        "The jump server {}:22 cannot be reached: {}",
                        loaded.target.jump_address, e.message
                    ),
                )
                .hint("Run the connection doctor to see which hop is broken.")
            })
    }

    /// Where the database is and how to reach it: the tunnel (if open), and the OpenSSH and
    /// `psql` commands. `key_file` is where the user keeps (or will save) the private key.
    pub async fn connection_info(
        &self,
        plan_id: String,
        key_file: Option<String>,
    ) -> Result<ConnectionInfo, AppError> {
        let state = self;
        let loaded = state.load(&plan_id, None, false).await?;
        let files = ConnectFiles::write(&state.data_dir, &loaded.target)?;
        let socket = state.jump_socket(&loaded).await?;
        let tunnel = state.tunnels.info(&plan_id).await;
        let default_key_file = connect::default_key_file(&home(), &plan_id);
        let key_file = key_file
            .filter(|k| !k.trim().is_empty())
            .map(|k| expand(&k))
            .unwrap_or_else(|| default_key_file.clone());
        let t = &loaded.target;
        let via_tunnel = tunnel.as_ref().map(|open| {
            connect::commands(&CommandInputs {
                target: t,
                files: &files,
                jump_socket: socket,
                local_port: open.local_port,
                key_file: None,
            })
        });
        let via_openssh = connect::commands(&CommandInputs {
            target: t,
            files: &files,
            jump_socket: socket,
            local_port: free_port(OPENSSH_PORT, tunnel.as_ref().map(|o| o.local_port)),
            key_file: Some(&key_file),
        });
        let journal = state.read_journal(&plan_id).await?;
        Ok(ConnectionInfo {
            plan_id: plan_id.clone(),
            plan_name: journal.plan.name.clone(),
            host_name: t.host_name.clone(),
            database: t.credential.database.clone(),
            user: t.credential.username.clone(),
            jump_address: t.jump_address.clone(),
            vpe_address: t.vpe_address.clone(),
            host_key_fingerprint: t.path.host_key_fingerprint.clone(),
            own_key: t.path.ssh_key_entry.is_none(),
            default_key_file: default_key_file.to_string_lossy().into_owned(),
            tunnel,
            via_tunnel,
            via_openssh,
            first_query: connect::FIRST_QUERY.to_owned(),
        })
    }

    /// Saves the SSH key Onramp generated for the plan to `path` (0600), for OpenSSH. Returns
    /// the full path written.
    pub async fn save_ssh_key(&self, plan_id: String, path: String) -> Result<String, AppError> {
        let loaded = self.load(&plan_id, None, true).await?;
        if loaded.target.path.ssh_key_entry.is_none() {
            return Err(AppError::new(
                ErrorCode::InvalidInput,
                "This plan uses your own SSH key; Onramp has no copy of it to save.",
            ));
        }
        let file = expand(&path);
        connect::save_private_key(&file, &loaded.target.private_key)?;
        tracing::info!(file = %file.display(), "SSH key saved for OpenSSH");
        Ok(file.to_string_lossy().into_owned())
    }

    /// Opens the plan's tunnel (unless one is open) and keeps it in the registry; returns it
    /// as the Connect step shows it.
    async fn ensure_tunnel(&self, plan_id: &str, loaded: &Loaded) -> Result<TunnelInfo, AppError> {
        let state = self;
        if let Some(open) = state.tunnels.info(plan_id).await {
            return Ok(open);
        }
        let jump = state.jump_socket(loaded).await?;
        let t = &loaded.target;
        let tunnel = Tunnel::open(TunnelConfig {
            jump,
            user: t.path.ssh_user.clone(),
            private_key: t.private_key.clone(),
            host_key: t.host_key.clone(),
            target_host: t.vpe_address.clone(),
            target_port: 5432,
            idle_timeout: TUNNEL_IDLE,
        })
        .await
        .map_err(|e| {
            AppError::new(
                ErrorCode::Network,
                format!("The tunnel could not open: {e}."),
            )
            .hint(e.fix())
        })?;
        if let Err(e) = tunnel.check_target().await {
            tunnel.close().await;
            return Err(
                AppError::new(ErrorCode::Network, format!("The tunnel opened, but {e}."))
                    .hint(e.fix()),
            );
        }
        let info = TunnelInfo {
            local_port: tunnel.local_addr().port(),
            status: tunnel.status().borrow().clone(),
        };
        tracing::info!(plan = %plan_id, port = info.local_port, "tunnel open");
        state.tunnels.insert(plan_id, tunnel).await;
        Ok(info)
    }

    /// A session as the plan's Manager credential through its tunnel (opened if closed).
    pub(crate) async fn manager_session(
        &self,
        plan_id: &str,
        key_file: Option<&str>,
    ) -> Result<PgSession, AppError> {
        let loaded = self.load(plan_id, key_file, true).await?;
        let open = self.ensure_tunnel(plan_id, &loaded).await?;
        let t = &loaded.target;
        PgSession::connect(
            SocketAddr::from(([127, 0, 0, 1], open.local_port)),
            &PgTarget {
                host_name: t.host_name.clone(),
                database: t.credential.database.clone(),
                user: t.credential.username.clone(),
                password: t.credential.password.clone(),
                ca_pem: t.credential.ca_pem.clone(),
            },
        )
        .await
        .map_err(|e| {
            AppError::new(ErrorCode::Network, format!("{e}.")).hint(format!(
                "{} The connection doctor in the Connect step shows which hop is down.",
                e.fix()
            ))
        })
    }

    /// Opens (or rejoins) the plan's tunnel; answers where it listens, and its status as it
    /// changes.
    pub async fn open_tunnel(
        &self,
        plan_id: String,
        key_file: Option<String>,
    ) -> Result<(TunnelInfo, Option<watch::Receiver<TunnelStatus>>), AppError> {
        let info = match self.tunnels.info(&plan_id).await {
            Some(open) => open,
            None => {
                let loaded = self.load(&plan_id, key_file.as_deref(), true).await?;
                self.ensure_tunnel(&plan_id, &loaded).await?
            }
        };
        Ok((info, self.tunnels.status(&plan_id).await))
    }

    /// Closes the plan's tunnel (nothing to do when none is open).
    pub async fn close_tunnel(&self, plan_id: String) -> Result<(), AppError> {
        if self.tunnels.close(&plan_id).await {
            tracing::info!(plan = %plan_id, "tunnel closed");
        }
        Ok(())
    }

    /// Checks the way to the database hop by hop (DNS, TCP through the jump server, TLS with
    /// verify-full, login, `SELECT 1`), sending each stage to `on_stage` as it starts and ends.
    pub async fn run_doctor(
        &self,
        plan_id: String,
        key_file: Option<String>,
        on_stage: impl Fn(&Stage),
    ) -> Result<DoctorReport, AppError> {
        let state = self;
        let loaded = state.load(&plan_id, key_file.as_deref(), true).await?;
        let session = state.signed_in().await?;
        let journal = state.read_journal(&plan_id).await?;
        let input = loaded
            .target
            .doctor_input(loaded.network, state.http.clone());
        let report =
            connect::run_doctor(&session.cloud(&state.http), &journal, &input, on_stage).await;
        tracing::info!(plan = %plan_id, passed = report.passed(), "connection doctor");
        Ok(report)
    }

    /// Runs `sql` as the Manager credential through the plan's tunnel (opened if needed) and
    /// returns the last result set as text.
    pub async fn run_query(
        &self,
        plan_id: String,
        key_file: Option<String>,
        sql: String,
    ) -> Result<QueryResult, AppError> {
        let state = self;
        let session = state.manager_session(&plan_id, key_file.as_deref()).await?;
        let stop = tokio_util::sync::CancellationToken::new();
        state
            .queries
            .lock()
            .await
            .insert(plan_id.clone(), stop.clone());
        let result = connect::run_query(&session, &sql, &stop).await;
        state.queries.lock().await.remove(&plan_id);
        result
    }

    /// Stops the query running for the plan, if one is (PostgreSQL's cancel request).
    pub async fn cancel_query(&self, plan_id: String) -> Result<(), AppError> {
        if let Some(stop) = self.queries.lock().await.get(&plan_id) {
            stop.cancel();
        }
        Ok(())
    }
}
