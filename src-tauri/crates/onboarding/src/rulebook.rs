//! The rules the window's tests need answers from, by name, JSON in and JSON out. The UI's
//! fake back end answers each rule from `ui/src/test/rules.json`, which holds what these
//! functions (the real ones) said for every input the UI tests asked about: recorded with
//! `npm run rules` (the `onramp-rules` binary answers while the UI tests run), and checked
//! fresh by a Rust test, as `bindings.ts` is. So a rule changed here cannot leave the UI
//! tests green against the old rule.

use std::{net::SocketAddr, path::PathBuf};

use serde::{de::DeserializeOwned, Deserialize, Serialize};
use serde_json::{json, Value};

use onramp_cloud::catalog::Pricing;
use onramp_secrets::Sensitive;

use crate::{
    connect::{commands, CommandInputs, ConnectFiles, Target},
    connectivity::Connectivity,
    cost,
    credential::StoredCredential,
    engine::{self, PrivatePath},
    journal::{Extra, ExtraKind, JournalState, Owner, Phase, StepId, StepRecord},
    plan::{self, DraftPlan, Offerings},
    review,
    settings::Mode,
    users::{self, Recipe},
};

/// Every rule, by name, for the recorder and the freshness check.
pub const RULES: &[&str] = &[
    "validatePlan",
    "suggestedConnectivity",
    "plannedResources",
    "costEstimate",
    "steps",
    "scaleCheck",
    "chooseExisting",
    "teardownPreview",
    "recipePreview",
    "passwordSql",
    "checkRoleName",
    "checkPassword",
    "checkCredentialName",
    "kindOf",
    "checkDatabaseName",
    "connectCommands",
    "connectivityOptions",
    "firstQuery",
    "checkApiKey",
    "nameTaken",
    "refuseApply",
    "doneSummary",
    "plansOverview",
    "accountChanges",
    "monitoringPlans",
    "priceLines",
    "diagram",
];

fn arg<T: DeserializeOwned>(input: &Value, name: &str) -> Result<T, String> {
    serde_json::from_value(input.get(name).cloned().unwrap_or(Value::Null))
        .map_err(|e| format!("input `{name}`: {e}"))
}

fn out(value: impl Serialize) -> Result<Value, String> {
    serde_json::to_value(value).map_err(|e| e.to_string())
}

