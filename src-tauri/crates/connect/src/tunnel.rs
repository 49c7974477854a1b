//! The SSH tunnel from the desktop through the jump VSI to the database's private endpoint:
//! what `ssh -N -L <port>:<VPE ip>:5432 root@<floating ip>` does, in-process, with the
//! server's host key pinned in advance (no trust-on-first-use) and the local end on
//! 127.0.0.1 only.
//!
//! One SSH session carries every local connection, each on its own `direct-tcpip` channel.
//! A session that dropped is re-established by the next local connection (a few attempts,
//! then the tunnel closes with the reason); with no local connection for the idle limit the
//! tunnel closes by itself.

use std::{
    borrow::Cow,
    net::{IpAddr, Ipv4Addr, SocketAddr},
    sync::{
        atomic::{AtomicUsize, Ordering},
        Arc, Mutex as StdMutex,
    },
    time::Duration,
};

use onramp_secrets::Sensitive;
use russh::{
    client::{self, AuthResult, Handle},
    keys::{PrivateKey, PrivateKeyWithHashAlg, PublicKey},
    ChannelOpenFailure, Disconnect,
};
use serde::Serialize;
use tokio::{
    net::{TcpListener, TcpStream},
    sync::{watch, Mutex},
    time::Instant,
};
use tokio_util::{sync::CancellationToken, task::TaskTracker};
use tracing::{debug, info, warn};

use crate::keys::{fingerprint, parse_public_line};

/// How long the jump's TCP port may take to accept.
const TCP_TIMEOUT: Duration = Duration::from_secs(10);
/// How long the SSH handshake and login may take.
const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(20);
/// How long the jump host may take to open a channel to the target.
const CHANNEL_TIMEOUT: Duration = Duration::from_secs(15);
/// Attempts to re-establish a dropped session, and the pause before each retry.
const RECONNECT_BACKOFF: [Duration; 3] = [
    Duration::ZERO,
    Duration::from_millis(500),
    Duration::from_millis(1500),
];

/// What the tunnel needs. The private key is the text of an OpenSSH private key (from the
/// keychain); `host_key` is the public line Onramp generated for the VSI (see
/// [`crate::keys::generate_host_key`]).
#[derive(Debug, Clone)]
pub struct TunnelConfig {
    /// The jump VSI's SSH socket (its floating IP and port 22, or in the sandbox the
    /// loopback socket the address map names for it).
    pub jump: SocketAddr,
    pub user: String,
    pub private_key: Sensitive<String>,
    pub host_key: String,
    /// Where the jump VSI forwards to: the VPE's reserved IP (or the private host name).
    pub target_host: String,
    pub target_port: u16,
    /// The tunnel closes after this long without any local connection.
    pub idle_timeout: Duration,
}

/// Where the tunnel is. `Closed` is final.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, specta::Type)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum TunnelStatus {
    Connecting,
    Open,
    Reconnecting,
    Closed { reason: CloseReason },
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, specta::Type)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum CloseReason {
    /// [`Tunnel::close`] was called (or the tunnel was dropped).
    ByUser,
    /// No local connection for the idle limit.
    Idle,
    /// The SSH session dropped and could not be re-established.
    Lost { message: String },
}

/// Why the tunnel could not open, or a connection through it failed. Each says what to do.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TunnelError {
    #[error("the SSH private key cannot be read: {reason}")]
    InvalidPrivateKey { reason: String },
    #[error("the pinned host key is not an OpenSSH public key line: {reason}")]
    InvalidHostKey { reason: String },
    #[error("the jump server at {addr} cannot be reached over TCP: {reason}")]
    JumpUnreachable { addr: SocketAddr, reason: String },
    #[error("the SSH handshake with {addr} failed: {reason}")]
    Handshake { addr: SocketAddr, reason: String },
    #[error("the jump server presented host key {presented}, but the key Onramp installed on it is {expected}")]
    HostKeyMismatch { expected: String, presented: String },
    #[error("the jump server refused the SSH key {key} for user {user}")]
    AuthRefused { user: String, key: String },
    #[error("the jump server could not open a connection to {target}: {reason}")]
    ChannelRefused { target: String, reason: String },
    #[error("cannot listen on 127.0.0.1: {reason}")]
    Bind { reason: String },
    #[error("the tunnel is closed")]
    Closed,
}

