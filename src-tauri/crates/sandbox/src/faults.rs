//! Fault injection, so clients' retries, token refresh and the engine's resume are tested
//! against real misbehaviour instead of mocks.
//!
//! A spec is a `;`-separated list of rules and an optional seed:
//!
//! ```text
//! [API[.METHOD]:]ACTION[@WHEN]      API: iam rc gc vpc cbr kms * (default *)
//! ACTION: latency=MS | status=CODE | throttle=SECONDS | reset | lose-answer | expire-token
//!         | provision-fail
//! WHEN:   always (default) | rate=P | first=N | calls=N,N,…   (counted per rule, from 1)
//! seed=N                             makes `rate=` repeatable
//! ```
//!
//! `status` answers with that code in the API's own error shape; `throttle` answers 429 with
//! `Retry-After: SECONDS`; `reset` closes the connection without an answer (nothing was
//! done); `lose-answer` does what was asked, then closes the connection without an answer
//! (a create whose answer is lost on the way back); `expire-token`
//! answers 401 as if the bearer token had expired; `provision-fail` makes a database
//! create end in `failed` instead of `active`. Example:
//! `rc:status=503@first=2;vpc.POST:throttle=1@calls=1;*:latency=50@rate=0.2;seed=7`.

use std::sync::Mutex;

use rand::{rngs::StdRng, Rng, SeedableRng};
use serde::Serialize;

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "snake_case", tag = "kind", content = "value")]
pub enum FaultAction {
    LatencyMs(u64),
    Status(u16),
    Throttle(u64),
    Reset,
    LoseAnswer,
    ExpireToken,
    ProvisionFail,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "snake_case", tag = "kind", content = "value")]
