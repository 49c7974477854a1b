//! Logging to the platform's log directory (on Linux `~/.local/share/<identifier>/logs`),
//! one file per day. Secrets cannot reach it: they live in `Sensitive`, whose Debug and
//! Display print a placeholder, and no request body is ever logged.

use std::path::Path;

use tracing_subscriber::{fmt, layer::SubscriberExt, util::SubscriberInitExt, EnvFilter};

pub fn init(log_dir: &Path) {
    let filter = EnvFilter::try_from_env("ONRAMP_LOG").unwrap_or_else(|_| EnvFilter::new("info"));
    let to_file = std::fs::create_dir_all(log_dir).ok().map(|()| {
        let appender = tracing_appender::rolling::daily(log_dir, "onramp.log");
        fmt::layer().with_ansi(false).with_writer(appender)
    });
    let to_stderr = cfg!(debug_assertions).then(|| fmt::layer().with_writer(std::io::stderr));
    let _ = tracing_subscriber::registry()
        .with(filter)
        .with(to_file)
        .with(to_stderr)
        .try_init();
}