impl TunnelError {
    /// What the user can do about it.
    pub fn fix(&self) -> String {
        match self {
            TunnelError::InvalidPrivateKey { .. } => "Use the private key Onramp generated for this VSI (stored in the keychain), unencrypted OpenSSH format.".into(),
            TunnelError::InvalidHostKey { .. } => "Pin the host key line Onramp generated with the VSI's user_data (\"ssh-ed25519 AAAA...\").".into(),
            TunnelError::JumpUnreachable { .. } => "Check that the floating IP is bound to the jump VSI's network interface, that the VSI is running, and that its security group allows inbound TCP 22 from your address.".into(),
            TunnelError::Handshake { .. } => "Check that port 22 of the floating IP is the jump VSI's SSH server (sshd running, not blocked by a proxy), then retry.".into(),
            TunnelError::HostKeyMismatch { .. } => "Do not connect: this is not the server Onramp created, or its host key was replaced. Recreate the jump VSI with Onramp's user_data (which installs the pinned host key), or check that the floating IP points at the right VSI.".into(),
            TunnelError::AuthRefused { .. } => "Use the private key whose public half was registered (VPC SSH keys) and given to this VSI when it was created; a key added later is not installed on the VSI.".into(),
            TunnelError::ChannelRefused { .. } => "The jump VSI cannot reach the database's private endpoint: check that the VPE (endpoint gateway) to the database exists in the VSI's VPC and is stable, that the tunnel targets its reserved IP on port 5432, and that a security group rule allows TCP 5432 from the VSI's subnet to the VPE.".into(),
            TunnelError::Bind { .. } => "Free a local port (or close other tunnels) and retry.".into(),
            TunnelError::Closed => "Open the tunnel again.".into(),
        }
    }
}

/// An open tunnel. Dropping it closes it too.
pub struct Tunnel {
    local_addr: SocketAddr,
    status: watch::Receiver<TunnelStatus>,
    inner: Arc<Inner>,
    tracker: TaskTracker,
}

impl std::fmt::Debug for Tunnel {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Tunnel")
            .field("local_addr", &self.local_addr)
            .field("jump", &self.inner.jump)
            .field("target", &self.inner.target())
            .field("status", &*self.status.borrow())
            .finish()
    }
}

struct Inner {
    jump: SocketAddr,
    user: String,
    key: Arc<PrivateKey>,
    pinned: PublicKey,
    target_host: String,
    target_port: u16,
    idle_timeout: Duration,
    session: Mutex<Option<Arc<Handle<Client>>>>,
    status: watch::Sender<TunnelStatus>,
    active: AtomicUsize,
    last_activity: StdMutex<Instant>,
    cancel: CancellationToken,
}

impl Inner {
    fn target(&self) -> String {
        format!("{}:{}", self.target_host, self.target_port)
    }

    fn set_status(&self, status: TunnelStatus) {
        self.status.send_if_modified(|current| {
            // Closed is final.
            if matches!(current, TunnelStatus::Closed { .. }) || *current == status {
                return false;
            }
            *current = status;
            true
        });
    }

