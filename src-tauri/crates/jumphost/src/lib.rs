//! The sandbox's jump VSI: a real SSH server on a loopback port.
//!
//! IBM's tutorial for reaching a private Databases for PostgreSQL instance has the user
//! register an SSH public key (VPC keys API), create a virtual server with a floating IP,
//! and run `ssh -N -L 15432:<VPE ip>:5432 root@<floating ip>`. In the sandbox that virtual
//! server is a [`JumpHost`]: the user's own OpenSSH client talks to it, with the keys the
//! user registered, and the tunnel it opens leads to a loopback socket the sandbox chooses.
//!
//! What it allows, and nothing else:
//! - publickey authentication with one of the [`JumpHostConfig::authorized_keys`], under
//!   any user name (IBM's Ubuntu images use `root`); `none` and `password` are refused,
//!   and only `publickey` is advertised, so OpenSSH says `Permission denied (publickey)`;
//! - `direct-tcpip` channels (what `ssh -L` opens), each one to whatever loopback socket
//!   [`JumpHostConfig::forward`] maps the requested host and port to. A target it does not
//!   map, or maps off loopback, is refused with "administratively prohibited" before any
//!   connection is attempted.
//!
//! A session channel (what `ssh` without `-N` opens for a shell or a command) is accepted
//! only to tell the human what happened: any shell or exec request gets the one line
//! [`SESSION_BANNER`] on stderr and exit status 1, and the channel closes. Subsystems
//! (sftp), remote forwarding (`-R`), agent and X11 forwarding are refused.
//!
//! The server listens on loopback only, connects to loopback only, logs with `tracing`
//! (peers, authentication results with the key's SHA256 fingerprint, forward targets,
//! refusals) and never logs key material.
#![cfg_attr(not(test), deny(clippy::unwrap_used, clippy::expect_used))]

use std::borrow::Cow;
use std::io::Write as _;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::{Arc, RwLock};
use std::time::Duration;

use rand::RngCore as _;
use russh::keys::ssh_key::{
    self, private::Ed25519Keypair, private::KeypairData, HashAlg, LineEnding, PrivateKey, PublicKey,
};
use russh::server::{Auth, ChannelOpenHandle, Msg, Session};
use russh::{Channel, ChannelId, ChannelOpenFailure, Disconnect, MethodKind, MethodSet, SshId};
use tokio::net::{TcpListener, TcpStream};
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;
use tracing::{debug, error, info, warn};
use zeroize::Zeroizing;

/// What a shell or exec request gets, on stderr, before the channel closes with status 1.
pub const SESSION_BANNER: &str =
    "Onramp sandbox jump host: only port forwarding (ssh -N -L) is available.\r\n";

/// The identification string the server sends (RFC 4253 §4.2).
const SERVER_ID: &str = "SSH-2.0-OnrampSandboxJumpHost";
/// Comment stored in a generated host key file.
const HOST_KEY_COMMENT: &str = "onramp-sandbox-jump-host";
/// How long a forward target may take to accept before the channel fails.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
/// How long a fresh TCP connection may take to send its SSH identification.
const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(30);
/// How long [`JumpHost::stop`] waits for sessions to say goodbye.
const STOP_GRACE: Duration = Duration::from_secs(5);

/// Maps the target of a `direct-tcpip` channel (the host exactly as the client sent it,
/// and the port) to the loopback socket to connect to; `None` refuses the channel.
pub type ForwardFn = Arc<dyn Fn(&str, u16) -> Option<SocketAddr> + Send + Sync>;

/// How to run a [`JumpHost`].
#[derive(Clone)]
pub struct JumpHostConfig {
    /// Where to listen. Must be a loopback address; port 0 picks a free port.
    pub listen: SocketAddr,
    /// The host key, an unencrypted OpenSSH private key file. Created (ed25519, mode 0600)
    /// if missing and reused afterwards, so a client's `known_hosts` entry stays valid
    /// across restarts.
    pub host_key_path: PathBuf,
    /// OpenSSH public key lines (`ssh-ed25519 AAAA... comment`, `ssh-rsa ...`) whose
    /// holders may log in. Blank lines and `#` comments are ignored; options before the
    /// key type (`no-pty ssh-ed25519 ...`) are not supported.
    pub authorized_keys: Vec<String>,
    /// Where each `direct-tcpip` channel goes; see [`ForwardFn`].
    pub forward: ForwardFn,
}

