//! The PostgreSQL session through the tunnel, with `sslmode=verify-full` semantics: the
//! socket is the tunnel's 127.0.0.1 end, but TLS (SNI and certificate name check) is done
//! against the instance's private host name, so a tunnel to the wrong place cannot pass
//! for the database. Roots are the public CAs (Gen 2 certificates chain to one) plus a CA
//! from the credentials, if given. Crypto is rustls on ring, like the rest of the tree.

use std::{
    future::Future,
    io,
    net::SocketAddr,
    pin::Pin,
    sync::Arc,
    task::{Context, Poll},
    time::Duration,
};

use onramp_secrets::Sensitive;
use rustls::{
    pki_types::{pem::PemObject as _, CertificateDer, ServerName},
    CertificateError, ClientConfig, RootCertStore,
};
use tokio::{
    io::{AsyncRead, AsyncReadExt as _, AsyncWrite, AsyncWriteExt as _, ReadBuf},
    net::TcpStream,
};
use tokio_postgres::{
    config::SslMode,
    error::SqlState,
    tls::{ChannelBinding, TlsConnect},
    Client,
};
use tokio_rustls::TlsConnector;

const CONNECT_TIMEOUT: Duration = Duration::from_secs(20);

/// Who to log in as, and which server name the certificate must carry.
#[derive(Debug, Clone)]
pub struct PgTarget {
    /// The instance's private host name (`<guid>.private.<...>.databases.appdomain.cloud`).
    pub host_name: String,
    pub database: String,
    pub user: String,
    pub password: Sensitive<String>,
    /// A CA certificate (PEM) to trust besides the public roots: the one a credential
    /// carries (`certificate_base64`, decoded), or the sandbox's.
    pub ca_pem: Option<String>,
}

/// Why the session could not be had.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PgError {
    #[error("the CA certificate given is not PEM: {0}")]
    InvalidCa(String),
    #[error("{0:?} is not a valid TLS server name")]
    InvalidHostName(String),
    #[error("cannot reach PostgreSQL through the tunnel at {addr}: {reason}")]
    Transport { addr: SocketAddr, reason: String },
    #[error("the server at {host_name} does not offer TLS")]
    NoTls { host_name: String },
    #[error("TLS with {host_name} failed: {reason}")]
    Tls {
        host_name: String,
        reason: String,
        /// The names the certificate is valid for, when that was the problem.
        presented: Vec<String>,
    },
    #[error("PostgreSQL refused the login of {user}: {message} (SQLSTATE {code})")]
    Login {
        user: String,
        code: String,
        message: String,
    },
    #[error("the query failed: {0}")]
    Query(String),
}

impl PgError {
    pub fn fix(&self) -> String {
        match self {
            PgError::InvalidCa(_) => "Give the CA certificate as PEM (-----BEGIN CERTIFICATE-----), as decoded from the credential's certificate_base64.".into(),
            PgError::InvalidHostName(_) => "Use the private host name from the service credential (connection.postgres.hosts[0].hostname).".into(),
            PgError::Transport { .. } => "Reopen the tunnel; if it keeps failing, run the doctor again to see which hop is down.".into(),
            PgError::NoTls { .. } => "This is not a Databases for PostgreSQL endpoint (those always offer TLS): check that the tunnel targets the VPE of this instance.".into(),
            PgError::Tls { presented, host_name, .. } if !presented.is_empty() => format!(
                "The certificate is for {}, not {host_name}: use the private host name from this database's credential, and check that the VPE the tunnel reaches belongs to this database.",
                presented.join(", ")
            ),
            PgError::Tls { .. } => "The certificate is not trusted: Gen 2 certificates chain to a public CA; if the credential carries a CA certificate, give it (sandbox: the sandbox CA).".into(),
            PgError::Login { code, .. } if code == "28P01" => "The password is wrong or has expired (PostgreSQL says the same for both, and for a user that does not exist): copy it again from the service credential, or create a new credential; after ALTER ROLE ... PASSWORD, use the new one.".into(),
            PgError::Login { code, .. } if code == "28000" => "This user may not log in (the role is missing, has no LOGIN, or is not allowed from here): use a service credential's user, or check the role in pg_roles.".into(),
            PgError::Login { code, .. } if code == "3D000" => "The database does not exist: a Gen 2 instance's default database is postgres (the credential's connection.postgres.database); ibmclouddb is Gen 1's.".into(),
            PgError::Login { code, .. } if code == "53300" => "Too many connections: close other sessions or wait, then retry.".into(),
            PgError::Login { .. } => "Check the user and password of the service credential.".into(),
            PgError::Query(_) => "The session is up but the query failed; see the message.".into(),
        }
    }
}

