//! `onramp-sandbox --listen 127.0.0.1:0 --state-dir DIR [--api-key KEY] [--token-seconds N]`
//!
//! Serves the sandbox until SIGINT or SIGTERM. Prints one line when ready:
//! `onramp-sandbox listening on http://127.0.0.1:PORT endpoints=DIR/endpoints.json`.

use std::{net::SocketAddr, path::PathBuf, process::ExitCode};

use onramp_sandbox::{RunningSandbox, SandboxConfig};

const USAGE: &str = "usage: onramp-sandbox --listen 127.0.0.1:PORT --state-dir DIR [--api-key KEY] [--token-seconds N]";

fn parse(args: &[String]) -> Result<SandboxConfig, String> {
    let mut listen: Option<SocketAddr> = None;
    let mut state_dir: Option<PathBuf> = None;
    let mut api_key = None;
    let mut token_seconds = 3600;
    let mut it = args.iter();
    while let Some(flag) = it.next() {
        let mut value = || {
            it.next()
                .cloned()
                .ok_or_else(|| format!("{flag} needs a value\n{USAGE}"))
        };
        match flag.as_str() {
            "--listen" => listen = Some(value()?.parse().map_err(|e| format!("--listen: {e}"))?),
            "--state-dir" => state_dir = Some(PathBuf::from(value()?)),
            "--api-key" => api_key = Some(value()?),
            "--token-seconds" => {
                token_seconds = value()?
                    .parse()
                    .map_err(|e| format!("--token-seconds: {e}"))?
            }
            "-h" | "--help" => return Err(USAGE.into()),
            other => return Err(format!("unknown argument {other}\n{USAGE}")),
        }
    }
    let mut config =
        SandboxConfig::new(state_dir.ok_or_else(|| format!("--state-dir is required\n{USAGE}"))?);
    if let Some(listen) = listen {
        config.listen = listen;
    }
    config.api_key = api_key;
    config.token_seconds = token_seconds;
    Ok(config)
}

#[tokio::main]
async fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into()),
        )
        .with_writer(std::io::stderr)
        .init();
    let args: Vec<String> = std::env::args().skip(1).collect();
    let config = match parse(&args) {
        Ok(config) => config,
        Err(message) => {
            eprintln!("{message}");
            return ExitCode::from(2);
        }
    };
    let sandbox = match RunningSandbox::start(config).await {
        Ok(sandbox) => sandbox,
        Err(error) => {
            eprintln!("onramp-sandbox: {error}");
            return ExitCode::FAILURE;
        }
    };
    println!(
        "onramp-sandbox listening on http://{} endpoints={}",
        sandbox.addr(),
        sandbox.endpoints_path().display()
    );
    wait_for_signal().await;
    sandbox.stop().await;
    ExitCode::SUCCESS
}

async fn wait_for_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        if let Ok(mut term) = signal(SignalKind::terminate()) {
            tokio::select! {
                _ = tokio::signal::ctrl_c() => {}
                _ = term.recv() => {}
            }
            return;
        }
    }
    let _ = tokio::signal::ctrl_c().await;
}