impl std::fmt::Debug for JumpHostConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("JumpHostConfig")
            .field("listen", &self.listen)
            .field("host_key_path", &self.host_key_path)
            .field("authorized_keys", &self.authorized_keys.len())
            .finish_non_exhaustive()
    }
}

/// Why a [`JumpHost`] could not start, or a key list was not accepted.
#[derive(Debug, thiserror::Error)]
pub enum JumpHostError {
    /// The listen address is not loopback.
    #[error("the jump host listens on loopback only, and {0} is not a loopback address")]
    NotLoopback(SocketAddr),
    /// The host key file could not be read or written.
    #[error("cannot read or create the host key {path}: {source}")]
    HostKeyIo {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// The host key file exists but is not a usable key; it is left untouched.
    #[error("the host key {path} is not an unencrypted OpenSSH private key: {reason}")]
    HostKeyInvalid { path: PathBuf, reason: String },
    /// An authorized key entry is not an OpenSSH public key line.
    #[error("authorized key #{index} is not an OpenSSH public key line: {reason}")]
    InvalidAuthorizedKey { index: usize, reason: String },
    /// The listening socket could not be bound.
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        addr: SocketAddr,
        #[source]
        source: std::io::Error,
    },
}

/// State every connection reads.
struct Shared {
    authorized: RwLock<Arc<Vec<PublicKey>>>,
    forward: ForwardFn,
}

impl Shared {
    fn is_authorized(&self, key: &PublicKey) -> bool {
        let keys = self
            .authorized
            .read()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .clone();
        keys.iter().any(|k| k.key_data() == key.key_data())
    }
}

/// A running jump host. Dropping it stops it too, without waiting.
pub struct JumpHost {
    addr: SocketAddr,
    fingerprint: String,
    shared: Arc<Shared>,
    cancel: CancellationToken,
    tracker: TaskTracker,
}

impl std::fmt::Debug for JumpHost {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("JumpHost")
            .field("addr", &self.addr)
            .field("fingerprint", &self.fingerprint)
            .finish_non_exhaustive()
    }
}

impl JumpHost {
    /// Loads or creates the host key, binds the listener and starts accepting.
    pub async fn start(config: JumpHostConfig) -> Result<JumpHost, JumpHostError> {
        if !config.listen.ip().is_loopback() {
            return Err(JumpHostError::NotLoopback(config.listen));
        }
        let authorized = parse_authorized_keys(&config.authorized_keys)?;
        let host_key = load_or_create_host_key(&config.host_key_path)?;
        let fingerprint = host_key
            .public_key()
            .fingerprint(HashAlg::Sha256)
            .to_string();

        let listener =
            TcpListener::bind(config.listen)
                .await
                .map_err(|source| JumpHostError::Bind {
                    addr: config.listen,
                    source,
                })?;
        let addr = listener
            .local_addr()
            .map_err(|source| JumpHostError::Bind {
                addr: config.listen,
                source,
            })?;
        if !addr.ip().is_loopback() {
            // Cannot happen for a loopback bind; checked so the promise holds regardless.
            return Err(JumpHostError::NotLoopback(addr));
        }

        let ssh_config = Arc::new(russh::server::Config {
            server_id: SshId::Standard(Cow::Borrowed(SERVER_ID)),
            methods: MethodSet::from(&[MethodKind::PublicKey][..]),
            auth_rejection_time: Duration::from_secs(1),
            // OpenSSH opens with a `none` probe to learn the methods; no need to stall it.
            auth_rejection_time_initial: Some(Duration::ZERO),
            keys: vec![host_key],
            // A tunnel may sit idle for long; keepalives detect a vanished client
            // instead, and a live client answering them keeps the session open.
            inactivity_timeout: Some(Duration::from_secs(600)),
            keepalive_interval: Some(Duration::from_secs(30)),
            keepalive_max: 3,
            nodelay: true,
            ..Default::default()
        });

        let shared = Arc::new(Shared {
            authorized: RwLock::new(Arc::new(authorized)),
            forward: config.forward,
        });
        let cancel = CancellationToken::new();
        let tracker = TaskTracker::new();
        tracker.spawn(accept_loop(
            listener,
            ssh_config,
            shared.clone(),
            cancel.clone(),
            tracker.clone(),
        ));
        info!(%addr, host_key = %fingerprint, "sandbox jump host listening");
        Ok(JumpHost {
            addr,
            fingerprint,
            shared,
            cancel,
            tracker,
        })
    }