    fn touch(&self) {
        *self
            .last_activity
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner()) = Instant::now();
    }

    /// TCP, SSH handshake with the pinned host key, and publickey login.
    async fn connect(&self) -> Result<Handle<Client>, TunnelError> {
        let addr = self.jump;
        let tcp = match tokio::time::timeout(TCP_TIMEOUT, TcpStream::connect(addr)).await {
            Ok(Ok(tcp)) => tcp,
            Ok(Err(e)) => {
                return Err(TunnelError::JumpUnreachable {
                    addr,
                    reason: e.to_string(),
                })
            }
            Err(_) => {
                return Err(TunnelError::JumpUnreachable {
                    addr,
                    reason: format!("no answer within {TCP_TIMEOUT:?}"),
                })
            }
        };
        let _ = tcp.set_nodelay(true);
        let presented = Arc::new(StdMutex::new(None));
        let handler = Client {
            pinned: self.pinned.clone(),
            presented: presented.clone(),
        };
        let config = Arc::new(client::Config {
            // Ask only for the pinned key's algorithm, so a server that also has other
            // host keys presents the one Onramp installed.
            preferred: russh::Preferred {
                key: Cow::Owned(vec![self.pinned.algorithm()]),
                ..Default::default()
            },
            keepalive_interval: Some(Duration::from_secs(15)),
            keepalive_max: 3,
            nodelay: true,
            ..Default::default()
        });
        let login = async {
            let mut handle = match client::connect_stream(config, tcp, handler).await {
                Ok(handle) => handle,
                Err(russh::Error::UnknownKey) => {
                    let presented = presented
                        .lock()
                        .unwrap_or_else(|poisoned| poisoned.into_inner())
                        .clone();
                    return Err(TunnelError::HostKeyMismatch {
                        expected: fingerprint(&self.pinned),
                        presented: presented.unwrap_or_else(|| "an unreadable key".into()),
                    });
                }
                Err(e) => {
                    return Err(TunnelError::Handshake {
                        addr,
                        reason: e.to_string(),
                    })
                }
            };
            let hash = if self.key.algorithm().is_rsa() {
                handle
                    .best_supported_rsa_hash()
                    .await
                    .ok()
                    .flatten()
                    .flatten()
            } else {
                None
            };
            let result = handle
                .authenticate_publickey(
                    self.user.clone(),
                    PrivateKeyWithHashAlg::new(self.key.clone(), hash),
                )
                .await
                .map_err(|e| TunnelError::Handshake {
                    addr,
                    reason: e.to_string(),
                })?;
            match result {
                AuthResult::Success => Ok(handle),
                AuthResult::Failure { .. } => Err(TunnelError::AuthRefused {
                    user: self.user.clone(),
                    key: fingerprint(self.key.public_key()),
                }),
            }
        };
        match tokio::time::timeout(HANDSHAKE_TIMEOUT, login).await {
            Ok(result) => result,
            Err(_) => Err(TunnelError::Handshake {
                addr,
                reason: format!("no login within {HANDSHAKE_TIMEOUT:?}"),
            }),
        }
    }

    /// The live session, re-established (with a few attempts) if it dropped.
    async fn session(&self) -> Result<Arc<Handle<Client>>, TunnelError> {
        let mut slot = self.session.lock().await;
        if let Some(handle) = slot.as_ref().filter(|h| !h.is_closed()) {
            return Ok(handle.clone());
        }
        if self.cancel.is_cancelled() {
            return Err(TunnelError::Closed);
        }
        self.set_status(TunnelStatus::Reconnecting);
        let mut last = TunnelError::Closed;
        for pause in RECONNECT_BACKOFF {
            tokio::time::sleep(pause).await;
            match self.connect().await {
                Ok(handle) => {
                    let handle = Arc::new(handle);
                    info!(jump = %self.jump, "ssh session re-established");
                    *slot = Some(handle.clone());
                    self.set_status(TunnelStatus::Open);
                    return Ok(handle);
                }
                // A wrong key or host key will not get better by retrying.
                Err(
                    e @ (TunnelError::HostKeyMismatch { .. } | TunnelError::AuthRefused { .. }),
                ) => {
                    last = e;
                    break;
                }
                Err(e) => {
                    warn!(jump = %self.jump, error = %e, "ssh reconnect attempt failed");
                    last = e;
                }
            }
        }
        *slot = None;
        self.set_status(TunnelStatus::Closed {
            reason: CloseReason::Lost {
                message: last.to_string(),
            },
        });
        self.cancel.cancel();
        Err(last)
    }

    /// A `direct-tcpip` channel to the target; a session found dead on the way is
    /// re-established once.
    async fn open_channel(
        &self,
        originator: SocketAddr,
    ) -> Result<russh::Channel<client::Msg>, TunnelError> {
        for attempt in 0..2 {
            let handle = self.session().await?;
            let open = handle.channel_open_direct_tcpip(
                self.target_host.clone(),
                u32::from(self.target_port),
                originator.ip().to_string(),
                u32::from(originator.port()),
            );
            match tokio::time::timeout(CHANNEL_TIMEOUT, open).await {
                Ok(Ok(channel)) => return Ok(channel),
                Ok(Err(russh::Error::ChannelOpenFailure(reason))) => {
                    return Err(TunnelError::ChannelRefused {
                        target: self.target(),
                        reason: describe_open_failure(&reason),
                    })
                }
                Ok(Err(e)) if attempt == 0 => {
                    debug!(error = %e, "ssh session lost while opening a channel; reconnecting");
                    self.session.lock().await.take();
                }
                Ok(Err(e)) => {
                    return Err(TunnelError::ChannelRefused {
                        target: self.target(),
                        reason: e.to_string(),
                    })
                }
                Err(_) => {
                    return Err(TunnelError::ChannelRefused {
                        target: self.target(),
                        reason: format!("no answer within {CHANNEL_TIMEOUT:?}"),
                    })
                }
            }
        }
        Err(TunnelError::Closed)
    }
}

