//! The first query: any SQL the user types, run through the tunnel, with its result cut to
//! what the window can show. Rows are read as they arrive and the query is stopped (with
//! PostgreSQL's cancel request) once [`QUERY_ROW_LIMIT`] rows or [`QUERY_BYTE_LIMIT`] bytes
//! are in hand, when the user cancels, or after the server's `statement_timeout`.

use std::{pin::pin, time::Duration};

use futures_util::StreamExt;
use serde::{Deserialize, Serialize};
use specta::Type;
use tokio_postgres::SimpleQueryMessage;
use tokio_util::sync::CancellationToken;

use onramp_connect::postgres::{PgError, PgSession};

use crate::{AppError, ErrorCode};

/// The query the Connect step runs first: who you are, where, and over what.
pub const FIRST_QUERY: &str = "SELECT current_user AS \"user\", current_database() AS database, split_part(version(), ' on ', 1) AS server, s.version AS tls, s.cipher FROM pg_stat_ssl s WHERE s.pid = pg_backend_pid()";
/// Rows beyond this are not read: the query is stopped.
pub const QUERY_ROW_LIMIT: usize = 200;
/// The text of all cells shown, in bytes, beyond which the query is stopped.
pub const QUERY_BYTE_LIMIT: usize = 1024 * 1024;
/// The most of one cell that is shown, in characters.
pub const QUERY_CELL_LIMIT: usize = 4096;
/// The server stops a statement that runs longer (`statement_timeout`).
pub const QUERY_TIMEOUT: Duration = Duration::from_secs(60);
/// The longest SQL text the box takes.
pub const QUERY_TEXT_LIMIT: usize = 64 * 1024;

/// The Connect step's query box.
pub const QUERY_FIELD: &str = "connect.query";

/// A query's answer as text, the way `psql` prints it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Type)]
#[serde(rename_all = "camelCase")]
pub struct QueryResult {
    pub sql: String,
    pub columns: Vec<String>,
    /// `None` is SQL NULL.
    pub rows: Vec<Vec<Option<String>>>,
    /// The rows read (`rows` holds them all unless `stopped`).
    pub row_count: u32,
    /// Onramp stopped the query at the limit (or the user did): there were more rows.
    pub stopped: Option<String>,
    /// The command tag of the last statement, e.g. `SELECT 1`.
    pub command: String,
    pub elapsed_ms: u32,
}

fn sql_error(e: &tokio_postgres::Error) -> AppError {
    let text = match e.as_db_error() {
        Some(db) => {
            let mut text = format!("{} (SQLSTATE {})", db.message(), db.code().code());
            if let Some(detail) = db.detail() {
                text.push_str(&format!(". {detail}"));
            }
            text
        }
        None => PgError::Query(e.to_string()).to_string(),
    };
    AppError::new(ErrorCode::InvalidInput, format!("PostgreSQL: {text}")).at(QUERY_FIELD)
}

/// A cell as shown: at most [`QUERY_CELL_LIMIT`] characters.
fn cell(text: &str) -> String {
    match text.char_indices().nth(QUERY_CELL_LIMIT) {
        None => text.to_owned(),
        Some((cut, _)) => format!(
            "{}… ({} more characters)",
            &text[..cut],
            text[cut..].chars().count()
        ),
    }
}