/// The client configuration: public roots (webpki-roots, Mozilla's list) plus `ca_pem`.
pub fn tls_config(ca_pem: Option<&str>) -> Result<Arc<ClientConfig>, PgError> {
    let mut roots = RootCertStore {
        roots: webpki_roots::TLS_SERVER_ROOTS.to_vec(),
    };
    if let Some(pem) = ca_pem {
        let mut added = 0;
        for cert in CertificateDer::pem_slice_iter(pem.as_bytes()) {
            let cert = cert.map_err(|e| PgError::InvalidCa(e.to_string()))?;
            roots
                .add(cert)
                .map_err(|e| PgError::InvalidCa(e.to_string()))?;
            added += 1;
        }
        if added == 0 {
            return Err(PgError::InvalidCa("no certificate in it".into()));
        }
    }
    let config =
        ClientConfig::builder_with_provider(Arc::new(rustls::crypto::ring::default_provider()))
            .with_safe_default_protocol_versions()
            .map_err(|e| PgError::InvalidCa(e.to_string()))?
            .with_root_certificates(roots)
            .with_no_client_auth();
    Ok(Arc::new(config))
}

fn server_name(host_name: &str) -> Result<ServerName<'static>, PgError> {
    ServerName::try_from(host_name.to_owned())
        .map_err(|_| PgError::InvalidHostName(host_name.to_owned()))
}

/// TLS for tokio-postgres over any stream, verified against a fixed server name.
#[derive(Clone)]
pub struct VerifyFull {
    config: Arc<ClientConfig>,
    name: ServerName<'static>,
}

impl VerifyFull {
    pub fn new(host_name: &str, ca_pem: Option<&str>) -> Result<VerifyFull, PgError> {
        Ok(VerifyFull {
            config: tls_config(ca_pem)?,
            name: server_name(host_name)?,
        })
    }
}

impl<S> TlsConnect<S> for VerifyFull
where
    S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    type Stream = PgTls<S>;
    type Error = io::Error;
    type Future = Pin<Box<dyn Future<Output = io::Result<PgTls<S>>> + Send>>;

    fn connect(self, stream: S) -> Self::Future {
        Box::pin(async move {
            TlsConnector::from(self.config)
                .connect(self.name, stream)
                .await
                .map(PgTls)
        })
    }
}

/// The TLS stream tokio-postgres runs on. No channel binding: SCRAM still authenticates
/// both ends, and the certificate is verified by name above.
pub struct PgTls<S>(tokio_rustls::client::TlsStream<S>);

impl<S: AsyncRead + AsyncWrite + Unpin> AsyncRead for PgTls<S> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        Pin::new(&mut self.0).poll_read(cx, buf)
    }
}

impl<S: AsyncRead + AsyncWrite + Unpin> AsyncWrite for PgTls<S> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.0).poll_write(cx, buf)
    }
    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.0).poll_flush(cx)
    }
    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.0).poll_shutdown(cx)
    }
}

impl<S: AsyncRead + AsyncWrite + Unpin> tokio_postgres::tls::TlsStream for PgTls<S> {
    fn channel_binding(&self) -> ChannelBinding {
        ChannelBinding::none()
    }
}