/// What the rule `rule` says for `input`.
pub fn answer(rule: &str, input: &Value) -> Result<Value, String> {
    match rule {
        "validatePlan" => {
            let plan: DraftPlan = arg(input, "plan")?;
            let offerings: Offerings = arg(input, "offerings")?;
            out(plan::validate(&plan, &offerings))
        }
        "suggestedConnectivity" => {
            let location: String = arg(input, "location")?;
            let plan_id: String = arg(input, "planId")?;
            out(Connectivity::suggested(&location, &plan_id))
        }
        "plannedResources" => {
            let plan: DraftPlan = arg(input, "plan")?;
            let offerings: Offerings = arg(input, "offerings")?;
            out(review::planned_resources(&plan, &offerings))
        }
        "costEstimate" => {
            let plan: DraftPlan = arg(input, "plan")?;
            let pricing: Option<Pricing> = arg(input, "pricing")?;
            let sandbox: bool = arg(input, "sandbox")?;
            out(cost::estimate(&plan, pricing.as_ref(), sandbox))
        }
        "steps" => {
            let plan: DraftPlan = arg(input, "plan")?;
            out(steps(&plan))
        }
        "chooseExisting" => {
            let plan: DraftPlan = arg(input, "plan")?;
            let database: Option<crate::existing::DatabaseListing> = arg(input, "database")?;
            out(match database {
                Some(database) => crate::existing::choose(&plan, &database),
                None => crate::existing::unchoose(&plan),
            })
        }
        "scaleCheck" => {
            let plan: DraftPlan = arg(input, "plan")?;
            let current: crate::scale::Size = arg(input, "current")?;
            let target: crate::scale::Size = arg(input, "target")?;
            let offerings: Offerings = arg(input, "offerings")?;
            out(crate::scale::check(&plan, &current, &target, &offerings))
        }
        "doneSummary" => {
            let state = journal_state(input)?;
            let service: String = arg(input, "keychainService")?;
            let timing = match state.mode {
                Mode::Sandbox => engine::Timing::sandbox(std::time::Duration::from_secs(30)),
                Mode::IbmCloud => engine::Timing::ibm_cloud(),
            };
            out(crate::done::summary(&state, &timing, &service))
        }
        "plansOverview" => {
            let applied: Vec<engine::PlanProgress> = arg(input, "applied")?;
            let current: Option<DraftPlan> = arg(input, "current")?;
            let shelved: Vec<DraftPlan> = arg(input, "shelved")?;
            out(crate::overview::overview(
                &applied,
                current.as_ref(),
                &shelved,
            ))
        }
        "teardownPreview" => {
            let state = journal_state(input)?;
            out(engine::teardown_preview(&state))
        }
        "recipePreview" => {
            let role: String = arg(input, "role")?;
            let recipe: Recipe = arg(input, "recipe")?;
            out(users::recipe_preview(&role, &recipe))
        }
        "passwordSql" => {
            let role: String = arg(input, "role")?;
            out(users::password_sql(&role, None))
        }
        "checkRoleName" => {
            let name: String = arg(input, "name")?;
            let taken: Vec<String> = arg(input, "taken")?;
            out(users::check_role_name(&name, &taken))
        }
        "checkPassword" => {
            let password: String = arg(input, "password")?;
            let role: String = arg(input, "role")?;
            out(users::check_password(&password, &role))
        }
        "checkCredentialName" => {
            let name: String = arg(input, "name")?;
            let taken: Vec<String> = arg(input, "taken")?;
            out(users::check_credential_name(&name, &taken))
        }
        "kindOf" => {
            let name: String = arg(input, "name")?;
            let superuser: bool = arg(input, "superuser")?;
            out(users::kind_of(&name, superuser))
        }
        "checkDatabaseName" => {
            let database: String = arg(input, "database")?;
            let exists: bool = arg(input, "exists")?;
            out(users::database_name_problem(&database, exists))
        }
        "connectCommands" => connect_commands(input),
        "connectivityOptions" => out(crate::connectivity::options::assemble(
            &arg::<String>(input, "location")?,
            &arg::<String>(input, "planId")?,
            arg(input, "sandbox")?,
            arg(input, "zones")?,
            arg(input, "vpcs")?,
            arg(input, "keys")?,
            arg(input, "images")?,
            arg(input, "profiles")?,
        )),
        "firstQuery" => out(crate::connect::FIRST_QUERY),
        "nameTaken" => out(review::name_taken(&arg::<DraftPlan>(input, "plan")?)),
        "refuseApply" => out(crate::plans::refuse_apply(&arg::<Vec<plan::Problem>>(
            input, "problems",
        )?)),
        "checkApiKey" => {
            let key: String = arg(input, "key")?;
            out(crate::account::check_api_key(&key).err())
        }
        "accountChanges" => {
            let plan: DraftPlan = arg(input, "plan")?;
            let current: onramp_cloud::metrics_router::Setting = arg(input, "settings")?;
            let tracker: onramp_cloud::atracker::Settings = arg(input, "tracker")?;
            let routes: Vec<onramp_cloud::atracker::Route> = arg(input, "routes")?;
            let logs: onramp_cloud::logs_router::Setting = arg(input, "logs")?;
            let logs_routes: Vec<onramp_cloud::logs_router::Route> = arg(input, "logsRoutes")?;
            let account = crate::observability::account::metrics_change(&plan, &current)
                .into_iter()
                .chain(crate::observability::account::activity_change(
                    &plan, &tracker, &routes,
                ))
                .chain(crate::observability::account::logs_change(
                    &plan,
                    &logs,
                    &logs_routes,
                ));
            out(account.collect::<Vec<_>>())
        }
        "diagram" => out(review::diagram(&arg::<DraftPlan>(input, "plan")?)),
        "priceLines" => out(arg::<Pricing>(input, "pricing")?
            .metrics
            .iter()
            .filter_map(crate::observability::options::price_line)
            .collect::<Vec<_>>()),
        "monitoringPlans" => out(crate::observability::options::plan_offers(
            arg::<Option<Pricing>>(input, "lite")?.as_ref(),
            arg::<Option<Pricing>>(input, "graduated")?.as_ref(),
        )),
        other => Err(format!("no rule named `{other}`")),
    }
}

/// A step of the plan as the progress view lists it.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct PlannedStep {
    step: StepId,
    label: &'static str,
    name: String,
    optional: bool,
    after: Vec<StepId>,
    place: engine::Place,
}

fn steps(plan: &DraftPlan) -> Vec<PlannedStep> {
    let graph = engine::graph(plan);
    let mut places = engine::places(&graph);
    graph
        .into_iter()
        .map(|(step, after)| {
            let kind = engine::resources::of(step);
            PlannedStep {
                step,
                label: kind.label(),
                name: kind.name(plan),
                optional: kind.optional(),
                after,
                place: places.remove(&step).unwrap_or_default(),
            }
        })
        .collect()
}

