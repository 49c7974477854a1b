//! Starting and stopping the sandbox: bind a loopback port (never anything else), load or
//! create the account, write `endpoints.json`, and serve until told to stop.

use std::{
    net::SocketAddr,
    path::{Path, PathBuf},
    sync::Arc,
};

use axum::{routing::post, Router};
use serde_json::json;
use tokio::{net::TcpListener, sync::oneshot, task::JoinHandle};

use crate::{account::write_atomically, iam, SandboxAccount};

#[derive(Debug, Clone)]
pub struct SandboxConfig {
    /// Must be a loopback address; port 0 picks a free one.
    pub listen: SocketAddr,
    pub state_dir: PathBuf,
    /// Use this API key instead of the stored or generated one.
    pub api_key: Option<String>,
    /// Lifetime of the tokens it issues (IAM's is 3600 s).
    pub token_seconds: u64,
}

impl SandboxConfig {
    pub fn new(state_dir: impl Into<PathBuf>) -> Self {
        SandboxConfig {
            listen: SocketAddr::from(([127, 0, 0, 1], 0)),
            state_dir: state_dir.into(),
            api_key: None,
            token_seconds: 3600,
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
}

pub(crate) struct AppState {
    pub account: SandboxAccount,
    /// `http://127.0.0.1:PORT`, no trailing slash.
    pub base_url: String,
    pub token_seconds: u64,
}

/// A sandbox serving in the background; dropping it (or [`RunningSandbox::stop`]) stops it.
pub struct RunningSandbox {
    addr: SocketAddr,
    account: SandboxAccount,
    endpoints_path: PathBuf,
    shutdown: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<()>>,
}

impl std::fmt::Debug for RunningSandbox {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RunningSandbox")
            .field("addr", &self.addr)
            .field("account", &self.account)
            .finish()
    }
}

impl RunningSandbox {
    /// Binds, writes `endpoints.json` and starts serving on the current Tokio runtime.
    pub async fn start(config: SandboxConfig) -> Result<Self, SandboxError> {
        if !config.listen.ip().is_loopback() {
            return Err(SandboxError::NotLoopback(config.listen));
        }
        let state_err = |source| SandboxError::State {
            path: config.state_dir.clone(),
            source,
        };
        std::fs::create_dir_all(&config.state_dir).map_err(state_err)?;
        let account = SandboxAccount::load_or_create(&config.state_dir, config.api_key.as_deref())
            .map_err(state_err)?;
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

        let endpoints_path = config.state_dir.join("endpoints.json");
        write_endpoints(&endpoints_path, &base_url, &account).map_err(state_err)?;

        let state = Arc::new(AppState {
            account: account.clone(),
            base_url,
            token_seconds: config.token_seconds,
        });
        let app = Router::new()
            .route("/iam/identity/token", post(iam::token))
            .with_state(state);
        let (shutdown, stopped) = oneshot::channel::<()>();
        let task = tokio::spawn(async move {
            let served = axum::serve(listener, app).with_graceful_shutdown(async {
                let _ = stopped.await;
            });
            if let Err(error) = served.await {
                tracing::error!(%error, "sandbox server stopped");
            }
        });
        tracing::info!(%addr, "sandbox listening");
        Ok(RunningSandbox {
            addr,
            account,
            endpoints_path,
            shutdown: Some(shutdown),
            task: Some(task),
        })
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    pub fn account(&self) -> &SandboxAccount {
        &self.account
    }

    pub fn endpoints_path(&self) -> &Path {
        &self.endpoints_path
    }

    /// The IAM base URL, as IBM's SDKs take it for their authenticator.
    pub fn iam_url(&self) -> String {
        format!("http://{}/iam", self.addr)
    }

    /// Stops serving and waits for the server task to end.
    pub async fn stop(mut self) {
        if let Some(shutdown) = self.shutdown.take() {
            let _ = shutdown.send(());
        }
        if let Some(task) = self.task.take() {
            let _ = task.await;
        }
    }
}

impl Drop for RunningSandbox {
    fn drop(&mut self) {
        if let Some(shutdown) = self.shutdown.take() {
            let _ = shutdown.send(());
        }
    }
}

fn write_endpoints(path: &Path, base_url: &str, account: &SandboxAccount) -> std::io::Result<()> {
    let endpoints = json!({
        "account_id": account.account_id,
        "api_key": account.api_key,
        "iam": format!("{base_url}/iam"),
    });
    write_atomically(
        path,
        &serde_json::to_vec_pretty(&endpoints).map_err(std::io::Error::other)?,
    )
}
