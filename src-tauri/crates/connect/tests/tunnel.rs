//! The tunnel against a real SSH server (the sandbox's jump host, `onramp-jumphost`) that
//! forwards to a local echo server: bytes flow both ways, every refusal arrives as its own
//! error, and the session comes back after the server restarts.

use std::{net::SocketAddr, path::Path, sync::Arc, time::Duration};

use onramp_connect::{
    generate_host_key, generate_user_key, CloseReason, KeyPair, Tunnel, TunnelConfig, TunnelError,
    TunnelStatus,
};
use onramp_jumphost::{JumpHost, JumpHostConfig};
use tokio::{
    io::{AsyncReadExt, AsyncWriteExt},
    net::{TcpListener, TcpStream},
};

const TARGET: &str = "10.240.0.9";

struct Rig {
    jump: JumpHost,
    host_key: String,
    user: KeyPair,
    echo: SocketAddr,
    dir: tempfile::TempDir,
}

fn init_tracing() {
    let _ = tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn")),
        )
        .with_test_writer()
        .try_init();
}

/// A loopback server that echoes whatever it gets.
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

async fn start_jump(port: u16, dir: &Path, authorized: &str, echo: SocketAddr) -> JumpHost {
    JumpHost::start(JumpHostConfig {
        listen: SocketAddr::from(([127, 0, 0, 1], port)),
        host_key_path: dir.join("host_key"),
        authorized_keys: vec![authorized.to_owned()],
        forward: Arc::new(move |host: &str, port: u16| {
            (host == TARGET && port == 5432).then_some(echo)
        }),
    })
    .await
    .unwrap()
}

async fn rig() -> Rig {
    init_tracing();
    let dir = tempfile::tempdir().unwrap();
    // The host key Onramp would install through user_data, in the file the server reads.
    let host = generate_host_key().unwrap();
    std::fs::write(
        dir.path().join("host_key"),
        host.pair.private_openssh.expose(),
    )
    .unwrap();
    let user = generate_user_key("tester").unwrap();
    let echo = echo_server().await;
    let jump = start_jump(0, dir.path(), &user.public_line, echo).await;
    Rig {
        jump,
        host_key: host.public_line().to_owned(),
        user,
        echo,
        dir,
    }
}

impl Rig {
    fn config(&self) -> TunnelConfig {
        TunnelConfig {
            jump: self.jump.addr(),
            user: "root".into(),
            private_key: self.user.private_openssh.clone(),
            host_key: self.host_key.clone(),
            target_host: TARGET.into(),
            target_port: 5432,
            idle_timeout: Duration::from_secs(60),
        }
    }
}

/// Sends `text` through the tunnel and expects it back.
async fn round_trip(addr: SocketAddr, text: &str) {
    let mut socket = TcpStream::connect(addr).await.unwrap();
    socket.write_all(text.as_bytes()).await.unwrap();
    let mut back = vec![0u8; text.len()];
    tokio::time::timeout(Duration::from_secs(10), socket.read_exact(&mut back))
        .await
        .expect("the echo came back in time")
        .unwrap();
    assert_eq!(String::from_utf8(back).unwrap(), text);
}

async fn wait_for(status: &mut tokio::sync::watch::Receiver<TunnelStatus>, want: &TunnelStatus) {
    tokio::time::timeout(Duration::from_secs(10), status.wait_for(|s| s == want))
        .await
        .unwrap_or_else(|_| panic!("status never became {want:?}"))
        .unwrap();
}

/// A non-loopback address of this machine, if it has one.
fn outside_address() -> Option<std::net::IpAddr> {
    let socket = std::net::UdpSocket::bind("0.0.0.0:0").ok()?;
    socket.connect("192.0.2.1:9").ok()?;
    let ip = socket.local_addr().ok()?.ip();
    (!ip.is_loopback() && !ip.is_unspecified()).then_some(ip)
}

#[tokio::test]
async fn bytes_flow_both_ways_on_a_loopback_only_port() {
    let rig = rig().await;
    let tunnel = Tunnel::open(rig.config()).await.unwrap();
    let local = tunnel.local_addr();
    assert_eq!(local.ip().to_string(), "127.0.0.1");
    assert_eq!(*tunnel.status().borrow(), TunnelStatus::Open);

    // Several connections at once, each on its own channel.
    let texts: Vec<String> = (0..4)
        .map(|i| format!("hello {i} {}", "x".repeat(i * 10_000)))
        .collect();
    let tasks: Vec<_> = texts
        .iter()
        .cloned()
        .map(|t| tokio::spawn(async move { round_trip(local, &t).await }))
        .collect();
    for task in tasks {
        task.await.unwrap();
    }

    // The port is not reachable from another interface of this machine.
    if let Some(ip) = outside_address() {
        let outside = SocketAddr::new(ip, local.port());
        let attempt =
            tokio::time::timeout(Duration::from_secs(3), TcpStream::connect(outside)).await;
        assert!(
            !matches!(attempt, Ok(Ok(_))),
            "the tunnel answered on {outside}"
        );
    }
    tunnel.close().await;
    assert!(
        TcpStream::connect(local).await.is_err(),
        "still listening after close"
    );
    rig.jump.stop().await;
    let _ = rig.echo;
}

