//! A scripted HTTP/1.1 server on loopback for client tests: the IAM token endpoint always
//! answers with a fresh token, and every other request takes the next scripted reply (or
//! has its connection dropped). Each connection carries one request and is then closed.

use std::{
    collections::{BTreeMap, VecDeque},
    sync::{Arc, Mutex},
};

use tokio::{
    io::{AsyncReadExt, AsyncWriteExt},
    net::{TcpListener, TcpStream},
};
use url::Url;

use onramp_secrets::Sensitive;

use crate::{Cloud, Endpoints, HttpClient, RegionEndpoints, RetryPolicy};

pub(crate) const TEST_API_KEY: &str = "test-api-key-SECRET-d41d8cd98f00";
pub(crate) const TOKEN_PREFIX: &str = "eyJ.SECRET-ACCESS-TOKEN";

pub(crate) enum Reply {
    Respond {
        status: u16,
        headers: Vec<(String, String)>,
        body: String,
    },
    /// Read the request, then close the connection without answering.
    Drop,
}

impl Reply {
    pub(crate) fn json(status: u16, body: &str) -> Self {
        Reply::Respond {
            status,
            headers: Vec::new(),
            body: body.to_owned(),
        }
    }

    pub(crate) fn with_header(self, name: &str, value: &str) -> Self {
        match self {
            Reply::Respond {
                status,
                mut headers,
                body,
            } => {
                headers.push((name.to_owned(), value.to_owned()));
                Reply::Respond {
                    status,
                    headers,
                    body,
                }
            }
            Reply::Drop => Reply::Drop,
        }
    }
}

/// One request the server read.
#[derive(Debug, Clone)]
pub(crate) struct Recorded {
    pub method: String,
    /// Path and query, as sent.
    pub target: String,
    /// Lower-cased names.
    pub headers: BTreeMap<String, String>,
    pub body: String,
}

#[derive(Default)]
struct State {
    script: VecDeque<Reply>,
    api_requests: Vec<Recorded>,
    token_exchanges: u32,
    /// Seconds added to the `expiration` IAM reports: a clock that is off.
    expiration_skew: i64,
}

pub(crate) struct TestServer {
    pub base: Url,
    state: Arc<Mutex<State>>,
}

impl TestServer {
    pub(crate) async fn start(script: Vec<Reply>) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind loopback");
        let address = listener.local_addr().expect("local address");
        let state = Arc::new(Mutex::new(State {
            script: script.into(),
            ..State::default()
        }));
        let shared = state.clone();
        tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                tokio::spawn(serve(stream, shared.clone()));
            }
        });
        TestServer {
            base: Url::parse(&format!("http://{address}/")).expect("loopback URL"),
            state,
        }
    }

    pub(crate) fn url(&self, path: &str) -> Url {
        self.base.join(path).expect("test URL")
    }

    /// Endpoints laid out as the sandbox's `endpoints.json` lays them out.
    pub(crate) fn endpoints(&self) -> Endpoints {
        Endpoints {
            iam: self.url("iam"),
            resource_controller: Some(self.url("rc")),
            global_catalog: Some(self.url("gc/api/v1")),
            cbr: Some(self.url("cbr")),
            global_tagging: Some(self.url("tags")),
            global_search: Some(self.url("search")),
            regions: [(
                "ca-mon".to_owned(),
                RegionEndpoints {
                    vpc: self.url("vpc/ca-mon/v1"),
                    key_protect: self.url("kms/ca-mon"),
                    metrics_router: None,
                    atracker: None,
                    logs_router: None,
                },
            )]
            .into(),
        }
    }

    pub(crate) fn cloud(&self, policy: RetryPolicy) -> Cloud {
        let http = HttpClient::new()
            .expect("HTTP client")
            .with_retry_policy(policy);
        Cloud::with_api_key(http, self.endpoints(), Sensitive::from(TEST_API_KEY)).expect("cloud")
    }

    pub(crate) fn api_requests(&self) -> Vec<Recorded> {
        self.state.lock().expect("state").api_requests.clone()
    }

    /// IAM's `expiration` from now on is `seconds` off (negative: in the past).
    pub(crate) fn skew_iam_clock(&self, seconds: i64) {
        self.state.lock().expect("state").expiration_skew = seconds;
    }

    pub(crate) fn token_exchanges(&self) -> u32 {
        self.state.lock().expect("state").token_exchanges
    }
}

