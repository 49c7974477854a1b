//! Logging to the platform's log directory (on Linux `~/.local/share/<identifier>/logs`),
//! one file per day. Secrets cannot reach it: they live in `Sensitive`, whose Debug and
//! Display print a placeholder, and no request body is ever logged.

use std::path::Path;

use tracing_subscriber::{fmt, layer::SubscriberExt, util::SubscriberInitExt, EnvFilter};

/// Starts logging; if the log folder cannot be written, logs go to stderr only and the
/// reason comes back for the window to show (a logging failure never stops the app).
pub fn init(log_dir: &Path) -> Result<(), String> {
    let filter = EnvFilter::try_from_env("ONRAMP_LOG").unwrap_or_else(|_| EnvFilter::new("info"));
    let file = std::fs::create_dir_all(log_dir)
        .map_err(|e| e.to_string())
        .and_then(|()| {
            tracing_appender::rolling::Builder::new()
                .rotation(tracing_appender::rolling::Rotation::DAILY)
                .filename_prefix("onramp.log")
                .build(log_dir)
                .map_err(|e| e.to_string())
        });
    let (to_file, problem) = match file {
        Ok(appender) => (
            Some(fmt::layer().with_ansi(false).with_writer(appender)),
            None,
        ),
        Err(why) => (None, Some(why)),
    };
    let to_stderr = (cfg!(debug_assertions) || problem.is_some())
        .then(|| fmt::layer().with_writer(std::io::stderr));
    let _ = tracing_subscriber::registry()
        .with(filter)
        .with(to_file)
        .with(to_stderr)
        .try_init();
    match problem {
        Some(why) => Err(why),
        None => Ok(()),
    }
}
