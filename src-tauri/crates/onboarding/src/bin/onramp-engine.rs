//! The apply engine as a process of its own, so tests can kill it for real (SIGKILL) at any
//! point and start it again on the same journal. Also handy to apply or tear down a plan
//! without the window.
//!
//! ```text
//! onramp-engine apply|teardown --endpoints FILE --journals DIR --keychain-service NAME
//!               [--plan FILE] [--retry-failed] [--provision-seconds N]
//! onramp-engine scale --plan-id ID --endpoints FILE --journals DIR --keychain-service NAME
//!               [--members N --host-flavor NAME --storage-gb N]
//! onramp-engine export --format cli|curl|terraform --plan FILE [--journals DIR]
//!               [--resource-group-name NAME] [--account-id ID]
//! ```
//! `export` prints the plan as an `ibmcloud` script or a Terraform configuration; with the
//! plan's journal in `--journals`, the Terraform form imports what the plan made.
//! `scale` scales the plan's database to the size given (each part defaults to the plan's),
//! or, given none, carries on with the scale its journal has under way.
//! The API key is `$ONRAMP_API_KEY` (the sandbox's endpoints file holds none). Progress goes to stdout as one JSON line per change; the exit status
//! is 0 when the plan ended `Succeeded` (apply) or `TornDown` (teardown).
#![cfg_attr(not(test), deny(clippy::unwrap_used, clippy::expect_used))]

use std::{path::PathBuf, process::ExitCode, time::Duration};

use onramp_cloud::{Cloud, Endpoints, HttpClient};
use onramp_onboarding::{
    engine::{self, EngineContext, Outcome, Timing},
    export::{self, ExportFormat, Known},
    journal::Journal,
    plan::DraftPlan,
    scale,
    settings::Mode,
};
use onramp_secrets::{Keychain, Sensitive};

struct Args {
    command: String,
    endpoints: PathBuf,
    journals: PathBuf,
    keychain_service: String,
    plan: Option<PathBuf>,
    plan_id: Option<String>,
    retry_failed: bool,
    provision_seconds: f64,
    format: Option<String>,
    resource_group_name: Option<String>,
    account_id: Option<String>,
    members: Option<i64>,
    host_flavor: Option<String>,
    storage_gb: Option<i64>,
}

fn parse() -> Result<Args, String> {
    let mut raw = std::env::args().skip(1);
    let command = raw.next().ok_or("usage: onramp-engine apply|teardown …")?;
    let mut args = Args {
        command,
        endpoints: PathBuf::new(),
        journals: PathBuf::new(),
        keychain_service: String::new(),
        plan: None,
        plan_id: None,
        retry_failed: false,
        provision_seconds: 30.0,
        format: None,
        resource_group_name: None,
        account_id: None,
        members: None,
        host_flavor: None,
        storage_gb: None,
    };
    while let Some(flag) = raw.next() {
        let mut value = || raw.next().ok_or(format!("{flag} needs a value"));
        match flag.as_str() {
            "--endpoints" => args.endpoints = value()?.into(),
            "--journals" => args.journals = value()?.into(),
            "--keychain-service" => args.keychain_service = value()?,
            "--plan" => args.plan = Some(value()?.into()),
            "--plan-id" => args.plan_id = Some(value()?),
            "--retry-failed" => args.retry_failed = true,
            "--format" => args.format = Some(value()?),
            "--resource-group-name" => args.resource_group_name = Some(value()?),
            "--account-id" => args.account_id = Some(value()?),
            "--members" => {
                args.members = Some(value()?.parse().map_err(|_| "--members: a number")?)
            }
            "--host-flavor" => args.host_flavor = Some(value()?),
            "--storage-gb" => {
                args.storage_gb = Some(value()?.parse().map_err(|_| "--storage-gb: a number")?)
            }
            "--provision-seconds" => {
                args.provision_seconds = value()?.parse().map_err(|_| "a number of seconds")?
            }
            other => return Err(format!("unknown argument {other}")),
        }
    }
    if args.keychain_service.is_empty() && args.command != "export" {
        return Err("--keychain-service is required".into());
    }
    Ok(args)
}