    /// The address it listens on (with the real port when port 0 was asked for).
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The host key's fingerprint as `ssh-keygen -lf` and OpenSSH print it: `SHA256:...`.
    pub fn host_key_fingerprint(&self) -> String {
        self.fingerprint.clone()
    }

    /// Replaces the keys that may log in. Takes effect for authentications from now on;
    /// sessions already logged in stay open. On error the previous list stays in force.
    pub fn set_authorized_keys(&self, keys: Vec<String>) -> Result<(), JumpHostError> {
        let parsed = parse_authorized_keys(&keys)?;
        let count = parsed.len();
        *self
            .shared
            .authorized
            .write()
            .unwrap_or_else(|poisoned| poisoned.into_inner()) = Arc::new(parsed);
        info!(addr = %self.addr, keys = count, "authorized keys replaced");
        Ok(())
    }

    /// Stops accepting, disconnects every session, closes every forward, and waits (a few
    /// seconds at most) for all of it, so the port is free when this returns.
    pub async fn stop(self) {
        self.cancel.cancel();
        self.tracker.close();
        if tokio::time::timeout(STOP_GRACE, self.tracker.wait())
            .await
            .is_err()
        {
            warn!(addr = %self.addr, "jump host sessions did not finish in time after stop");
        }
        info!(addr = %self.addr, "sandbox jump host stopped");
    }
}

impl Drop for JumpHost {
    fn drop(&mut self) {
        self.cancel.cancel();
        self.tracker.close();
    }
}

/// The ed25519 host key a VSI's cloud-init `user_data` installs, if it carries one in
/// cloud-init's `ssh_keys` form (what Onramp generates):
///
/// ```yaml
/// ssh_keys:
///   ed25519_private: |
///     -----BEGIN OPENSSH PRIVATE KEY-----
///     ...
/// ```
///
/// Returns the private key text, checked to be an unencrypted ed25519 OpenSSH key, so the
/// sandbox's VSI presents the host key its creator pinned, as a real VSI would after
/// cloud-init ran. Anything else (no such block, another key type, garbage) is `None`.
pub fn host_key_from_cloud_init(user_data: &str) -> Option<Zeroizing<String>> {
    if !user_data.trim_start().starts_with("#cloud-config") {
        return None;
    }
    let mut lines = user_data.lines();
    let header = lines.find(|l| l.trim_start().starts_with("ed25519_private:"))?;
    let key_indent = header.len() - header.trim_start().len();
    if header
        .trim_start()
        .trim_start_matches("ed25519_private:")
        .trim()
        != "|"
    {
        return None;
    }
    let mut block = Zeroizing::new(String::new());
    let mut indent = None;
    for line in lines {
        let trimmed = line.trim_start();
        if trimmed.is_empty() {
            continue;
        }
        let this = line.len() - trimmed.len();
        if this <= key_indent {
            break;
        }
        let indent = *indent.get_or_insert(this);
        block.push_str(line.get(indent..).unwrap_or(trimmed));
        block.push('\n');
    }
    let key = PrivateKey::from_openssh(block.as_bytes()).ok()?;
    (key.algorithm() == ssh_key::Algorithm::Ed25519 && !key.is_encrypted()).then_some(block)
}

/// Writes `key` (OpenSSH private key text) as the host key file a [`JumpHost`] loads,
/// replacing any there, readable by the owner only.
pub fn install_host_key(path: &Path, key: &str) -> Result<(), JumpHostError> {
    let parsed =
        PrivateKey::from_openssh(key.as_bytes()).map_err(|e| JumpHostError::HostKeyInvalid {
            path: path.to_path_buf(),
            reason: e.to_string(),
        })?;
    drop(parsed);
    write_private_file(path, key.as_bytes()).map_err(|source| JumpHostError::HostKeyIo {
        path: path.to_path_buf(),
        source,
    })
}