/// Millisecond waits so retry tests take no time, unless a `Retry-After` says otherwise.
pub(crate) fn fast_policy() -> RetryPolicy {
    RetryPolicy {
        max_attempts: 4,
        base_delay: std::time::Duration::from_millis(1),
        max_delay: std::time::Duration::from_secs(2),
        budget: std::time::Duration::from_secs(10),
    }
}

async fn serve(mut stream: TcpStream, state: Arc<Mutex<State>>) {
    let Some(request) = read_request(&mut stream).await else {
        return;
    };
    let reply = if request.target.contains("/identity/token") {
        let mut state = state.lock().expect("state");
        state.token_exchanges += 1;
        let expiration =
            (crate::iam::now_unix() as i64 + 3600 + state.expiration_skew).max(0) as u64;
        Reply::json(
            200,
            &format!(
                r#"{{"access_token":"{TOKEN_PREFIX}-{n}","refresh_token":"not_supported","token_type":"Bearer","expires_in":3600,"expiration":{expiration}}}"#,
                n = state.token_exchanges
            ),
        )
    } else {
        let mut state = state.lock().expect("state");
        state.api_requests.push(request);
        state.script.pop_front().unwrap_or_else(|| {
            Reply::json(
                418,
                r#"{"error_code":"TEST-SCRIPT-EXHAUSTED","message":"the test server had no reply left"}"#,
            )
        })
    };
    match reply {
        Reply::Drop => drop(stream),
        Reply::Respond {
            status,
            headers,
            body,
        } => {
            let mut head = format!(
                "HTTP/1.1 {status} Test\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n",
                body.len()
            );
            for (name, value) in headers {
                head.push_str(&format!("{name}: {value}\r\n"));
            }
            head.push_str("\r\n");
            let _ = stream.write_all(head.as_bytes()).await;
            let _ = stream.write_all(body.as_bytes()).await;
            let _ = stream.shutdown().await;
        }
    }
}

async fn read_request(stream: &mut TcpStream) -> Option<Recorded> {
    let mut buffer = Vec::new();
    let mut chunk = [0u8; 4096];
    let head_end = loop {
        if let Some(at) = buffer.windows(4).position(|w| w == b"\r\n\r\n") {
            break at + 4;
        }
        let read = stream.read(&mut chunk).await.ok()?;
        if read == 0 {
            return None;
        }
        buffer.extend_from_slice(&chunk[..read]);
    };
    let head = String::from_utf8_lossy(&buffer[..head_end]).into_owned();
    let mut lines = head.split("\r\n");
    let mut request_line = lines.next()?.split(' ');
    let method = request_line.next()?.to_owned();
    let target = request_line.next()?.to_owned();
    let headers: BTreeMap<String, String> = lines
        .filter_map(|line| line.split_once(':'))
        .map(|(name, value)| (name.trim().to_ascii_lowercase(), value.trim().to_owned()))
        .collect();
    let length: usize = headers
        .get("content-length")
        .and_then(|l| l.parse().ok())
        .unwrap_or(0);
    while buffer.len() < head_end + length {
        let read = stream.read(&mut chunk).await.ok()?;
        if read == 0 {
            break;
        }
        buffer.extend_from_slice(&chunk[..read]);
    }
    let body_end = buffer.len().min(head_end + length);
    Some(Recorded {
        method,
        target,
        headers,
        body: String::from_utf8_lossy(&buffer[head_end..body_end]).into_owned(),
    })
}
