//! The jump host against the real OpenSSH client (`/usr/bin/ssh`, `ssh-keygen`), the way a
//! user of IBM's tutorial drives it: `ssh -N -L <local>:<VPE ip>:5432 root@<floating ip>`.
//! Everything is loopback and offline; every wait has a deadline.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Output, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use onramp_jumphost::{ForwardFn, JumpHost, JumpHostConfig, JumpHostError, SESSION_BANNER};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::process::{Child, Command};
use tokio::time::timeout;

/// The VPE address the tutorial's database sits behind, and its port.
const VPE_HOST: &str = "10.0.1.5";
const PG_PORT: u16 = 5432;
/// A host the sandbox maps off loopback by mistake: must be refused, never dialled.
const MISMAPPED_HOST: &str = "10.0.1.6";
/// Deadline for a whole test.
const TEST_DEADLINE: Duration = Duration::from_secs(90);
/// Deadline for ssh to authenticate and open its local port, or to exit.
const SSH_DEADLINE: Duration = Duration::from_secs(20);

fn init_tracing() {
    let _ = tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| "onramp_jumphost=info".into()),
        )
        .with_test_writer()
        .try_init();
}

/// Runs a test body under [`TEST_DEADLINE`].
async fn deadline<F: std::future::Future<Output = ()>>(body: F) {
    init_tracing();
    timeout(TEST_DEADLINE, body)
        .await
        .expect("test exceeded its deadline");
}

/// `ssh-keygen -t <kind> -N '' -f <dir>/<name>`; returns the private key path and the
/// public key line.
fn keygen(dir: &Path, name: &str, kind: &str) -> (PathBuf, String) {
    let path = dir.join(name);
    let mut cmd = std::process::Command::new("ssh-keygen");
    cmd.args(["-q", "-t", kind, "-N", "", "-C", name, "-f"])
        .arg(&path);
    if kind == "rsa" {
        cmd.args(["-b", "2048"]);
    }
    let out = cmd.output().expect("run ssh-keygen");
    assert!(out.status.success(), "ssh-keygen: {out:?}");
    let public = std::fs::read_to_string(path.with_extension("pub")).unwrap();
    (path, public.trim().to_owned())
}

/// A loopback TCP echo server standing in for PostgreSQL.
async fn echo_server() -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        while let Ok((mut socket, _)) = listener.accept().await {
            tokio::spawn(async move {
                let (mut r, mut w) = socket.split();
                let _ = tokio::io::copy(&mut r, &mut w).await;
            });
        }
    });
    addr
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

type Calls = Arc<Mutex<Vec<(String, u16)>>>;

/// The sandbox's map: the VPE's PostgreSQL port goes to `echo`; one host is mapped off
/// loopback (a bug the jump host must catch); everything else is refused. Records calls.
fn forward_to(echo: SocketAddr) -> (ForwardFn, Calls) {
    let calls: Calls = Arc::default();
    let seen = calls.clone();
    let forward: ForwardFn = Arc::new(move |host: &str, port: u16| {
        seen.lock().unwrap().push((host.to_owned(), port));
        match (host, port) {
            (VPE_HOST, PG_PORT) => Some(echo),
            (MISMAPPED_HOST, PG_PORT) => Some("192.0.2.1:5432".parse().unwrap()),
            _ => None,
        }
    });
    (forward, calls)
}

struct Fixture {
    dir: tempfile::TempDir,
    host: JumpHost,
    calls: Calls,
    echo: SocketAddr,
    /// The registered key.
    id: PathBuf,
    id_pub: String,
    /// The client's known_hosts, isolated per test.
    known_hosts: PathBuf,
}