fn parse_authorized_keys(entries: &[String]) -> Result<Vec<PublicKey>, JumpHostError> {
    let mut keys = Vec::new();
    for (index, entry) in entries.iter().enumerate() {
        for line in entry.lines().map(str::trim) {
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let key =
                PublicKey::from_openssh(line).map_err(|e| JumpHostError::InvalidAuthorizedKey {
                    index,
                    reason: e.to_string(),
                })?;
            keys.push(key);
        }
    }
    Ok(keys)
}

fn load_or_create_host_key(path: &Path) -> Result<PrivateKey, JumpHostError> {
    let io_err = |source| JumpHostError::HostKeyIo {
        path: path.to_path_buf(),
        source,
    };
    let invalid = |reason: String| JumpHostError::HostKeyInvalid {
        path: path.to_path_buf(),
        reason,
    };
    match std::fs::read(path) {
        Ok(bytes) => {
            let bytes = Zeroizing::new(bytes);
            let key = PrivateKey::from_openssh(&*bytes).map_err(|e| invalid(e.to_string()))?;
            if key.is_encrypted() {
                return Err(invalid("it is encrypted with a passphrase".into()));
            }
            debug!(path = %path.display(), "host key loaded");
            Ok(key)
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            let mut seed = Zeroizing::new([0u8; 32]);
            rand::rngs::OsRng.fill_bytes(&mut *seed);
            let keypair = Ed25519Keypair::from_seed(&seed);
            let key = PrivateKey::new(KeypairData::Ed25519(keypair), HOST_KEY_COMMENT)
                .map_err(|e| invalid(e.to_string()))?;
            let text = key
                .to_openssh(LineEnding::LF)
                .map_err(|e| invalid(e.to_string()))?;
            write_private_file(path, text.as_bytes()).map_err(io_err)?;
            info!(path = %path.display(), "host key created");
            Ok(key)
        }
        Err(e) => Err(io_err(e)),
    }
}

/// Writes `contents` to `path` readable by the owner only, through a temporary file in the
/// same directory so a crash never leaves half a key behind.
fn write_private_file(path: &Path, contents: &[u8]) -> std::io::Result<()> {
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir)?;
    }
    let mut tmp_name = path.file_name().unwrap_or_default().to_os_string();
    tmp_name.push(format!(".tmp-{}", std::process::id()));
    let tmp = path.with_file_name(tmp_name);
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt as _;
        options.mode(0o600);
    }
    let result = (|| {
        let mut file = options.open(&tmp)?;
        file.write_all(contents)?;
        file.sync_all()?;
        drop(file);
        std::fs::rename(&tmp, path)
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result
}

async fn accept_loop(
    listener: TcpListener,
    config: Arc<russh::server::Config>,
    shared: Arc<Shared>,
    cancel: CancellationToken,
    tracker: TaskTracker,
) {
    loop {
        let (socket, peer) = tokio::select! {
            _ = cancel.cancelled() => break,
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(e) => {
                    // Typically out of file descriptors; back off instead of spinning.
                    warn!(error = %e, "jump host accept failed");
                    tokio::time::sleep(Duration::from_millis(100)).await;
                    continue;
                }
            },
        };
        info!(%peer, "ssh connection");
        let conn_cancel = cancel.child_token();
        let handler = Connection {
            peer,
            shared: shared.clone(),
            tracker: tracker.clone(),
            cancel: conn_cancel.clone(),
            _closed: conn_cancel.clone().drop_guard(),
        };
        tracker.spawn(run_connection(
            config.clone(),
            socket,
            handler,
            peer,
            conn_cancel,
        ));
    }
    debug!("jump host no longer accepting");
}

async fn run_connection(
    config: Arc<russh::server::Config>,
    socket: TcpStream,
    handler: Connection,
    peer: SocketAddr,
    cancel: CancellationToken,
) {
    let start = tokio::time::timeout(
        HANDSHAKE_TIMEOUT,
        russh::server::run_stream(config, socket, handler),
    );
    let session = tokio::select! {
        _ = cancel.cancelled() => return,
        started = start => match started {
            Ok(Ok(session)) => session,
            Ok(Err(e)) => {
                info!(%peer, error = %e, "ssh handshake failed");
                return;
            }
            Err(_) => {
                info!(%peer, "ssh handshake timed out");
                return;
            }
        },
    };
    let handle = session.handle();
    tokio::pin!(session);
    tokio::select! {
        ended = &mut session => match ended {
            Ok(()) => info!(%peer, "ssh connection closed"),
            Err(e) => info!(%peer, error = %e, "ssh connection ended"),
        },
        _ = cancel.cancelled() => {
            let _ = handle
                .disconnect(
                    Disconnect::ByApplication,
                    "the sandbox jump host is stopping".into(),
                    "en".into(),
                )
                .await;
            let _ = tokio::time::timeout(Duration::from_secs(2), &mut session).await;
            info!(%peer, "ssh connection closed by stop");
        }
    }
}

