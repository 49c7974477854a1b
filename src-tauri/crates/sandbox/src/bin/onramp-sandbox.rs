//! `onramp-sandbox`: a local, loopback-only IBM Cloud. See `--help`.
//!
//! Serves until SIGINT or SIGTERM, then stops the database and SSH servers it started.
//! Prints one line when ready:
//! `onramp-sandbox listening on http://127.0.0.1:PORT endpoints=DIR/endpoints.json`,
//! then, when it made the API key itself, `onramp-sandbox api_key=KEY (…)`.
#![cfg_attr(not(test), deny(clippy::unwrap_used, clippy::expect_used))]

use std::{net::SocketAddr, path::PathBuf, process::ExitCode};

use onramp_sandbox::{FaultSpec, RunningSandbox, SandboxConfig};

const HELP: &str = "\
onramp-sandbox: a local IBM Cloud for rehearsing and testing Onramp (and IBM's own SDKs)

usage: onramp-sandbox --state-dir DIR [--listen 127.0.0.1:PORT] [--api-key KEY]
                      [--provision-seconds N] [--token-seconds N] [--faults SPEC]
                      [--logs-routing-v1]

  --state-dir DIR          where the account, resources, databases and CA live; reusing
                           it after a restart keeps everything (required)
  --listen ADDR            loopback address and port (default 127.0.0.1:0, a free port)
  --api-key KEY            the account owner's API key (default: a new one at each start,
                           printed after the ready line; DIR keeps only its hash)
  --provision-seconds N    how long a database takes to provision (default 30; the real
                           service takes 15-20 minutes)
  --token-seconds N        lifetime of IAM tokens (default 3600, as IAM)
  --logs-routing-v1        the account still uses Logs Routing v1: settings say
                           api_version 1, v1 tenants work, v3 targets and routes are refused
  --faults SPEC            inject faults, e.g. 'rc:status=503@first=2;vpc:throttle=1@rate=0.1;seed=7'
                           rules: [API[.METHOD]:]ACTION[@WHEN], API one of iam rc gc vpc cbr kms
                                  tags search metrics-router atracker logs-router *
                           ACTION latency=MS | status=CODE | throttle=SECONDS | reset |
                                  expire-token | provision-fail
                           WHEN   always | rate=P | first=N | calls=N,N
                           change them at run time: PUT /sandbox/faults {\"spec\": \"...\"}

On start it writes DIR/endpoints.json: the account id and each service's base URL exactly as
IBM's SDKs take it (iam, resource_controller, global_catalog, cbr, global_tagging,
global_search, and per region vpc, key_protect, metrics_router, atracker, logs_router and
logs_router_v1). No API key or password is written to
DIR. For example, with IBM's Python SDK and --api-key \"$KEY\":

  ep = json.load(open('DIR/endpoints.json'))
  auth = IAMAuthenticator(os.environ['KEY'], url=ep['iam'])
  rc = ResourceControllerV2(authenticator=auth); rc.set_service_url(ep['resource_controller'])

Databases are real PostgreSQL servers (the machine's initdb and pg_ctl) with TLS from the
sandbox CA (DIR/ca.pem); VPC instances are real SSH servers. The addresses the APIs show are
virtual: GET /sandbox/addresses maps each to the loopback socket behind it.
POST /sandbox/members {\"name\": \"...\"} with the owner's bearer token adds another user of
the account and answers its API key, so resources can be made by someone other than the owner.
Only ever listens on loopback.";

fn parse(args: &[String]) -> Result<SandboxConfig, String> {
    let mut listen: Option<SocketAddr> = None;
    let mut state_dir: Option<PathBuf> = None;
    let mut api_key = None;
    let mut token_seconds = 3600;
    let mut provision_seconds = 30.0;
    let mut faults = FaultSpec::default();
    let mut logs_routing_v1 = false;
    let mut it = args.iter();
    while let Some(flag) = it.next() {
        let mut value = || {
            it.next()
                .cloned()
                .ok_or_else(|| format!("{flag} needs a value (see --help)"))
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
            "--provision-seconds" => {
                provision_seconds = value()?
                    .parse::<f64>()
                    .ok()
                    .filter(|s| *s >= 0.0)
                    .ok_or("--provision-seconds needs a number of seconds, 0 or more")?
            }
            "--faults" => faults = FaultSpec::parse(&value()?)?,
            "--logs-routing-v1" => logs_routing_v1 = true,
            "-h" | "--help" => return Err(HELP.into()),
            other => return Err(format!("unknown argument {other} (see --help)")),
        }
    }
    let mut config = SandboxConfig::new(
        state_dir.ok_or_else(|| "--state-dir is required (see --help)".to_owned())?,
    );
    if let Some(listen) = listen {
        config.listen = listen;
    }
    config.api_key = api_key;
    config.token_seconds = token_seconds;
    config.provision_seconds = provision_seconds;
    config.faults = faults;
    config.logs_routing_v1 = logs_routing_v1;
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
            let help = args.iter().any(|a| a == "-h" || a == "--help");
            if help {
                println!("{message}");
                return ExitCode::SUCCESS;
            }
            eprintln!("onramp-sandbox: {message}");
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
    if sandbox.made_api_key() {
        // Written nowhere else: the state dir keeps only its hash.
        println!(
            "onramp-sandbox api_key={} (made at this start and written nowhere; pass --api-key to choose one)",
            sandbox.account().api_key
        );
    }
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
