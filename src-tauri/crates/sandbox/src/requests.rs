//! The sandbox's record of the API calls it answered, so a flow's calls can be counted
//! against what it needs (issue 18): when, which API, method, path, query and status.
//! Bodies are not kept: an IAM token exchange carries an API key.

use std::{
    collections::VecDeque,
    sync::{Arc, Mutex},
    time::Instant,
};

use axum::{
    extract::{Request, State},
    middleware::Next,
    response::{IntoResponse, Response},
    Json,
};
use serde::Serialize;

use crate::{api::Api, server::AppState};

/// The most calls kept; older ones are dropped first, so a long-running sandbox stays bounded.
const KEPT: usize = 50_000;

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RequestRecord {
    /// Milliseconds since the sandbox started.
    pub at_ms: u64,
    /// The API's name, as the contract names it ("Resource Controller", "VPC", …).
    pub api: &'static str,
    pub method: String,
    pub path: String,
    pub query: Option<String>,
    pub status: u16,
}

pub(crate) struct RequestLog {
    started: Instant,
    entries: Mutex<VecDeque<RequestRecord>>,
}

impl Default for RequestLog {
    fn default() -> Self {
        RequestLog {
            started: Instant::now(),
            entries: Mutex::new(VecDeque::new()),
        }
    }
}

impl RequestLog {
    fn push(&self, record: RequestRecord) {
        let mut entries = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        if entries.len() == KEPT {
            entries.pop_front();
        }
        entries.push_back(record);
    }

    pub(crate) fn all(&self) -> Vec<RequestRecord> {
        self.entries
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .iter()
            .cloned()
            .collect()
    }

    pub(crate) fn clear(&self) {
        self.entries
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clear();
    }
}

/// Records every call to one of the cloud's APIs (not the sandbox's own endpoints), with
/// the status it was answered with, faults included.
pub(crate) async fn record(
    State(state): State<Arc<AppState>>,
    request: Request,
    next: Next,
) -> Response {
    let Some(api) = Api::for_path(request.uri().path()) else {
        return next.run(request).await;
    };
    let method = request.method().to_string();
    let path = request.uri().path().to_owned();
    let query = request.uri().query().map(str::to_owned);
    let at_ms = state.requests.started.elapsed().as_millis() as u64;
    let response = next.run(request).await;
    state.requests.push(RequestRecord {
        at_ms,
        api: api.name(),
        method,
        path,
        query,
        status: response.status().as_u16(),
    });
    response
}

/// `GET /sandbox/requests`: the calls recorded so far, oldest first.
pub(crate) async fn get_requests(State(state): State<Arc<AppState>>) -> Response {
    Json(state.requests.all()).into_response()
}

/// `DELETE /sandbox/requests`: forgets them, so a flow can be counted from a clean start.
pub(crate) async fn clear_requests(State(state): State<Arc<AppState>>) -> Response {
    state.requests.clear();
    axum::http::StatusCode::NO_CONTENT.into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(n: u64) -> RequestRecord {
        RequestRecord {
            at_ms: n,
            api: "VPC",
            method: "GET".into(),
            path: format!("/v1/vpcs/{n}"),
            query: None,
            status: 200,
        }
    }

    #[test]
    fn the_log_keeps_the_newest_calls_and_stays_bounded() {
        let log = RequestLog::default();
        for n in 0..(KEPT as u64 + 5) {
            log.push(record(n));
        }
        let all = log.all();
        assert_eq!(all.len(), KEPT);
        assert_eq!(all[0].at_ms, 5);
        assert_eq!(all.last().unwrap().at_ms, KEPT as u64 + 4);
        log.clear();
        assert!(log.all().is_empty());
    }
}