impl Fixture {
    async fn new() -> Fixture {
        let dir = tempfile::tempdir().unwrap();
        let (id, id_pub) = keygen(dir.path(), "id", "ed25519");
        let echo = echo_server().await;
        let (forward, calls) = forward_to(echo);
        let host = JumpHost::start(JumpHostConfig {
            listen: "127.0.0.1:0".parse().unwrap(),
            host_key_path: dir.path().join("jump").join("ssh_host_ed25519_key"),
            authorized_keys: vec![id_pub.clone()],
            forward,
        })
        .await
        .unwrap();
        let known_hosts = dir.path().join("known_hosts");
        Fixture {
            dir,
            host,
            calls,
            echo,
            id,
            id_pub,
            known_hosts,
        }
    }
}

/// The user's command, isolated from any ssh configuration, agent or known_hosts of the
/// account running the tests. `extra` goes before the destination.
fn ssh(port: u16, identity: &Path, known_hosts: &Path, strict: &str, extra: &[&str]) -> Command {
    let mut cmd = Command::new("ssh");
    cmd.args(["-F", "/dev/null", "-p", &port.to_string(), "-i"])
        .arg(identity)
        .args([
            "-o",
            "IdentitiesOnly=yes",
            "-o",
            "IdentityAgent=none",
            "-o",
            &format!("StrictHostKeyChecking={strict}"),
            "-o",
        ])
        .arg(format!("UserKnownHostsFile={}", known_hosts.display()))
        .args([
            "-o",
            "GlobalKnownHostsFile=/dev/null",
            "-o",
            "BatchMode=yes",
            "-o",
            "ExitOnForwardFailure=yes",
            "-o",
            "ConnectTimeout=10",
        ])
        .args(extra)
        .arg("root@127.0.0.1")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true);
    cmd
}

/// A running `ssh -N -L` and a connection through its local port.
struct Tunnel {
    child: Child,
    conn: TcpStream,
}

impl Tunnel {
    /// Kills ssh and returns what it printed.
    async fn kill(mut self) -> Output {
        drop(self.conn);
        let _ = self.child.kill().await;
        timeout(SSH_DEADLINE, self.child.wait_with_output())
            .await
            .expect("ssh output after kill")
            .unwrap()
    }
}