/// One step of a journal, as the fake keeps it.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct StepInput {
    step: StepId,
    phase: Phase,
    id: Option<String>,
    name: Option<String>,
    owner: Option<Owner>,
    #[serde(default)]
    started: bool,
    #[serde(default)]
    keychain_entry: Option<String>,
}

/// What the Users step made, as the fake keeps it.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct ExtraInput {
    kind: ExtraKind,
    name: String,
    phase: Phase,
    id: Option<String>,
    keychain_entry: Option<String>,
}

/// A journal's meaning, from the plan, its steps and its extras.
fn journal_state(input: &Value) -> Result<JournalState, String> {
    let plan: DraftPlan = arg(input, "plan")?;
    let mode: Mode = arg(input, "mode")?;
    let steps: Vec<StepInput> = arg(input, "steps")?;
    let extras: Vec<ExtraInput> = arg(input, "extras")?;
    Ok(JournalState {
        plan,
        mode,
        account_id: String::new(),
        opened_at: String::new(),
        steps: steps
            .into_iter()
            .map(|s| {
                let record = StepRecord {
                    phase: s.phase,
                    id: s.id,
                    name: s.name,
                    owner: s.owner,
                    started_at: s.started.then(String::new),
                    keychain_entry: s.keychain_entry,
                    ..StepRecord::default()
                };
                (s.step, record)
            })
            .collect(),
        cancelled: false,
        closed: false,
        teardown_started: false,
        extras: extras
            .into_iter()
            .map(|e| Extra {
                kind: e.kind,
                name: e.name,
                phase: e.phase,
                id: e.id,
                keychain_entry: e.keychain_entry,
            })
            .collect(),
        scale: None,
    })
}

/// The copyable commands for a way in: no secret goes in, none comes out.
fn connect_commands(input: &Value) -> Result<Value, String> {
    let credential = StoredCredential::parse(&Sensitive::new(
        json!({
            "username": arg::<String>(input, "user")?,
            "password": "-",
            "host": arg::<String>(input, "hostName")?,
            "database": arg::<String>(input, "database")?,
        })
        .to_string(),
    ))
    .map_err(|e| e.message)?;
    let target = Target {
        plan_id: arg(input, "planId")?,
        path: PrivatePath {
            ssh_user: arg(input, "sshUser")?,
            ..PrivatePath::default()
        },
        jump_address: arg(input, "jumpAddress")?,
        vpe_address: arg(input, "vpeAddress")?,
        host_name: arg(input, "hostName")?,
        credential,
        private_key: Sensitive::new(String::new()),
        host_key: String::new(),
    };
    let files = ConnectFiles {
        known_hosts: arg::<PathBuf>(input, "knownHosts")?,
        ca: arg(input, "ca")?,
    };
    let jump_socket: SocketAddr = arg::<String>(input, "jumpSocket")?
        .parse()
        .map_err(|e| format!("jumpSocket: {e}"))?;
    let key_file: Option<PathBuf> = arg(input, "keyFile")?;
    out(commands(&CommandInputs {
        target: &target,
        files: &files,
        jump_socket,
        local_port: arg(input, "localPort")?,
        key_file: key_file.as_deref(),
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_rule_answers_and_an_unknown_one_is_named() {
        let plan = json!({"id": "3f2a9c1e-7b4d-4e2a-9f10-5c6d7e8f9a0b", "name": "pg-demo",
            "location": "ca-mon", "resourceGroupId": "g", "members": 2, "hostFlavor": "bx3d.4x20",
            "storageGb": 10, "version": "18", "encryption": {"kind": "ProviderManaged"}, "connectivity": null});
        let offerings = json!({"locations": [], "resourceGroups": []});
        let problems = answer(
            "validatePlan",
            &json!({"plan": plan, "offerings": offerings}),
        )
        .unwrap();
        assert!(problems
            .as_array()
            .unwrap()
            .iter()
            .any(|p| p["field"] == "location"));
        let steps = answer("steps", &json!({"plan": plan})).unwrap();
        assert_eq!(steps[0]["step"], "instance");
        assert!(answer("kindOf", &json!({"name": "ibm_admin", "superuser": false})).is_ok());
        assert!(answer("nope", &json!({})).unwrap_err().contains("nope"));
        assert!(answer("checkPassword", &json!({"role": "x"}))
            .unwrap_err()
            .contains("password"));
    }
}