fn describe_open_failure(reason: &ChannelOpenFailure) -> String {
    match reason {
        ChannelOpenFailure::AdministrativelyProhibited => {
            "administratively prohibited (the jump server may not, or cannot, reach that address)"
                .into()
        }
        ChannelOpenFailure::ConnectFailed => {
            "connect failed (nothing answers at that address and port)".into()
        }
        ChannelOpenFailure::UnknownChannelType => {
            "the server does not allow port forwarding".into()
        }
        ChannelOpenFailure::ResourceShortage => "the server is out of resources".into(),
        ChannelOpenFailure::Other { code, reason } => format!("code {code}: {reason}"),
    }
}

/// The SSH client's callbacks: the host key check, against the pinned key only.
struct Client {
    pinned: PublicKey,
    presented: Arc<StdMutex<Option<String>>>,
}

impl client::Handler for Client {
    type Error = russh::Error;

    async fn check_server_key(
        &mut self,
        server: &russh::keys::PublicKeyOrCertificate,
    ) -> Result<bool, Self::Error> {
        match server {
            russh::keys::PublicKeyOrCertificate::PublicKey { key, .. } => {
                *self
                    .presented
                    .lock()
                    .unwrap_or_else(|poisoned| poisoned.into_inner()) = Some(fingerprint(key));
                Ok(key.key_data() == self.pinned.key_data())
            }
            russh::keys::PublicKeyOrCertificate::Certificate(_) => {
                *self
                    .presented
                    .lock()
                    .unwrap_or_else(|poisoned| poisoned.into_inner()) =
                    Some("a host certificate".into());
                Ok(false)
            }
        }
    }
}

impl Tunnel {
    /// Logs in to the jump server (failing with the precise reason if it cannot), then
    /// listens on 127.0.0.1 on a free port.
    pub async fn open(config: TunnelConfig) -> Result<Tunnel, TunnelError> {
        let key =
            russh::keys::decode_secret_key(config.private_key.expose(), None).map_err(|e| {
                TunnelError::InvalidPrivateKey {
                    reason: e.to_string(),
                }
            })?;
        let pinned =
            parse_public_line(&config.host_key).map_err(|e| TunnelError::InvalidHostKey {
                reason: e.to_string(),
            })?;
        let (status, status_rx) = watch::channel(TunnelStatus::Connecting);
        let inner = Arc::new(Inner {
            jump: config.jump,
            user: config.user,
            key: Arc::new(key),
            pinned,
            target_host: config.target_host,
            target_port: config.target_port,
            idle_timeout: config.idle_timeout,
            session: Mutex::new(None),
            status,
            active: AtomicUsize::new(0),
            last_activity: StdMutex::new(Instant::now()),
            cancel: CancellationToken::new(),
        });
        let handle = inner.connect().await?;
        *inner.session.lock().await = Some(Arc::new(handle));

        let listener = TcpListener::bind(SocketAddr::from((Ipv4Addr::LOCALHOST, 0)))
            .await
            .map_err(|e| TunnelError::Bind {
                reason: e.to_string(),
            })?;
        let local_addr = listener.local_addr().map_err(|e| TunnelError::Bind {
            reason: e.to_string(),
        })?;
        if local_addr.ip() != IpAddr::V4(Ipv4Addr::LOCALHOST) {
            // Cannot happen for that bind; checked so the promise holds regardless.
            return Err(TunnelError::Bind {
                reason: format!("bound to {local_addr}, which is not 127.0.0.1"),
            });
        }
        inner.set_status(TunnelStatus::Open);
        inner.touch();
        info!(%local_addr, jump = %inner.jump, target = %inner.target(), "tunnel open");

        let tracker = TaskTracker::new();
        tracker.spawn(accept_loop(listener, inner.clone(), tracker.clone()));
        Ok(Tunnel {
            local_addr,
            status: status_rx,
            inner,
            tracker,
        })
    }