/// Runs `sql` (one or more statements, simple protocol) and keeps the last result set, read
/// as it arrives and stopped at the limits or when `cancel` fires.
pub async fn run_query(
    session: &PgSession,
    sql: &str,
    cancel: &CancellationToken,
) -> Result<QueryResult, AppError> {
    let sql = sql.trim();
    if sql.is_empty() {
        return Err(AppError::new(ErrorCode::InvalidInput, "Type a query to run.").at(QUERY_FIELD));
    }
    if sql.len() > QUERY_TEXT_LIMIT {
        return Err(AppError::new(
            ErrorCode::InvalidInput,
            format!(
                "The query is {} KB; the box takes up to {} KB.",
                sql.len() / 1024,
                QUERY_TEXT_LIMIT / 1024
            ),
        )
        .at(QUERY_FIELD));
    }
    let client = session.client();
    client
        .batch_execute(&format!(
            "SET statement_timeout = '{}s'",
            QUERY_TIMEOUT.as_secs()
        ))
        .await
        .map_err(|e| sql_error(&e))?;
    let started = std::time::Instant::now();
    let mut result = QueryResult {
        sql: sql.to_owned(),
        columns: Vec::new(),
        rows: Vec::new(),
        row_count: 0,
        stopped: None,
        command: String::new(),
        elapsed_ms: 0,
    };
    let mut stream = pin!(client
        .simple_query_raw(sql)
        .await
        .map_err(|e| sql_error(&e))?);
    let mut fresh = true;
    let mut shown_bytes = 0usize;
    // The cancel request runs beside the reading: the rows already on their way must keep
    // flowing, or the tunnel they share with the cancel request stalls.
    let mut cancelling: Option<
        std::pin::Pin<Box<dyn std::future::Future<Output = ()> + Send + '_>>,
    > = None;
    let mut cancel_sent = false;
    loop {
        if result.stopped.is_some() && !cancel_sent {
            cancel_sent = true;
            cancelling = Some(Box::pin(async {
                if let Err(error) = session.cancel_running().await {
                    tracing::warn!(%error, "the query could not be cancelled; reading it to its end");
                }
            }));
        }
        let next = tokio::select! {
            next = stream.next() => next,
            _ = cancel.cancelled(), if result.stopped.is_none() => {
                result.stopped = Some("You stopped the query.".into());
                continue;
            }
            _ = async { if let Some(c) = cancelling.as_mut() { c.await } }, if cancelling.is_some() => {
                cancelling = None;
                continue;
            }
        };
        let message = match next {
            None => break,
            Some(Ok(message)) => message,
            // The cancel Onramp sent ended the statement: what was read stands.
            Some(Err(e))
                if result.stopped.is_some()
                    && e.code() == Some(&tokio_postgres::error::SqlState::QUERY_CANCELED) =>
            {
                break
            }
            Some(Err(e)) => return Err(sql_error(&e)),
        };
        if result.stopped.is_some() {
            // Draining what the server sent before the cancel reached it.
            continue;
        }
        match message {
            SimpleQueryMessage::RowDescription(columns) => {
                result.columns = columns.iter().map(|c| c.name().to_owned()).collect();
                result.rows.clear();
                result.row_count = 0;
                shown_bytes = 0;
                fresh = false;
            }
            SimpleQueryMessage::Row(row) => {
                if fresh {
                    result.columns = row.columns().iter().map(|c| c.name().to_owned()).collect();
                    fresh = false;
                }
                let cells: Vec<Option<String>> =
                    (0..row.len()).map(|i| row.get(i).map(cell)).collect();
                let bytes = cells.iter().flatten().map(String::len).sum::<usize>();
                // Stopped only when a row beyond the limit arrives: the query still runs.
                if result.rows.len() >= QUERY_ROW_LIMIT {
                    result.stopped = Some(format!(
                        "The query returns more than {QUERY_ROW_LIMIT} rows; Onramp stopped it there."
                    ));
                } else if !result.rows.is_empty() && shown_bytes + bytes > QUERY_BYTE_LIMIT {
                    result.stopped = Some(format!(
                        "The first {} rows hold {} KB of text; Onramp stopped the query there.",
                        result.rows.len(),
                        shown_bytes / 1024
                    ));
                } else {
                    shown_bytes += bytes;
                    result.row_count += 1;
                    result.rows.push(cells);
                }
            }
            SimpleQueryMessage::CommandComplete(n) => {
                result.command = if result.columns.is_empty() {
                    format!("{n} row(s) affected")
                } else {
                    format!("{n} row(s)")
                };
                fresh = true;
            }
            _ => {}
        }
    }
    // A cancel still on its way would reach the session's next statement (PostgreSQL
    // cancels whatever runs when it arrives): it lands before the next query can start.
    if let Some(in_flight) = cancelling {
        in_flight.await;
    }
    if result.stopped.is_some() && result.command.is_empty() {
        result.command = format!("{} row(s) read", result.row_count);
    }
    result.elapsed_ms = u32::try_from(started.elapsed().as_millis()).unwrap_or(u32::MAX);
    Ok(result)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_long_cell_is_cut_and_says_how_much() {
        assert_eq!(cell("short"), "short");
        let long = "é".repeat(QUERY_CELL_LIMIT + 10);
        let shown = cell(&long);
        assert!(
            shown.ends_with("… (10 more characters)"),
            "{}",
            &shown[shown.len() - 40..]
        );
        assert_eq!(
            shown.chars().filter(|c| *c == 'é').count(),
            QUERY_CELL_LIMIT
        );
    }
}