async fn run(args: Args) -> Result<Outcome, String> {
    let endpoints = Endpoints::from_file(&args.endpoints).map_err(|e| e.message)?;
    let text = std::fs::read_to_string(&args.endpoints).map_err(|e| e.to_string())?;
    let file: serde_json::Value = serde_json::from_str(&text).map_err(|e| e.to_string())?;
    let api_key = std::env::var("ONRAMP_API_KEY")
        .ok()
        .filter(|k| !k.is_empty())
        .ok_or("no API key: set ONRAMP_API_KEY")?;
    let account_id = file["account_id"].as_str().unwrap_or_default().to_owned();
    let http = HttpClient::new().map_err(|e| e.message)?;
    let cloud =
        Cloud::with_api_key(http, endpoints, Sensitive::new(api_key)).map_err(|e| e.message)?;
    let ctx = EngineContext {
        cloud,
        keychain: Keychain::new(args.keychain_service.clone()),
        timing: Timing::sandbox(Duration::from_secs_f64(args.provision_seconds)),
    };
    let job = match args.command.as_str() {
        "apply" => {
            let plan_file = args.plan.ok_or("apply needs --plan")?;
            let plan: DraftPlan = serde_json::from_str(
                &std::fs::read_to_string(&plan_file).map_err(|e| e.to_string())?,
            )
            .map_err(|e| e.to_string())?;
            let journal = if Journal::exists(&args.journals, &plan.id) {
                Journal::open(&args.journals, &plan.id)
            } else {
                Journal::create(&args.journals, &plan, Mode::Sandbox, &account_id)
            }
            .map_err(|e| e.message)?;
            engine::apply(ctx, journal, args.retry_failed)
        }
        "scale" => return scale(&ctx, &args).await,
        "teardown" => {
            let id = args.plan_id.ok_or("teardown needs --plan-id")?;
            let journal = Journal::open(&args.journals, &id).map_err(|e| e.message)?;
            engine::teardown(ctx, journal)
        }
        other => return Err(format!("unknown command {other}")),
    };
    let mut progress = job.progress.clone();
    let printer = tokio::spawn(async move {
        while progress.changed().await.is_ok() {
            let line = serde_json::to_string(&*progress.borrow_and_update()).unwrap_or_default();
            println!("{line}");
        }
    });
    let last = job.done.await.map_err(|e| e.to_string())?;
    let _ = printer.await;
    println!("{}", serde_json::to_string(&last).unwrap_or_default());
    Ok(last.outcome.unwrap_or(Outcome::Interrupted))
}

/// `scale`: to the size given (checked by the same rules as the Scale panel), or on with
/// the journal's scale under way; one JSON line per change.
async fn scale(ctx: &EngineContext, args: &Args) -> Result<Outcome, String> {
    let id = args.plan_id.as_deref().ok_or("scale needs --plan-id")?;
    let mut journal = Journal::open(&args.journals, id).map_err(|e| e.message)?;
    let plan = journal.state().plan.clone();
    let asked = args.members.is_some() || args.host_flavor.is_some() || args.storage_gb.is_some();
    let target = if asked {
        let now = scale::Size::of(&plan);
        let target = scale::Size {
            members: args.members.unwrap_or(now.members),
            host_flavor: args.host_flavor.clone().unwrap_or(now.host_flavor),
            storage_gb: args.storage_gb.unwrap_or(now.storage_gb),
        };
        let account = journal.state().account_id.clone();
        let offerings = onramp_onboarding::offerings::load(&ctx.cloud, &account)
            .await
            .map_err(|e| e.message)?;
        let preview = scale::preview(&ctx.cloud, journal.state(), target.clone(), &offerings)
            .await
            .map_err(|e| e.message)?;
        if let Some(problem) = preview.problems.first() {
            return Err(format!("{}: {}", problem.field, problem.message));
        }
        Some(target)
    } else {
        None
    };
    scale::run(&ctx.cloud, &mut journal, target, &ctx.timing, |p| {
        println!("{}", serde_json::to_string(p).unwrap_or_default());
    })
    .await
    .map_err(|e| e.message)?;
    Ok(Outcome::Succeeded)
}

/// `export`: the plan (and its journal, when there is one) in the asked form, on stdout.
fn export(args: &Args) -> Result<String, String> {
    let format = args
        .format
        .as_deref()
        .and_then(ExportFormat::parse)
        .ok_or("export needs --format cli, curl or terraform")?;
    let plan_file = args.plan.as_ref().ok_or("export needs --plan")?;
    let plan: DraftPlan =
        serde_json::from_str(&std::fs::read_to_string(plan_file).map_err(|e| e.to_string())?)
            .map_err(|e| e.to_string())?;
    let state =
        if !args.journals.as_os_str().is_empty() && Journal::exists(&args.journals, &plan.id) {
            Some(Journal::read_plan(&args.journals, &plan.id).map_err(|e| e.message)?)
        } else {
            None
        };
    let known = Known {
        resource_group_name: args.resource_group_name.as_deref(),
        account_id: args.account_id.as_deref(),
    };
    let plan = state.as_ref().map(|s| s.plan.clone()).unwrap_or(plan);
    Ok(export::export(&plan, state.as_ref(), known, format)
        .map_err(|e| e.message)?
        .text)
}

#[tokio::main]
async fn main() -> ExitCode {
    let args = match parse() {
        Ok(args) => args,
        Err(why) => {
            eprintln!("onramp-engine: {why}");
            return ExitCode::from(2);
        }
    };
    if args.command == "export" {
        return match export(&args) {
            Ok(text) => {
                print!("{text}");
                ExitCode::SUCCESS
            }
            Err(why) => {
                eprintln!("onramp-engine: {why}");
                ExitCode::from(2)
            }
        };
    }
    match run(args).await {
        Ok(Outcome::Succeeded | Outcome::TornDown) => ExitCode::SUCCESS,
        Ok(other) => {
            eprintln!("onramp-engine: ended {other:?}");
            ExitCode::from(1)
        }
        Err(why) => {
            eprintln!("onramp-engine: {why}");
            ExitCode::from(2)
        }
    }
}