    /// `127.0.0.1:<port>`: where to point PostgreSQL clients.
    pub fn local_addr(&self) -> SocketAddr {
        self.local_addr
    }

    /// Follows the tunnel's state.
    pub fn status(&self) -> watch::Receiver<TunnelStatus> {
        self.status.clone()
    }

    /// Opens a channel to the target and closes it at once: does the jump server reach the
    /// database's endpoint?
    pub async fn check_target(&self) -> Result<(), TunnelError> {
        if self.inner.cancel.is_cancelled() {
            return Err(TunnelError::Closed);
        }
        let channel = self.inner.open_channel(self.local_addr).await?;
        let _ = channel.close().await;
        Ok(())
    }

    /// Stops listening, ends every connection and the SSH session, and waits for it.
    pub async fn close(self) {
        self.inner.set_status(TunnelStatus::Closed {
            reason: CloseReason::ByUser,
        });
        self.inner.cancel.cancel();
        self.tracker.close();
        let _ = tokio::time::timeout(Duration::from_secs(5), self.tracker.wait()).await;
        if let Some(handle) = self.inner.session.lock().await.take() {
            let _ = handle
                .disconnect(Disconnect::ByApplication, "tunnel closed", "en")
                .await;
        }
        info!(local_addr = %self.local_addr, "tunnel closed");
    }
}

impl Drop for Tunnel {
    fn drop(&mut self) {
        self.inner.set_status(TunnelStatus::Closed {
            reason: CloseReason::ByUser,
        });
        self.inner.cancel.cancel();
    }
}

async fn accept_loop(listener: TcpListener, inner: Arc<Inner>, tracker: TaskTracker) {
    loop {
        let idle_deadline = {
            let last = *inner
                .last_activity
                .lock()
                .unwrap_or_else(|poisoned| poisoned.into_inner());
            last + inner.idle_timeout
        };
        let accepted = tokio::select! {
            _ = inner.cancel.cancelled() => break,
            _ = tokio::time::sleep_until(idle_deadline) => {
                if inner.active.load(Ordering::SeqCst) == 0 {
                    let last = *inner.last_activity.lock().unwrap_or_else(|p| p.into_inner());
                    if last.elapsed() >= inner.idle_timeout {
                        info!(idle = ?inner.idle_timeout, "tunnel idle; closing");
                        inner.set_status(TunnelStatus::Closed { reason: CloseReason::Idle });
                        inner.cancel.cancel();
                        break;
                    }
                } else {
                    inner.touch();
                }
                continue;
            }
            accepted = listener.accept() => accepted,
        };
        let (socket, peer) = match accepted {
            Ok(accepted) => accepted,
            Err(e) => {
                warn!(error = %e, "tunnel accept failed");
                tokio::time::sleep(Duration::from_millis(100)).await;
                continue;
            }
        };
        if !peer.ip().is_loopback() {
            // Cannot arrive on a 127.0.0.1 listener; refused regardless.
            warn!(%peer, "refused a non-loopback connection to the tunnel");
            continue;
        }
        inner.active.fetch_add(1, Ordering::SeqCst);
        inner.touch();
        tracker.spawn(forward(socket, peer, inner.clone()));
    }
    // Disconnect now rather than when the last clone of the handle goes.
    if let Some(handle) = inner.session.lock().await.take() {
        let _ = handle
            .disconnect(Disconnect::ByApplication, "tunnel closed", "en")
            .await;
    }
    debug!("tunnel no longer accepting");
}

async fn forward(mut socket: TcpStream, peer: SocketAddr, inner: Arc<Inner>) {
    let _ = socket.set_nodelay(true);
    let result = tokio::select! {
        _ = inner.cancel.cancelled() => Ok(()),
        opened = inner.open_channel(peer) => match opened {
            Ok(channel) => {
                let mut stream = channel.into_stream();
                tokio::select! {
                    _ = inner.cancel.cancelled() => Ok(()),
                    piped = tokio::io::copy_bidirectional(&mut socket, &mut stream) => {
                        if let Ok((up, down)) = piped {
                            debug!(%peer, up, down, "tunnel connection closed");
                        }
                        Ok(())
                    }
                }
            }
            Err(e) => Err(e),
        },
    };
    if let Err(error) = result {
        warn!(%peer, %error, "tunnel connection refused");
    }
    inner.touch();
    inner.active.fetch_sub(1, Ordering::SeqCst);
}