/// Starts `ssh -N -L <local>:<target>` and waits until the local port accepts, which
/// OpenSSH opens only after authenticating. The accepted connection is the tunnel's first
/// connection. Fails with ssh's stderr if ssh exits first.
async fn open_tunnel(
    port: u16,
    identity: &Path,
    known_hosts: &Path,
    strict: &str,
    target: &str,
) -> Tunnel {
    let local = free_port();
    let forward = format!("{local}:{target}");
    let mut child = ssh(port, identity, known_hosts, strict, &["-N", "-L", &forward])
        .spawn()
        .expect("run ssh");
    let started = Instant::now();
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            let out = child.wait_with_output().await.unwrap();
            panic!(
                "ssh exited ({status}) before its local port opened: {}",
                String::from_utf8_lossy(&out.stderr)
            );
        }
        if let Ok(conn) = TcpStream::connect(("127.0.0.1", local)).await {
            return Tunnel { child, conn };
        }
        assert!(
            started.elapsed() < SSH_DEADLINE,
            "ssh never opened port {local}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Runs ssh to completion (under [`SSH_DEADLINE`]).
async fn run(mut cmd: Command) -> Output {
    timeout(SSH_DEADLINE, cmd.output())
        .await
        .expect("ssh did not exit in time")
        .expect("run ssh")
}

/// Sends `data` through `conn` and checks the echo comes back whole.
async fn assert_echo(conn: &mut TcpStream, data: &[u8]) {
    let (mut r, mut w) = conn.split();
    let write = async {
        w.write_all(data).await.unwrap();
        w.flush().await.unwrap();
    };
    let mut back = vec![0u8; data.len()];
    let read = r.read_exact(&mut back);
    let (_, read) = timeout(SSH_DEADLINE, async { tokio::join!(write, read) })
        .await
        .expect("echo through the tunnel timed out");
    read.unwrap();
    assert!(back == data, "echo differs");
}

/// The connection is closed by the far side promptly (EOF or reset), without data.
async fn assert_closed(conn: &mut TcpStream) {
    let mut buf = [0u8; 16];
    match timeout(Duration::from_secs(5), conn.read(&mut buf)).await {
        Ok(Ok(0)) | Ok(Err(_)) => {}
        Ok(Ok(n)) => panic!("expected the tunnel to close, got {n} bytes"),
        Err(_) => panic!("the tunnel stayed open"),
    }
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// 1. The tutorial's command works: key login as root, `-L` to the VPE's PostgreSQL port,
///    bytes echoed end to end, including a payload larger than the SSH channel window.
#[tokio::test]
async fn tunnel_reaches_the_mapped_target() {
    deadline(async {
        let f = Fixture::new().await;
        let target = format!("{VPE_HOST}:{PG_PORT}");
        let mut t = open_tunnel(
            f.host.addr().port(),
            &f.id,
            &f.known_hosts,
            "accept-new",
            &target,
        )
        .await;

        assert_echo(&mut t.conn, b"SELECT 1;\n").await;
        let big: Vec<u8> = (0..3 * 1024 * 1024).map(|i| (i * 7 % 251) as u8).collect();
        assert_echo(&mut t.conn, &big).await;

        // A second connection through the same ssh is a second channel, alongside.
        let mut second = TcpStream::connect(t.conn.peer_addr().unwrap())
            .await
            .unwrap();
        assert_echo(&mut second, b"SELECT 2;\n").await;
        assert_echo(&mut t.conn, b"SELECT 3;\n").await;
        let target_calls = vec![(VPE_HOST.to_owned(), PG_PORT); 2];
        assert_eq!(*f.calls.lock().unwrap(), target_calls);
        let known = std::fs::read_to_string(f.known_hosts).unwrap();
        assert!(
            known.contains(&format!("[127.0.0.1]:{}", f.host.addr().port())),
            "{known}"
        );
        assert!(known.contains("ssh-ed25519"), "{known}");
        let _ = t.kill().await;
        f.host.stop().await;
    })
    .await;
}

/// 2. An unregistered key is refused, and so are password and keyboard-interactive
///    attempts: only publickey is offered.
#[tokio::test]
async fn unregistered_key_and_passwords_are_refused() {
    deadline(async {
        let f = Fixture::new().await;
        let (other, _) = keygen(f.dir.path(), "other", "ed25519");
        let port = f.host.addr().port();
        let forward = format!("{}:{VPE_HOST}:{PG_PORT}", free_port());

        let out = run(ssh(
            port,
            &other,
            &f.known_hosts,
            "accept-new",
            &["-N", "-L", &forward],
        ))
        .await;
        assert!(!out.status.success());
        assert!(
            stderr(&out).contains("Permission denied (publickey)"),
            "{}",
            stderr(&out)
        );

        let out = run(ssh(
            port,
            &f.id,
            &f.known_hosts,
            "accept-new",
            &[
                "-N",
                "-o",
                "PreferredAuthentications=password,keyboard-interactive,none",
            ],
        ))
        .await;
        assert!(!out.status.success());
        assert!(
            stderr(&out).contains("Permission denied (publickey)"),
            "{}",
            stderr(&out)
        );
        assert!(f.calls.lock().unwrap().is_empty());
        f.host.stop().await;
    })
    .await;
}

/// 3. A target the sandbox does not map (a public address, another port on the VPE) or
///    maps off loopback is refused: the local connection closes at once, ssh reports
///    "administratively prohibited", and the jump host never dials anything.
#[tokio::test]
async fn unmapped_and_off_loopback_targets_are_refused() {
    deadline(async {
        let f = Fixture::new().await;
        let port = f.host.addr().port();
        for (target, reason) in [
            ("8.8.8.8:5432", "cannot reach that host and port"),
            ("10.0.1.5:22", "cannot reach that host and port"),
            ("10.0.1.6:5432", "target is not on loopback"),
        ] {
            let mut t = open_tunnel(port, &f.id, &f.known_hosts, "accept-new", target).await;
            assert_closed(&mut t.conn).await;
            // ssh logs the refusal after closing the local side; let it.
            tokio::time::sleep(Duration::from_millis(200)).await;
            let out = t.kill().await;
            let err = stderr(&out);
            assert!(
                err.contains("open failed: administratively prohibited"),
                "{target}: {err}"
            );
            assert!(err.contains(reason), "{target}: {err}");
        }
        assert_eq!(
            f.calls.lock().unwrap().as_slice(),
            &[
                ("8.8.8.8".to_owned(), 5432),
                ("10.0.1.5".to_owned(), 22),
                ("10.0.1.6".to_owned(), 5432)
            ]
        );
        f.host.stop().await;
    })
    .await;
}

/// 4. A restart with the same host key file keeps the fingerprint (the one `ssh-keygen
///    -lf` prints), so `StrictHostKeyChecking=yes` still connects; a different key on the
///    same port is rejected by the client, which shows the check is real.
#[tokio::test]
async fn restart_keeps_the_host_key() {
    deadline(async {
        let f = Fixture::new().await;
        let addr = f.host.addr();
        let key_path = f.dir.path().join("jump").join("ssh_host_ed25519_key");
        let fingerprint = f.host.host_key_fingerprint();
        assert!(fingerprint.starts_with("SHA256:"), "{fingerprint}");
        let keygen_says = std::process::Command::new("ssh-keygen")
            .arg("-lf")
            .arg(&key_path)
            .output()
            .unwrap();
        let keygen_says = String::from_utf8_lossy(&keygen_says.stdout).into_owned();
        assert_eq!(
            keygen_says.split_whitespace().nth(1),
            Some(fingerprint.as_str()),
            "{keygen_says}"
        );

        let target = format!("{VPE_HOST}:{PG_PORT}");
        let mut t = open_tunnel(addr.port(), &f.id, &f.known_hosts, "accept-new", &target).await;
        assert_echo(&mut t.conn, b"before restart").await;
        let _ = t.kill().await;
        f.host.stop().await;

        let (forward, _) = forward_to(f.echo);
        let config = JumpHostConfig {
            listen: addr,
            host_key_path: key_path.clone(),
            authorized_keys: vec![f.id_pub.clone()],
            forward,
        };
        let again = JumpHost::start(config.clone()).await.unwrap();
        assert_eq!(again.addr(), addr);
        assert_eq!(again.host_key_fingerprint(), fingerprint);
        let mut t = open_tunnel(addr.port(), &f.id, &f.known_hosts, "yes", &target).await;
        assert_echo(&mut t.conn, b"after restart").await;
        let _ = t.kill().await;
        again.stop().await;

        let impostor = JumpHost::start(JumpHostConfig {
            host_key_path: f.dir.path().join("other_host_key"),
            ..config
        })
        .await
        .unwrap();
        assert_ne!(impostor.host_key_fingerprint(), fingerprint);
        let out = run(ssh(addr.port(), &f.id, &f.known_hosts, "yes", &["-N"])).await;
        assert!(!out.status.success());
        assert!(
            stderr(&out).contains("REMOTE HOST IDENTIFICATION HAS CHANGED"),
            "{}",
            stderr(&out)
        );
        impostor.stop().await;
    })
    .await;
}

/// 5. Replacing the authorized keys applies to the next login: the old key is refused, the
///    new one (an RSA key, which IBM's keys API also takes) gets in. A bad list is refused
///    and leaves the current one in force.
#[tokio::test]
async fn authorized_keys_can_change_while_running() {
    deadline(async {
        let f = Fixture::new().await;
        let port = f.host.addr().port();
        let target = format!("{VPE_HOST}:{PG_PORT}");
        let (rsa, rsa_pub) = keygen(f.dir.path(), "id_rsa", "rsa");

        let out = run(ssh(port, &rsa, &f.known_hosts, "accept-new", &["-N"])).await;
        assert!(
            stderr(&out).contains("Permission denied (publickey)"),
            "{}",
            stderr(&out)
        );

        // A tunnel opened before the change survives it.
        let mut before = open_tunnel(port, &f.id, &f.known_hosts, "accept-new", &target).await;
        f.host
            .set_authorized_keys(vec![format!(
                "# registered via the VPC keys API\n{rsa_pub}"
            )])
            .unwrap();
        assert_echo(&mut before.conn, b"still open").await;
        let _ = before.kill().await;

        let out = run(ssh(port, &f.id, &f.known_hosts, "accept-new", &["-N"])).await;
        assert!(
            stderr(&out).contains("Permission denied (publickey)"),
            "{}",
            stderr(&out)
        );
        let mut t = open_tunnel(port, &rsa, &f.known_hosts, "accept-new", &target).await;
        assert_echo(&mut t.conn, b"rsa key").await;
        let _ = t.kill().await;

        let err = f
            .host
            .set_authorized_keys(vec![f.id_pub.clone(), "ssh-ed25519 garbage".into()])
            .unwrap_err();
        assert!(
            matches!(err, JumpHostError::InvalidAuthorizedKey { index: 1, .. }),
            "{err}"
        );
        let out = run(ssh(port, &f.id, &f.known_hosts, "accept-new", &["-N"])).await;
        assert!(
            stderr(&out).contains("Permission denied (publickey)"),
            "{}",
            stderr(&out)
        );
        f.host.stop().await;
    })
    .await;
}

/// 6. Only loopback: any other listen address is refused before anything is bound or
///    written.
#[tokio::test]
async fn refuses_a_non_loopback_listen_address() {
    deadline(async {
        let dir = tempfile::tempdir().unwrap();
        for listen in ["0.0.0.0:0", "[::]:0", "192.0.2.10:2222"] {
            let listen: SocketAddr = listen.parse().unwrap();
            let err = JumpHost::start(JumpHostConfig {
                listen,
                host_key_path: dir.path().join("host_key"),
                authorized_keys: vec![],
                forward: Arc::new(|_: &str, _: u16| None),
            })
            .await
            .unwrap_err();
            assert!(
                matches!(err, JumpHostError::NotLoopback(a) if a == listen),
                "{err}"
            );
        }
        assert!(!dir.path().join("host_key").exists());
    })
    .await;
}

/// 7. `ssh` without `-N` (a command, or a shell) gets the one-line explanation on stderr
///    and exit status 1, instead of a hang or a cryptic channel failure.
#[tokio::test]
async fn session_requests_get_the_banner() {
    deadline(async {
        let f = Fixture::new().await;
        let port = f.host.addr().port();
        let banner = SESSION_BANNER.trim_end();
        // A command (after the destination), a shell without a terminal, a shell with one.
        for (options, command) in [
            (&[][..], &["psql", "-c", "select 1"][..]),
            (&["-T"][..], &[][..]),
            (&["-tt"][..], &[][..]),
        ] {
            let mut cmd = ssh(port, &f.id, &f.known_hosts, "accept-new", options);
            cmd.args(command);
            let out = run(cmd).await;
            assert_eq!(out.status.code(), Some(1), "{command:?}: {}", stderr(&out));
            assert!(
                stderr(&out).contains(banner),
                "{command:?}: {}",
                stderr(&out)
            );
            assert!(out.stdout.is_empty());
        }
        f.host.stop().await;
    })
    .await;
}

/// `stop` ends live tunnels and frees the port; ssh notices and exits.
#[tokio::test]
async fn stop_closes_live_tunnels() {
    deadline(async {
        let f = Fixture::new().await;
        let addr = f.host.addr();
        let target = format!("{VPE_HOST}:{PG_PORT}");
        let mut t = open_tunnel(addr.port(), &f.id, &f.known_hosts, "accept-new", &target).await;
        assert_echo(&mut t.conn, b"ping").await;
        f.host.stop().await;
        assert_closed(&mut t.conn).await;
        let status = timeout(SSH_DEADLINE, t.child.wait())
            .await
            .expect("ssh did not exit after stop")
            .unwrap();
        assert!(!status.success());
        assert!(
            TcpStream::connect(addr).await.is_err(),
            "still listening after stop"
        );
    })
    .await;
}