/// Turns a failed handshake into what it means for the user.
fn tls_error(host_name: &str, error: &(dyn std::error::Error + 'static)) -> PgError {
    let (reason, presented) = match find_rustls(error) {
        Some(rustls::Error::InvalidCertificate(CertificateError::NotValidForNameContext {
            presented,
            ..
        })) => (
            format!(
                "the certificate is not valid for {host_name}; it is valid for {}",
                if presented.is_empty() {
                    "no DNS name".to_owned()
                } else {
                    presented.join(", ")
                }
            ),
            presented.clone(),
        ),
        Some(rustls::Error::InvalidCertificate(CertificateError::NotValidForName)) => (
            format!("the certificate is not valid for {host_name}"),
            vec!["(another name)".into()],
        ),
        Some(rustls::Error::InvalidCertificate(CertificateError::UnknownIssuer)) => (
            "the certificate is signed by a CA that is neither a public CA nor the given one"
                .into(),
            vec![],
        ),
        Some(rustls::Error::InvalidCertificate(
            CertificateError::Expired | CertificateError::ExpiredContext { .. },
        )) => ("the certificate has expired".into(), vec![]),
        Some(other) => (other.to_string(), vec![]),
        None => (error.to_string(), vec![]),
    };
    PgError::Tls {
        host_name: host_name.to_owned(),
        reason,
        presented,
    }
}

fn find_rustls<'a>(error: &'a (dyn std::error::Error + 'static)) -> Option<&'a rustls::Error> {
    let mut current = Some(error);
    while let Some(e) = current {
        if let Some(found) = e.downcast_ref::<rustls::Error>() {
            return Some(found);
        }
        // io::Error hides its inner error from `source()`.
        if let Some(inner) = e
            .downcast_ref::<io::Error>()
            .and_then(|io| io.get_ref())
            .and_then(|inner| inner.downcast_ref::<rustls::Error>())
        {
            return Some(inner);
        }
        current = e.source();
    }
    None
}

/// What a successful TLS check saw.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TlsCheck {
    pub protocol: String,
}

/// PostgreSQL's TLS negotiation and handshake alone (no login): `SSLRequest`, then a
/// verify-full handshake against `host_name`.
pub async fn check_tls(
    addr: SocketAddr,
    host_name: &str,
    ca_pem: Option<&str>,
) -> Result<TlsCheck, PgError> {
    let connector = VerifyFull::new(host_name, ca_pem)?;
    let transport = |e: io::Error| PgError::Transport {
        addr,
        reason: e.to_string(),
    };
    let work = async {
        let mut tcp = TcpStream::connect(addr).await.map_err(transport)?;
        // SSLRequest: length 8, code 80877103.
        tcp.write_all(&[0, 0, 0, 8, 0x04, 0xd2, 0x16, 0x2f])
            .await
            .map_err(transport)?;
        let answer = tcp.read_u8().await.map_err(transport)?;
        if answer != b'S' {
            return Err(PgError::NoTls {
                host_name: host_name.to_owned(),
            });
        }
        let tls = TlsConnector::from(connector.config)
            .connect(connector.name, tcp)
            .await
            .map_err(|e| tls_error(host_name, &e))?;
        let protocol = tls
            .get_ref()
            .1
            .protocol_version()
            .map(|v| format!("{v:?}"))
            .unwrap_or_else(|| "TLS".into());
        Ok(TlsCheck { protocol })
    };
    tokio::time::timeout(CONNECT_TIMEOUT, work)
        .await
        .unwrap_or_else(|_| {
            Err(PgError::Transport {
                addr,
                reason: format!("no answer within {CONNECT_TIMEOUT:?}"),
            })
        })
}

/// A logged-in session. Its connection task ends when the session is dropped.
pub struct PgSession {
    client: Client,
    task: tokio::task::JoinHandle<()>,
    /// Where and how to reach the server again, to cancel what runs.
    addr: SocketAddr,
    host_name: String,
    ca_pem: Option<String>,
}

impl std::fmt::Debug for PgSession {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PgSession").finish_non_exhaustive()
    }
}

