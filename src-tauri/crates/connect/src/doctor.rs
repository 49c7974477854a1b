//! The connection doctor: checks the path to the database one hop at a time (DNS → TCP →
//! TLS → login → `SELECT 1`), reports each stage as it runs, and stops at the first
//! failure with its cause and the fix, so a newcomer learns which hop is broken instead of
//! reading "connection refused".

use std::time::Duration;

use onramp_cloud::{HttpClient, Network};
use onramp_secrets::Sensitive;
use serde::Serialize;
use specta::Type;

use crate::{
    postgres::{check_tls, PgSession, PgTarget},
    tunnel::{Tunnel, TunnelConfig, TunnelError},
};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Type)]
#[serde(rename_all = "snake_case")]
pub enum StageKind {
    Dns,
    Tcp,
    Tls,
    Login,
    Query,
}

pub const STAGES: [StageKind; 5] = [
    StageKind::Dns,
    StageKind::Tcp,
    StageKind::Tls,
    StageKind::Login,
    StageKind::Query,
];

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Type)]
#[serde(rename_all = "snake_case")]
pub enum StageStatus {
    Running,
    Passed,
    Failed,
    Skipped,
}

/// One stage's state; `cause` and `fix` are set when it failed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Type)]
pub struct Stage {
    pub kind: StageKind,
    pub status: StageStatus,
    pub detail: String,
    pub cause: Option<String>,
    pub fix: Option<String>,
}

/// The private path and the credential to check.
#[derive(Debug, Clone)]
pub struct DoctorInput {
    /// How addresses are reached: the sandbox's address map, or the real network.
    pub network: Network,
    pub http: HttpClient,
    /// The jump VSI's floating IP and SSH port.
    pub jump_host: String,
    pub jump_port: u16,
    pub ssh_user: String,
    pub private_key: Sensitive<String>,
    /// The pinned host key line.
    pub host_key: String,
    /// The VPE's reserved IP in the VSI's VPC: what the tunnel targets.
    pub vpe_ip: String,
    /// The instance's private host name: what TLS verifies.
    pub host_name: String,
    pub database: String,
    pub user: String,
    pub password: Sensitive<String>,
    pub ca_pem: Option<String>,
}

/// What the doctor found; `stages` always has all five, in order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Type)]
#[serde(rename_all = "camelCase")]
pub struct DoctorReport {
    pub stages: Vec<Stage>,
    /// What `SELECT 1` returned, when it ran.
    pub select_one: Option<i32>,
}

impl DoctorReport {
    pub fn passed(&self) -> bool {
        self.stages.iter().all(|s| s.status == StageStatus::Passed)
    }

    pub fn stage(&self, kind: StageKind) -> &Stage {
        // All five are always present.
        &self.stages[STAGES.iter().position(|k| *k == kind).unwrap_or(0)]
    }

    pub fn first_failure(&self) -> Option<&Stage> {
        self.stages.iter().find(|s| s.status == StageStatus::Failed)
    }
}

struct Failure {
    cause: String,
    fix: String,
}

impl Failure {
    fn new(cause: impl Into<String>, fix: impl Into<String>) -> Failure {
        Failure {
            cause: cause.into(),
            fix: fix.into(),
        }
    }
}

impl From<TunnelError> for Failure {
    fn from(e: TunnelError) -> Failure {
        Failure::new(e.to_string(), e.fix())
    }
}

impl From<crate::postgres::PgError> for Failure {
    fn from(e: crate::postgres::PgError) -> Failure {
        Failure::new(e.to_string(), e.fix())
    }
}

/// How long the doctor's own tunnel may sit idle (it closes it at the end anyway).
const DOCTOR_IDLE: Duration = Duration::from_secs(120);

/// Runs the stages in order, calling `on_stage` when each starts and ends.
pub async fn run(input: &DoctorInput, mut on_stage: impl FnMut(&Stage)) -> DoctorReport {
    let mut stages: Vec<Stage> = Vec::new();
    let mut select_one = None;
    let mut tunnel: Option<Tunnel> = None;
    let mut failed = false;

    for kind in STAGES {
        if failed {
            let stage = Stage {
                kind,
                status: StageStatus::Skipped,
                detail: "Not run: an earlier stage failed.".into(),
                cause: None,
                fix: None,
            };
            on_stage(&stage);
            stages.push(stage);
            continue;
        }
        on_stage(&Stage {
            kind,
            status: StageStatus::Running,
            detail: running_text(kind, input),
            cause: None,
            fix: None,
        });
        let outcome: Result<(StageStatus, String), Failure> = match kind {
            StageKind::Dns => dns(input).await,
            StageKind::Tcp => match tcp(input).await {
                Ok((open, detail)) => {
                    tunnel = Some(open);
                    Ok((StageStatus::Passed, detail))
                }
                Err(f) => Err(f),
            },
            StageKind::Tls => match &tunnel {
                Some(t) => check_tls(t.local_addr(), &input.host_name, input.ca_pem.as_deref())
                    .await
                    .map(|check| {
                        (
                            StageStatus::Passed,
                            format!(
                                "{} with a certificate valid for {} (verify-full).",
                                check.protocol, input.host_name
                            ),
                        )
                    })
                    .map_err(Failure::from),
                None => Err(Failure::new(
                    "the tunnel is not open",
                    "Run the doctor again.",
                )),
            },
            StageKind::Login | StageKind::Query => match &tunnel {
                Some(t) => login_and_query(t, input, kind, &mut select_one).await,
                None => Err(Failure::new(
                    "the tunnel is not open",
                    "Run the doctor again.",
                )),
            },
        };
        let stage = match outcome {
            Ok((status, detail)) => Stage {
                kind,
                status,
                detail,
                cause: None,
                fix: None,
            },
            Err(failure) => {
                failed = true;
                Stage {
                    kind,
                    status: StageStatus::Failed,
                    detail: failed_text(kind).into(),
                    cause: Some(failure.cause),
                    fix: Some(failure.fix),
                }
            }
        };
        on_stage(&stage);
        stages.push(stage);
    }
    if let Some(tunnel) = tunnel {
        tunnel.close().await;
    }
    DoctorReport { stages, select_one }
}