/// One client connection; russh calls it for every authentication attempt and channel.
struct Connection {
    peer: SocketAddr,
    shared: Arc<Shared>,
    tracker: TaskTracker,
    /// Cancelled when the connection ends (the guard below) or the server stops (parent);
    /// the connection's forwards end with it.
    cancel: CancellationToken,
    _closed: tokio_util::sync::DropGuard,
}

fn fingerprint(key: &PublicKey) -> String {
    key.fingerprint(HashAlg::Sha256).to_string()
}

fn refuse(reason: &str) -> ChannelOpenFailure {
    ChannelOpenFailure::Other {
        // SSH_OPEN_ADMINISTRATIVELY_PROHIBITED, with a reason a human can act on.
        code: 1,
        reason: reason.to_owned(),
    }
}

impl russh::server::Handler for Connection {
    type Error = russh::Error;

    async fn auth_none(&mut self, user: &str) -> Result<Auth, Self::Error> {
        debug!(peer = %self.peer, ?user, "auth none refused");
        Ok(Auth::reject())
    }

    async fn auth_password(&mut self, user: &str, _password: &str) -> Result<Auth, Self::Error> {
        info!(peer = %self.peer, ?user, "password login refused: publickey only");
        Ok(Auth::reject())
    }

    async fn auth_keyboard_interactive<'a>(
        &'a mut self,
        user: &str,
        _submethods: &str,
        _response: Option<russh::server::Response<'a>>,
    ) -> Result<Auth, Self::Error> {
        info!(peer = %self.peer, ?user, "keyboard-interactive login refused: publickey only");
        Ok(Auth::reject())
    }

    async fn auth_publickey_offered(
        &mut self,
        user: &str,
        offer: russh::server::PublicKeyOffer<'_>,
    ) -> Result<Auth, Self::Error> {
        let key = fingerprint(offer.public_key);
        if self.shared.is_authorized(offer.public_key) {
            debug!(peer = %self.peer, ?user, %key, "offered key is authorized");
            Ok(Auth::Accept)
        } else {
            info!(peer = %self.peer, ?user, %key, algorithm = %offer.algorithm,
                "publickey refused: not an authorized key");
            Ok(Auth::reject())
        }
    }

    async fn auth_publickey(
        &mut self,
        user: &str,
        verified: russh::server::VerifiedPublicKey<'_>,
    ) -> Result<Auth, Self::Error> {
        let key = fingerprint(verified.public_key);
        // Checked again: the list may have changed since the offer.
        if self.shared.is_authorized(verified.public_key) {
            info!(peer = %self.peer, ?user, %key, algorithm = %verified.algorithm,
                "publickey accepted");
            Ok(Auth::Accept)
        } else {
            info!(peer = %self.peer, ?user, %key, "publickey refused: not an authorized key");
            Ok(Auth::reject())
        }
    }

    async fn auth_openssh_certificate(
        &mut self,
        user: &str,
        _certificate: &ssh_key::Certificate,
    ) -> Result<Auth, Self::Error> {
        info!(peer = %self.peer, ?user, "certificate login refused: plain keys only");
        Ok(Auth::reject())
    }

    async fn channel_open_direct_tcpip(
        &mut self,
        channel: Channel<Msg>,
        host_to_connect: &str,
        port_to_connect: u32,
        _originator_address: &str,
        _originator_port: u32,
        reply: ChannelOpenHandle,
        _session: &mut Session,
    ) -> Result<(), Self::Error> {
        let peer = self.peer;
        let host = host_to_connect;
        let Ok(port) = u16::try_from(port_to_connect) else {
            warn!(%peer, ?host, port = port_to_connect, "forward refused: port out of range");
            reply.reject(refuse("port out of range")).await;
            return Ok(());
        };
        let target = match (self.shared.forward)(host, port) {
            None => {
                warn!(%peer, ?host, port, "forward refused: not a target of this sandbox");
                reply
                    .reject(refuse(
                        "Onramp sandbox: this jump host cannot reach that host and port",
                    ))
                    .await;
                return Ok(());
            }
            Some(target) if !target.ip().is_loopback() => {
                error!(%peer, ?host, port, %target,
                    "forward refused: the sandbox mapped it off loopback");
                reply
                    .reject(refuse("Onramp sandbox: target is not on loopback"))
                    .await;
                return Ok(());
            }
            Some(target) => target,
        };
        info!(%peer, ?host, port, %target, "forward requested");

        // Connect and pipe off the session's loop, so one slow target stalls nothing else.
        let cancel = self.cancel.clone();
        self.tracker.spawn(async move {
            let connect = tokio::time::timeout(CONNECT_TIMEOUT, TcpStream::connect(target));
            let mut tcp = tokio::select! {
                _ = cancel.cancelled() => return,
                connected = connect => match connected {
                    Ok(Ok(tcp)) => tcp,
                    Ok(Err(e)) => {
                        warn!(%peer, %target, error = %e, "forward target refused the connection");
                        reply.reject(ChannelOpenFailure::ConnectFailed).await;
                        return;
                    }
                    Err(_) => {
                        warn!(%peer, %target, "forward target did not answer in time");
                        reply.reject(ChannelOpenFailure::ConnectFailed).await;
                        return;
                    }
                },
            };
            let _ = tcp.set_nodelay(true);
            reply.accept().await;
            let mut stream = channel.into_stream();
            tokio::select! {
                _ = cancel.cancelled() => {
                    debug!(%peer, %target, "forward closed: its ssh connection ended or the jump host stopped");
                }
                piped = tokio::io::copy_bidirectional(&mut stream, &mut tcp) => match piped {
                    Ok((up, down)) => info!(%peer, %target, bytes_to_target = up,
                        bytes_from_target = down, "forward closed"),
                    Err(e) => info!(%peer, %target, error = %e, "forward ended"),
                },
            }
        });
        Ok(())
    }

    async fn channel_open_session(
        &mut self,
        channel: Channel<Msg>,
        reply: ChannelOpenHandle,
        _session: &mut Session,
    ) -> Result<(), Self::Error> {
        // Accepted only to answer a shell or command with a one-line explanation; the
        // requests arrive through the handler methods below, so the channel object itself
        // is not needed.
        debug!(peer = %self.peer, channel = %channel.id(), "session channel opened");
        drop(channel);
        reply.accept().await;
        Ok(())
    }

    #[allow(clippy::too_many_arguments)]
    async fn pty_request(
        &mut self,
        channel: ChannelId,
        _term: &str,
        _col_width: u32,
        _row_height: u32,
        _pix_width: u32,
        _pix_height: u32,
        _modes: &[(russh::Pty, u32)],
        session: &mut Session,
    ) -> Result<(), Self::Error> {
        // Granted (without a real terminal) so OpenSSH prints no allocation warning
        // ahead of the banner.
        session.channel_success(channel)
    }

    async fn env_request(
        &mut self,
        channel: ChannelId,
        _variable_name: &str,
        _variable_value: &str,
        session: &mut Session,
    ) -> Result<(), Self::Error> {
        session.channel_failure(channel)
    }

    async fn x11_request(
        &mut self,
        channel: ChannelId,
        _single_connection: bool,
        _x11_auth_protocol: &str,
        _x11_auth_cookie: &str,
        _x11_screen_number: u32,
        session: &mut Session,
    ) -> Result<(), Self::Error> {
        info!(peer = %self.peer, "X11 forwarding refused");
        session.channel_failure(channel)
    }

    async fn shell_request(
        &mut self,
        channel: ChannelId,
        session: &mut Session,
    ) -> Result<(), Self::Error> {
        info!(peer = %self.peer, "shell refused: only port forwarding is available");
        end_with_banner(channel, session)
    }

    async fn exec_request(
        &mut self,
        channel: ChannelId,
        _data: &[u8],
        session: &mut Session,
    ) -> Result<(), Self::Error> {
        // The command is the user's; it is not logged.
        info!(peer = %self.peer, "command refused: only port forwarding is available");
        end_with_banner(channel, session)
    }

    async fn subsystem_request(
        &mut self,
        channel: ChannelId,
        name: &str,
        session: &mut Session,
    ) -> Result<(), Self::Error> {
        info!(peer = %self.peer, ?name, "subsystem refused: only port forwarding is available");
        session.channel_failure(channel)?;
        session.close(channel)
    }

    async fn tcpip_forward(
        &mut self,
        address: &str,
        port: &mut u32,
        _session: &mut Session,
    ) -> Result<bool, Self::Error> {
        info!(peer = %self.peer, ?address, port = *port, "remote forwarding (-R) refused");
        Ok(false)
    }

    async fn streamlocal_forward(
        &mut self,
        socket_path: &str,
        _session: &mut Session,
    ) -> Result<bool, Self::Error> {
        info!(peer = %self.peer, ?socket_path, "remote socket forwarding refused");
        Ok(false)
    }

    async fn channel_open_direct_streamlocal(
        &mut self,
        _channel: Channel<Msg>,
        socket_path: &str,
        reply: ChannelOpenHandle,
        _session: &mut Session,
    ) -> Result<(), Self::Error> {
        warn!(peer = %self.peer, ?socket_path, "unix socket forward refused");
        reply
            .reject(refuse("Onramp sandbox: only TCP forwarding"))
            .await;
        Ok(())
    }
}