#[tokio::test]
async fn a_server_with_another_host_key_is_refused_with_both_fingerprints() {
    let rig = rig().await;
    let other = generate_host_key().unwrap();
    let mut config = rig.config();
    config.host_key = other.public_line().to_owned();
    let error = Tunnel::open(config).await.unwrap_err();
    match &error {
        TunnelError::HostKeyMismatch {
            expected,
            presented,
        } => {
            assert_eq!(expected, &other.pair.fingerprint);
            assert_eq!(presented, &rig.jump.host_key_fingerprint());
        }
        other => panic!("expected a host key mismatch, got {other:?}"),
    }
    assert!(error.fix().contains("Do not connect"), "{}", error.fix());
    rig.jump.stop().await;
}

#[tokio::test]
async fn a_key_the_server_does_not_know_is_refused() {
    let rig = rig().await;
    let stranger = generate_user_key("stranger").unwrap();
    let mut config = rig.config();
    config.private_key = stranger.private_openssh.clone();
    let error = Tunnel::open(config).await.unwrap_err();
    assert_eq!(
        error,
        TunnelError::AuthRefused {
            user: "root".into(),
            key: stranger.fingerprint.clone()
        }
    );
    rig.jump.stop().await;
}

#[tokio::test]
async fn nothing_listening_is_jump_unreachable() {
    let rig = rig().await;
    let addr = rig.jump.addr();
    let config = rig.config();
    rig.jump.stop().await;
    let error = Tunnel::open(config).await.unwrap_err();
    assert!(
        matches!(&error, TunnelError::JumpUnreachable { addr: a, .. } if *a == addr),
        "{error:?}"
    );
    assert!(error.fix().contains("floating IP"), "{}", error.fix());
}

#[tokio::test]
async fn a_target_the_server_will_not_reach_is_channel_refused() {
    let rig = rig().await;
    let mut config = rig.config();
    config.target_host = "10.240.0.99".into();
    let tunnel = Tunnel::open(config).await.unwrap();
    let error = tunnel.check_target().await.unwrap_err();
    assert!(
        matches!(&error, TunnelError::ChannelRefused { target, .. } if target == "10.240.0.99:5432"),
        "{error:?}"
    );
    assert!(error.fix().contains("5432"), "{}", error.fix());
    // A local connection is accepted and then closed: there is nothing to pipe to.
    let mut socket = TcpStream::connect(tunnel.local_addr()).await.unwrap();
    let mut buf = [0u8; 1];
    let read = tokio::time::timeout(Duration::from_secs(10), socket.read(&mut buf))
        .await
        .expect("closed in time");
    assert!(matches!(read, Ok(0) | Err(_)), "{read:?}");
    // The session itself is fine.
    assert_eq!(*tunnel.status().borrow(), TunnelStatus::Open);
    tunnel.close().await;
    rig.jump.stop().await;
}

#[tokio::test]
async fn a_dropped_session_is_re_established_by_the_next_connection() {
    let rig = rig().await;
    let tunnel = Tunnel::open(rig.config()).await.unwrap();
    let local = tunnel.local_addr();
    round_trip(local, "before").await;

    // The server goes away and comes back on the same port with the same host key.
    let port = rig.jump.addr().port();
    rig.jump.stop().await;
    let mut status = tunnel.status();
    let jump = start_jump(port, rig.dir.path(), &rig.user.public_line, rig.echo).await;
    round_trip(local, "after").await;
    assert_eq!(*status.borrow_and_update(), TunnelStatus::Open);

    // Gone for good: the next connection finds it lost, and the tunnel says why.
    jump.stop().await;
    let _ = TcpStream::connect(local).await;
    let closed = tokio::time::timeout(
        Duration::from_secs(20),
        status.wait_for(|s| matches!(s, TunnelStatus::Closed { .. })),
    )
    .await
    .expect("closed in time")
    .unwrap()
    .clone();
    match closed {
        TunnelStatus::Closed {
            reason: CloseReason::Lost { message },
        } => assert!(message.contains("cannot be reached"), "{message}"),
        other => panic!("{other:?}"),
    }
    tunnel.close().await;
}

#[tokio::test]
async fn an_idle_tunnel_closes_itself() {
    let rig = rig().await;
    let mut config = rig.config();
    config.idle_timeout = Duration::from_millis(800);
    let tunnel = Tunnel::open(config).await.unwrap();
    let local = tunnel.local_addr();
    // Activity keeps it open past the limit.
    for _ in 0..3 {
        round_trip(local, "still here").await;
        tokio::time::sleep(Duration::from_millis(400)).await;
    }
    assert_eq!(*tunnel.status().borrow(), TunnelStatus::Open);
    let mut status = tunnel.status();
    wait_for(
        &mut status,
        &TunnelStatus::Closed {
            reason: CloseReason::Idle,
        },
    )
    .await;
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert!(
        TcpStream::connect(local).await.is_err(),
        "still listening when idle-closed"
    );
    tunnel.close().await;
    rig.jump.stop().await;
}