pub enum FaultWhen {
    Always,
    Rate(f64),
    First(u64),
    Calls(Vec<u64>),
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FaultRule {
    /// `None` matches every API.
    pub api: Option<String>,
    pub method: Option<String>,
    pub action: FaultAction,
    pub when: FaultWhen,
}

#[derive(Debug, Clone, PartialEq, Default, Serialize)]
pub struct FaultSpec {
    pub rules: Vec<FaultRule>,
    pub seed: Option<u64>,
    /// The text the spec was parsed from.
    pub source: String,
}

const APIS: [&str; 11] = [
    "iam",
    "rc",
    "gc",
    "vpc",
    "cbr",
    "kms",
    "tags",
    "search",
    "metrics-router",
    "atracker",
    "logs-router",
];

impl FaultSpec {
    pub fn parse(text: &str) -> Result<FaultSpec, String> {
        let mut spec = FaultSpec {
            source: text.trim().to_owned(),
            ..FaultSpec::default()
        };
        for item in text.split(';').map(str::trim).filter(|s| !s.is_empty()) {
            if let Some(seed) = item.strip_prefix("seed=") {
                spec.seed = Some(
                    seed.parse()
                        .map_err(|_| format!("fault spec: seed must be a number, not '{seed}'"))?,
                );
                continue;
            }
            spec.rules.push(parse_rule(item)?);
        }
        Ok(spec)
    }
}

fn parse_rule(item: &str) -> Result<FaultRule, String> {
    let (target, rest) = match item.split_once(':') {
        Some((target, rest)) => (Some(target), rest),
        None => (None, item),
    };
    let (api, method) = match target {
        None | Some("*") => (None, None),
        Some(target) => {
            let (api, method) = match target.split_once('.') {
                Some((api, method)) => (api, Some(method.to_ascii_uppercase())),
                None => (target, None),
            };
            if api != "*" && !APIS.contains(&api) {
                return Err(format!(
                    "fault spec: unknown API '{api}' in '{item}' (use one of {} or *)",
                    APIS.join(", ")
                ));
            }
            ((api != "*").then(|| api.to_owned()), method)
        }
    };
    let (action, when) = match rest.split_once('@') {
        Some((action, when)) => (action, Some(when)),
        None => (rest, None),
    };
    let number = |value: &str, what: &str| -> Result<u64, String> {
        value
            .parse()
            .map_err(|_| format!("fault spec: {what} must be a whole number in '{item}'"))
    };
    let action = match action.split_once('=') {
        Some(("latency", ms)) => FaultAction::LatencyMs(number(ms, "latency")?),
        Some(("status", code)) => {
            let code = number(code, "status")?;
            if !(400..=599).contains(&code) {
                return Err(format!("fault spec: status must be 400–599 in '{item}'"));
            }
            FaultAction::Status(code as u16)
        }
        Some(("throttle", seconds)) => FaultAction::Throttle(number(seconds, "throttle")?),
        None if action == "reset" => FaultAction::Reset,
        None if action == "lose-answer" => FaultAction::LoseAnswer,
        None if action == "expire-token" => FaultAction::ExpireToken,
        None if action == "provision-fail" => FaultAction::ProvisionFail,
        _ => {
            return Err(format!(
                "fault spec: unknown action '{action}' (use latency=MS, status=CODE, throttle=SECONDS, reset, lose-answer, expire-token or provision-fail)"
            ))
        }
    };
    let when = match when {
        None | Some("always") => FaultWhen::Always,
        Some(when) => match when.split_once('=') {
            Some(("rate", p)) => {
                let p: f64 = p
                    .parse()
                    .map_err(|_| format!("fault spec: rate must be 0–1 in '{item}'"))?;
                if !(0.0..=1.0).contains(&p) {
                    return Err(format!("fault spec: rate must be 0–1 in '{item}'"));
                }
                FaultWhen::Rate(p)
            }
            Some(("first", n)) => FaultWhen::First(number(n, "first")?),
            Some(("calls", list)) => FaultWhen::Calls(
                list.split(',')
                    .map(|n| number(n.trim(), "calls"))
                    .collect::<Result<_, _>>()?,
            ),
            _ => {
                return Err(format!(
                    "fault spec: unknown condition '{when}' (use rate=P, first=N or calls=N,N)"
                ))
            }
        },
    };
    Ok(FaultRule {
        api,
        method,
        action,
        when,
    })
}

/// The faults in force, with per-rule call counters.
pub(crate) struct Faults {
    inner: Mutex<Active>,
}

struct Active {
    spec: FaultSpec,
    counts: Vec<u64>,
    rng: StdRng,
    injected: u64,
}

impl Active {
    fn new(spec: FaultSpec) -> Self {
        let rng = match spec.seed {
            Some(seed) => StdRng::seed_from_u64(seed),
            None => StdRng::from_entropy(),
        };
        Active {
            counts: vec![0; spec.rules.len()],
            spec,
            rng,
            injected: 0,
        }
    }
}

/// What to do to one request.
#[derive(Debug, Default, PartialEq)]
pub(crate) struct Injection {
    pub latency_ms: u64,
    /// The first terminal action that fired (status, throttle, reset, expire-token).
    pub action: Option<FaultAction>,
}

impl Faults {
    pub(crate) fn new(spec: FaultSpec) -> Self {
        Faults {
            inner: Mutex::new(Active::new(spec)),
        }
    }

    pub(crate) fn replace(&self, spec: FaultSpec) {
        *self.inner.lock().unwrap_or_else(|e| e.into_inner()) = Active::new(spec);
    }

    pub(crate) fn injected(&self) -> u64 {
        self.inner
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .injected
    }

    pub(crate) fn describe(&self) -> serde_json::Value {
        let active = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        serde_json::json!({
            "spec": active.spec.source,
            "rules": active.spec.rules,
            "seed": active.spec.seed,
            "counts": active.counts,
            "injected": active.injected,
        })
    }

    /// Decides the faults for one request to `api` with `method`.
    pub(crate) fn for_request(&self, api: &str, method: &str) -> Injection {
        self.decide(api, Some(method), false)
    }

    /// Whether the database create happening now should fail (the `provision-fail` rules).
    pub(crate) fn provision_fails(&self) -> bool {
        self.decide("rc", None, true).action == Some(FaultAction::ProvisionFail)
    }