impl PgSession {
    /// Connects to `addr` (the tunnel's local end) and logs in with verify-full TLS.
    pub async fn connect(addr: SocketAddr, target: &PgTarget) -> Result<PgSession, PgError> {
        let tls = VerifyFull::new(&target.host_name, target.ca_pem.as_deref())?;
        let mut config = tokio_postgres::Config::new();
        config
            .user(&target.user)
            .password(target.password.expose().as_bytes())
            .dbname(&target.database)
            .application_name("onramp")
            .ssl_mode(SslMode::Require);
        let work = async {
            let tcp = TcpStream::connect(addr)
                .await
                .map_err(|e| PgError::Transport {
                    addr,
                    reason: e.to_string(),
                })?;
            let _ = tcp.set_nodelay(true);
            config
                .connect_raw(tcp, tls)
                .await
                .map_err(|e| classify(&e, target, addr))
        };
        let (client, connection) = tokio::time::timeout(CONNECT_TIMEOUT, work)
            .await
            .unwrap_or_else(|_| {
                Err(PgError::Transport {
                    addr,
                    reason: format!("no answer within {CONNECT_TIMEOUT:?}"),
                })
            })?;
        let task = tokio::spawn(async move {
            if let Err(e) = connection.await {
                tracing::debug!(error = %e, "PostgreSQL connection ended");
            }
        });
        Ok(PgSession {
            client,
            task,
            addr,
            host_name: target.host_name.clone(),
            ca_pem: target.ca_pem.clone(),
        })
    }

    pub fn client(&self) -> &Client {
        &self.client
    }

    /// Asks the server to cancel the statement this session runs (PostgreSQL's cancel
    /// request, over a connection of its own through the same tunnel, with the same TLS
    /// check). The statement then ends with SQLSTATE 57014. Keep reading the running
    /// statement's results meanwhile: a tunnel stalls when one of its streams is not read.
    pub async fn cancel_running(&self) -> Result<(), PgError> {
        let tls = VerifyFull::new(&self.host_name, self.ca_pem.as_deref())?;
        let tcp = TcpStream::connect(self.addr)
            .await
            .map_err(|e| PgError::Transport {
                addr: self.addr,
                reason: e.to_string(),
            })?;
        self.client
            .cancel_token()
            .cancel_query_raw(tcp, tls)
            .await
            .map_err(|e| PgError::Query(e.to_string()))
    }

    /// `SELECT 1`, the doctor's last check.
    pub async fn select_one(&self) -> Result<i32, PgError> {
        let row = self
            .client
            .query_one("SELECT 1", &[])
            .await
            .map_err(|e| PgError::Query(e.to_string()))?;
        row.try_get::<_, i32>(0)
            .map_err(|e| PgError::Query(e.to_string()))
    }
}

impl Drop for PgSession {
    fn drop(&mut self) {
        self.task.abort();
    }
}

fn classify(error: &tokio_postgres::Error, target: &PgTarget, addr: SocketAddr) -> PgError {
    if let Some(db) = error.as_db_error() {
        return PgError::Login {
            user: target.user.clone(),
            code: db.code().code().to_owned(),
            message: db.message().to_owned(),
        };
    }
    if find_rustls(error).is_some() {
        return tls_error(&target.host_name, error);
    }
    if error.code() == Some(&SqlState::INVALID_PASSWORD) {
        return PgError::Login {
            user: target.user.clone(),
            code: "28P01".into(),
            message: error.to_string(),
        };
    }
    let mut reason = error.to_string();
    let mut source = std::error::Error::source(error);
    while let Some(s) = source {
        reason = format!("{reason}: {s}");
        source = s.source();
    }
    PgError::Transport { addr, reason }
}