fn end_with_banner(channel: ChannelId, session: &mut Session) -> Result<(), russh::Error> {
    session.channel_success(channel)?;
    session.extended_data(channel, 1, SESSION_BANNER)?;
    session.exit_status_request(channel, 1)?;
    session.eof(channel)?;
    session.close(channel)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn authorized_keys_skip_blanks_and_comments_and_reject_garbage() {
        let good = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl user@example";
        let keys =
            parse_authorized_keys(&[format!("# comment\n\n{good}\n"), good.to_string()]).unwrap();
        assert_eq!(keys.len(), 2);
        let err =
            parse_authorized_keys(&[good.into(), "ssh-ed25519 notbase64".into()]).unwrap_err();
        assert!(
            matches!(err, JumpHostError::InvalidAuthorizedKey { index: 1, .. }),
            "{err}"
        );
    }

    #[test]
    fn host_key_is_created_private_and_reused() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("sub").join("host_key");
        let first = load_or_create_host_key(&path).unwrap();
        let second = load_or_create_host_key(&path).unwrap();
        assert_eq!(
            first.public_key().key_data(),
            second.public_key().key_data()
        );
        assert_eq!(first.algorithm(), ssh_key::Algorithm::Ed25519);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt as _;
            let mode = std::fs::metadata(&path).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        let leftovers: Vec<_> = std::fs::read_dir(path.parent().unwrap())
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(leftovers.len(), 1, "{leftovers:?}");
    }

    #[test]
    fn a_host_key_in_cloud_init_is_found_and_anything_else_is_not() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("k");
        let key = load_or_create_host_key(&path).unwrap();
        let text = key.to_openssh(LineEnding::LF).unwrap();
        let indented: String = text.lines().map(|l| format!("    {l}\n")).collect();
        let user_data = format!(
            "#cloud-config\nssh_deletekeys: true\nssh_keys:\n  ed25519_private: |\n{indented}  ed25519_public: x\nruncmd: []\n"
        );
        let found = host_key_from_cloud_init(&user_data).expect("the key");
        assert_eq!(found.as_str(), text.as_str());
        assert!(host_key_from_cloud_init("#!/bin/sh\necho hi\n").is_none());
        assert!(
            host_key_from_cloud_init(&user_data.replace("#cloud-config", "#!/bin/sh")).is_none()
        );
        assert!(host_key_from_cloud_init(
            "#cloud-config\nssh_keys:\n  ed25519_private: |\n    garbage\n"
        )
        .is_none());
        // Installed, it is the key the server loads.
        let installed = dir.path().join("installed");
        install_host_key(&installed, &found).unwrap();
        let loaded = load_or_create_host_key(&installed).unwrap();
        assert_eq!(loaded.public_key().key_data(), key.public_key().key_data());
    }

    #[test]
    fn garbage_host_key_is_an_error_and_left_alone() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("host_key");
        std::fs::write(&path, "not a key").unwrap();
        let err = load_or_create_host_key(&path).unwrap_err();
        assert!(matches!(err, JumpHostError::HostKeyInvalid { .. }), "{err}");
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "not a key");
    }
}