fn running_text(kind: StageKind, input: &DoctorInput) -> String {
    match kind {
        StageKind::Dns => format!(
            "Does {} lead to the VPE at {}?",
            input.host_name, input.vpe_ip
        ),
        StageKind::Tcp => format!(
            "SSH to {}:{} and a channel to {}:5432",
            input.jump_host, input.jump_port, input.vpe_ip
        ),
        StageKind::Tls => format!("TLS with {} (verify-full)", input.host_name),
        StageKind::Login => format!("Log in as {} to {}", input.user, input.database),
        StageKind::Query => "SELECT 1".into(),
    }
}

fn failed_text(kind: StageKind) -> &'static str {
    match kind {
        StageKind::Dns => "The private host name does not lead to the VPE.",
        StageKind::Tcp => "The path through the jump VSI to port 5432 is not open.",
        StageKind::Tls => "The TLS check (verify-full) failed.",
        StageKind::Login => "PostgreSQL refused the login.",
        StageKind::Query => "The query failed.",
    }
}

async fn dns(input: &DoctorInput) -> Result<(StageStatus, String), Failure> {
    match &input.network {
        Network::Direct => Ok((
            StageStatus::Skipped,
            format!(
                "On IBM Cloud {host} resolves only inside the VPC (the VPE's DNS binding), so it can be checked only from the jump VSI: `getent hosts {host}` there should print {ip}. The tunnel does not depend on it: it targets the VPE's reserved IP {ip} itself.",
                host = input.host_name,
                ip = input.vpe_ip
            ),
        )),
        Network::Sandbox { .. } => {
            let by_name = input
                .network
                .resolve(&input.http, &input.host_name, 5432)
                .await
                .map_err(|e| {
                    Failure::new(
                        format!("{} is not a database host name inside the VPC: {}", input.host_name, e.message),
                        "Use the private host name from this database's service credential, and wait until the database is active.",
                    )
                })?;
            let by_vpe = input
                .network
                .resolve(&input.http, &input.vpe_ip, 5432)
                .await
                .map_err(|_| {
                    Failure::new(
                        format!(
                            "no VPE (endpoint gateway) answers at {} for {}: it was deleted or is not ready, so inside the VPC the host name does not lead to it",
                            input.vpe_ip, input.host_name
                        ),
                        "Create the VPE to this database in the jump VSI's VPC (with a reserved IP in its subnet), wait until it is stable, and point the tunnel at that IP.",
                    )
                })?;
            if by_name != by_vpe {
                return Err(Failure::new(
                    format!("the VPE at {} leads to another database than {}", input.vpe_ip, input.host_name),
                    "Use the VPE whose target is this database (or the host name of the database that VPE targets).",
                ));
            }
            Ok((
                StageStatus::Passed,
                format!(
                    "Inside the VPC, {} resolves to the VPE at {} (sandbox address map).",
                    input.host_name, input.vpe_ip
                ),
            ))
        }
    }
}

async fn tcp(input: &DoctorInput) -> Result<(Tunnel, String), Failure> {
    let jump = input
        .network
        .resolve(&input.http, &input.jump_host, input.jump_port)
        .await
        .map_err(|e| {
            let fix = match input.network {
                Network::Sandbox { .. } => "Bind the floating IP to the jump VSI's network interface (and check the VSI exists); in Sandbox mode nothing off this machine is ever dialled.",
                Network::Direct => "Check the floating IP address of the jump VSI.",
            };
            Failure::new(
                format!("{}:{} cannot be reached: {}", input.jump_host, input.jump_port, e.message),
                fix,
            )
        })?;
    let tunnel = Tunnel::open(TunnelConfig {
        jump,
        user: input.ssh_user.clone(),
        private_key: input.private_key.clone(),
        host_key: input.host_key.clone(),
        target_host: input.vpe_ip.clone(),
        target_port: 5432,
        idle_timeout: DOCTOR_IDLE,
    })
    .await?;
    if let Err(e) = tunnel.check_target().await {
        tunnel.close().await;
        return Err(e.into());
    }
    let detail = format!(
        "SSH to {}@{}:{} with the pinned host key; the jump VSI opened {}:5432; local end {}.",
        input.ssh_user,
        input.jump_host,
        input.jump_port,
        input.vpe_ip,
        tunnel.local_addr()
    );
    Ok((tunnel, detail))
}

async fn login_and_query(
    tunnel: &Tunnel,
    input: &DoctorInput,
    kind: StageKind,
    select_one: &mut Option<i32>,
) -> Result<(StageStatus, String), Failure> {
    let target = PgTarget {
        host_name: input.host_name.clone(),
        database: input.database.clone(),
        user: input.user.clone(),
        password: input.password.clone(),
        ca_pem: input.ca_pem.clone(),
    };
    let session = PgSession::connect(tunnel.local_addr(), &target).await?;
    if kind == StageKind::Login {
        return Ok((
            StageStatus::Passed,
            format!("Logged in as {} to {}.", input.user, input.database),
        ));
    }
    let value = session.select_one().await?;
    *select_one = Some(value);
    if value != 1 {
        return Err(Failure::new(
            format!("SELECT 1 returned {value}"),
            "This is not a normal PostgreSQL server; check the VPE's target.",
        ));
    }
    Ok((StageStatus::Passed, "SELECT 1 returned 1.".into()))
}
