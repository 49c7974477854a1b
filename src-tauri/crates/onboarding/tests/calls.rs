//! Issue 18: the cloud API calls of a full flow (apply with the private path, the
//! connection doctor, teardown), counted by the sandbox, against the minimum the flow
//! needs; and the pace of polling. Quick here (databases take 3 s); `./onramp.sh bench`
//! runs it with `ONRAMP_CALLS_PROVISION_SECONDS=100`, so polls after the first minute show.
//!
//! The minimum, per resource the plan makes: apply looks once for what already exists
//! (the ownership proof: one list, two for the database whose failed namesakes RC lists
//! apart, the security group's rules for a rule), creates it once, and reads it once more
//! when its create is asynchronous (to see it ready); teardown deletes it once and, when
//! its delete is asynchronous, reads it once to see it gone. Every read of one resource
//! beyond those is a poll: the rest of the flow's calls are held to the minimum + 10 %,
//! and polls to their pace: after the first minute of waiting, at most one per 10 s.

mod support;

use std::collections::{BTreeMap, HashSet};

use onramp_onboarding::{engine::Outcome, journal::StepId};
use onramp_sandbox::RequestRecord;

use support::Env;

/// Calls apply needs for one resource of `step`: looks, the create, and a read to see it
/// ready when the create is asynchronous.
fn apply_minimum(step: StepId) -> usize {
    match step {
        StepId::Instance => 2 + 1 + 1,
        StepId::ManagerKey | StepId::SshKey | StepId::SshRule | StepId::PostgresRule => 1 + 1,
        StepId::Vpc | StepId::Subnet | StepId::JumpVsi | StepId::FloatingIp | StepId::Vpe => {
            1 + 1 + 1
        }
        other => panic!("no minimum written for {other:?}"),
    }
}

/// Calls teardown needs for one resource of `step`: the delete, and a read to see it gone
/// when the delete is asynchronous.
fn teardown_minimum(step: StepId) -> usize {
    match step {
        StepId::ManagerKey | StepId::SshKey | StepId::SshRule | StepId::PostgresRule => 1,
        _ => 2,
    }
}

fn url(c: &RequestRecord) -> String {
    let query = c
        .query
        .as_deref()
        .map(|q| format!("?{q}"))
        .unwrap_or_default();
    format!("{} {}{query}", c.method, c.path.replace("%2F", "/"))
}

/// The reads of one resource (the path ends with its id or CRN) after the first: polls.
fn polls<'a>(calls: &'a [RequestRecord], ids: &HashSet<String>) -> Vec<&'a RequestRecord> {
    let mut seen = HashSet::new();
    calls
        .iter()
        .filter(|c| {
            let path = c.path.replace("%2F", "/");
            c.method == "GET"
                && ids.iter().any(|id| path.ends_with(&format!("/{id}")))
                && !seen.insert(url(c))
        })
        .collect()
}

/// The shortest gap between two reads of one resource, among reads made more than a
/// minute after its first read: `None` when no read came that late.
fn slowest_pace(calls: &[RequestRecord]) -> Option<(String, u64)> {
    let mut by: BTreeMap<String, Vec<u64>> = BTreeMap::new();
    for c in calls.iter().filter(|c| c.method == "GET") {
        by.entry(url(c)).or_default().push(c.at_ms);
    }
    by.into_iter()
        .filter_map(|(url, at)| {
            let first = at[0];
            at.windows(2)
                .filter(|w| w[1] > first + 60_000)
                .map(|w| w[1] - w[0])
                .min()
                .map(|gap| (url, gap))
        })
        .min_by_key(|(_, gap)| *gap)
}

fn report(phase: &str, calls: &[RequestRecord], minimum: usize, ids: &HashSet<String>) -> usize {
    let polled = polls(calls, ids);
    let rest = calls.len() - polled.len();
    println!(
        "{phase}: {} calls, {} of them polls; the other {rest} against a minimum of {minimum} (ratio {:.2})",
        calls.len(),
        polled.len(),
        rest as f64 / minimum.max(1) as f64
    );
    let mut by: BTreeMap<String, usize> = BTreeMap::new();
    for c in calls {
        *by.entry(url(c)).or_default() += 1;
    }
    for (url, n) in by {
        println!("  {n:3} {url}");
    }
    rest
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_full_flow_makes_the_calls_it_needs_and_polls_at_its_pace() {
    let provision: f64 = std::env::var("ONRAMP_CALLS_PROVISION_SECONDS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(3.0);
    let env = Env::start("calls", "", provision).await;
    let plan = env.path_plan("pg-calls").await;
    env.sandbox.clear_requests();
    let done = env.apply(&plan, false).await;
    assert_eq!(done.outcome, Some(Outcome::Succeeded), "{done:#?}");
    let apply_calls = env.sandbox.requests();

    let state = env.journal(&plan.id);
    let steps: Vec<StepId> = state.steps.keys().copied().collect();
    let ids: HashSet<String> = state.steps.values().filter_map(|s| s.id.clone()).collect();
    assert_eq!(steps.len(), 10, "{steps:?}");

    env.sandbox.clear_requests();
    let doctor = env.doctor(&state).await;
    assert!(doctor.passed(), "{doctor:#?}");
    let connect_calls = env.sandbox.requests();

    env.sandbox.clear_requests();
    let gone = env.teardown(&plan.id).await;
    assert_eq!(gone.outcome, Some(Outcome::TornDown), "{gone:#?}");
    let teardown_calls = env.sandbox.requests();

    let apply_min: usize = steps.iter().map(|s| apply_minimum(*s)).sum();
    let teardown_min: usize = steps.iter().map(|s| teardown_minimum(*s)).sum();
    let apply_rest = report("apply", &apply_calls, apply_min, &ids);
    // A passing doctor needs no cloud call: it asks the cloud only to explain a failed hop.
    let connect_rest = report("connect", &connect_calls, 0, &ids);
    let teardown_rest = report("teardown", &teardown_calls, teardown_min, &ids);
    let total_min = apply_min + teardown_min;
    let total_rest = apply_rest + connect_rest + teardown_rest;
    println!(
        "calls of the flow but polls: {total_rest} against a minimum of {total_min}: ratio {:.3} (budget ≤ 1.10)",
        total_rest as f64 / total_min as f64
    );
    // Each phase waits on its own (teardown reads the database again to see it gone).
    let pace = [&apply_calls, &connect_calls, &teardown_calls]
        .into_iter()
        .filter_map(|calls| slowest_pace(calls))
        .min_by_key(|(_, gap)| *gap);
    match pace {
        Some((url, gap)) => {
            println!(
                "after the first minute, the closest two reads of one resource: {:.1} s apart, at most {:.1} per minute ({url}) (budget ≥ 10 s, ≤ 6 per minute)",
                gap as f64 / 1000.0,
                60_000.0 / gap.max(1) as f64
            );
            assert!(gap >= 10_000, "{url} was read {gap} ms after its previous read");
        }
        None => println!("after the first minute: no resource was waited on that long (set ONRAMP_CALLS_PROVISION_SECONDS above 60)"),
    }
    // Counts, unlike times, do not vary from run to run: more than 10 % over the minimum
    // is a call the flow repeats or does not need.
    assert!(
        total_rest * 10 <= total_min * 11,
        "{total_rest} calls but polls against a minimum of {total_min}"
    );
    env.stop().await;
}