    fn decide(&self, api: &str, method: Option<&str>, provisioning: bool) -> Injection {
        let mut guard = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        let active = &mut *guard;
        let mut injection = Injection::default();
        for (i, rule) in active.spec.rules.iter().enumerate() {
            if (rule.action == FaultAction::ProvisionFail) != provisioning {
                continue;
            }
            if rule.api.as_deref().is_some_and(|a| a != api) {
                continue;
            }
            if let (Some(want), Some(method)) = (rule.method.as_deref(), method) {
                if want != method {
                    continue;
                }
            }
            active.counts[i] += 1;
            let n = active.counts[i];
            let fires = match &rule.when {
                FaultWhen::Always => true,
                FaultWhen::Rate(p) => active.rng.gen_bool(*p),
                FaultWhen::First(k) => n <= *k,
                FaultWhen::Calls(list) => list.contains(&n),
            };
            if !fires {
                continue;
            }
            match &rule.action {
                FaultAction::LatencyMs(ms) => injection.latency_ms += ms,
                other if injection.action.is_none() => {
                    injection.action = Some(other.clone());
                    active.injected += 1;
                }
                _ => {}
            }
        }
        injection
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_documented_example() {
        let spec = FaultSpec::parse(
            "rc:status=503@first=2;vpc.POST:throttle=1@calls=1,3;*:latency=50@rate=0.2;seed=7",
        )
        .unwrap();
        assert_eq!(spec.seed, Some(7));
        assert_eq!(spec.rules.len(), 3);
        assert_eq!(spec.rules[0].api.as_deref(), Some("rc"));
        assert_eq!(spec.rules[0].action, FaultAction::Status(503));
        assert_eq!(spec.rules[0].when, FaultWhen::First(2));
        assert_eq!(spec.rules[1].method.as_deref(), Some("POST"));
        assert_eq!(spec.rules[1].when, FaultWhen::Calls(vec![1, 3]));
        assert_eq!(spec.rules[2].api, None);
    }

    #[test]
    fn rejects_bad_specs_with_a_reason() {
        for (bad, says) in [
            ("db:reset", "unknown API 'db'"),
            ("rc:explode", "unknown action"),
            ("rc:status=200", "400–599"),
            ("rc:reset@rate=2", "rate must be 0–1"),
            ("rc:reset@sometimes", "unknown condition"),
            ("seed=x", "seed must be a number"),
        ] {
            let error = FaultSpec::parse(bad).unwrap_err();
            assert!(error.contains(says), "{bad}: {error}");
        }
    }

    #[test]
    fn first_and_calls_count_per_rule_and_per_api() {
        let faults =
            Faults::new(FaultSpec::parse("rc:status=503@first=2;vpc:reset@calls=2").unwrap());
        let statuses: Vec<_> = (0..4)
            .map(|_| faults.for_request("rc", "GET").action)
            .collect();
        assert_eq!(
            statuses,
            vec![
                Some(FaultAction::Status(503)),
                Some(FaultAction::Status(503)),
                None,
                None
            ]
        );
        assert_eq!(faults.for_request("iam", "POST"), Injection::default());
        assert_eq!(faults.for_request("vpc", "GET").action, None);
        assert_eq!(
            faults.for_request("vpc", "GET").action,
            Some(FaultAction::Reset)
        );
        assert_eq!(faults.for_request("vpc", "GET").action, None);
    }

    #[test]
    fn a_lost_answer_is_its_own_action() {
        let faults = Faults::new(FaultSpec::parse("rc.POST:lose-answer@first=1").unwrap());
        assert_eq!(faults.for_request("rc", "GET").action, None);
        assert_eq!(
            faults.for_request("rc", "POST").action,
            Some(FaultAction::LoseAnswer)
        );
        assert_eq!(faults.for_request("rc", "POST").action, None);
    }

    #[test]
    fn a_seed_makes_rates_repeatable() {
        let run = || {
            let faults = Faults::new(FaultSpec::parse("status=500@rate=0.5;seed=42").unwrap());
            (0..64)
                .map(|_| faults.for_request("rc", "GET").action.is_some())
                .collect::<Vec<_>>()
        };
        let first = run();
        assert_eq!(first, run());
        let fired = first.iter().filter(|f| **f).count();
        assert!((16..=48).contains(&fired), "rate 0.5 fired {fired}/64");
    }

    #[test]
    fn provision_fail_only_counts_creates_and_latency_adds_up() {
        let faults = Faults::new(
            FaultSpec::parse("provision-fail@first=1;latency=10;rc:latency=5").unwrap(),
        );
        assert_eq!(faults.for_request("rc", "POST").latency_ms, 15);
        assert!(faults.provision_fails());
        assert!(!faults.provision_fails());
    }
}
