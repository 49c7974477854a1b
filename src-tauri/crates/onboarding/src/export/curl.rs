//! The curl form of a plan: one bash script that calls the APIs Onramp calls, in the same
//! order, with the same bodies (each kind serializes the very create body it sends, with
//! `$VAR` placeholders for what only an earlier step learns) and the same waits. Every base
//! URL is a variable with IBM Cloud's address as its default, so the script runs against
//! the sandbox too. The API key is read from `IBMCLOUD_API_KEY` through a pipe, the token
//! sits in a file only the user can read, and nothing secret is printed.

use serde::Serialize;

use super::{
    cli::{quote, CliPart},
    Exporting,
};

/// A JSON body as a shell word: `"$(jq -n --arg VPC_ID "$VPC_ID" '{…}')"`, where every
/// string that is exactly `$NAME` (upper case) becomes the shell variable `NAME`, passed to
/// jq as a string (so no value is ever spliced into the program).
pub(crate) fn body<T: Serialize>(value: &T) -> String {
    let json = serde_json::to_value(value).unwrap_or_default();
    let mut vars = Vec::new();
    let program = program(&json, &mut vars);
    let args: String = vars
        .iter()
        .map(|v| format!(" --arg {v} \"${v}\""))
        .collect();
    format!("\"$(jq -cn{args} {})\"", quote(&program))
}

/// `value` as a jq expression, collecting the variables it refers to.
fn program(value: &serde_json::Value, vars: &mut Vec<String>) -> String {
    use serde_json::Value as J;
    match value {
        J::String(s) if placeholder(s) => {
            let name = s[1..].to_owned();
            if !vars.contains(&name) {
                vars.push(name.clone());
            }
            format!("${name}")
        }
        J::Array(items) => format!(
            "[{}]",
            items
                .iter()
                .map(|i| program(i, vars))
                .collect::<Vec<_>>()
                .join(", ")
        ),
        J::Object(map) => format!(
            "{{{}}}",
            map.iter()
                .map(|(k, v)| format!(
                    "{}: {}",
                    serde_json::Value::String(k.clone()),
                    program(v, vars)
                ))
                .collect::<Vec<_>>()
                .join(", ")
        ),
        other => other.to_string(),
    }
}

/// `$NAME`: an upper-case shell variable a kind put where a runtime value goes.
fn placeholder(s: &str) -> bool {
    s.len() > 1
        && s.starts_with('$')
        && s[1..]
            .chars()
            .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_')
}

/// A routing service's settings as read, turned into the update Onramp sends: every field
/// as it was, the primary metadata region set where it is empty (`$region`).
pub(crate) const SETTINGS_UPDATE: &str = "{default_targets: [(.default_targets // [])[] | {id}], \
permitted_target_regions: (.permitted_target_regions // []), \
primary_metadata_region: (if (.primary_metadata_region // \"\") == \"\" then $region else .primary_metadata_region end), \
private_api_endpoint_only: (.private_api_endpoint_only // false)} \
+ (if (.backup_metadata_region // \"\") != \"\" then {backup_metadata_region} else {} end)";

/// `api METHOD URL [BODY]`: one call, its answer on stdout; a refusal stops the script
/// with the API's own words.
pub(crate) fn call(method: &str, url: &str, body: Option<String>) -> String {
    match body {
        Some(body) => format!("api {method} \"{url}\" {body}"),
        None => format!("api {method} \"{url}\""),
    }
}

/// The VPC API's query: the pinned version, generation 2.
pub(crate) fn vpc_query() -> String {
    format!("version={}&generation=2", onramp_cloud::vpc::API_VERSION)
}

/// The whole script.
pub(crate) fn script(x: &Exporting, parts: Vec<CliPart>) -> String {
    let region = &x.plan.location;
    let mut out = vec![
        "#!/usr/bin/env bash".to_owned(),
        format!(
            "# The Onramp plan \"{}\" (plan id {}) as the API calls Onramp makes, with curl and jq.",
            x.plan.name, x.plan.id
        ),
        "# Same order, same bodies, same waits. Each base URL can be set from outside (the sandbox's".to_owned(),
        "# endpoints.json has them); the defaults are IBM Cloud's. WAIT_SECONDS sets every wait's pace.".to_owned(),
        "# The API key is read from IBMCLOUD_API_KEY; no secret is written in this file.".to_owned(),
    ];
    if x.applied() {
        out.push(
            "# The plan was applied: a second run stops at the first resource that already exists."
                .to_owned(),
        );
    }
    out.extend(
        [
            "set -euo pipefail",
            "",
            ": \"${IBMCLOUD_API_KEY:?Set IBMCLOUD_API_KEY to your IBM Cloud API key}\"",
            ": \"${IAM_URL:=https://iam.cloud.ibm.com}\"",
            ": \"${RC_URL:=https://resource-controller.cloud.ibm.com}\"",
            ": \"${GC_URL:=https://globalcatalog.cloud.ibm.com/api/v1}\"",
            ": \"${CBR_URL:=https://cbr.cloud.ibm.com}\"",
        ]
        .map(str::to_owned),
    );
    out.push(format!(
        ": \"${{VPC_URL:=https://{region}.iaas.cloud.ibm.com/v1}}\""
    ));
    out.push(format!(
        ": \"${{METRICS_ROUTER_URL:=https://{region}.metrics-router.cloud.ibm.com/api/v3}}\""
    ));
    out.push(format!(
        ": \"${{ATRACKER_URL:=https://{region}.atracker.cloud.ibm.com}}\""
    ));
    out.push(format!(
        ": \"${{LOGS_ROUTER_URL:=https://management.{region}.logs-router.cloud.ibm.com/v3}}\""
    ));
    match x.state.map(|s| s.account_id.as_str()).or(x.account_id) {
        Some(account) if !account.is_empty() => out.push(format!("ACCOUNT_ID={}", quote(account))),
        _ => out
            .push(": \"${ACCOUNT_ID:?Set ACCOUNT_ID to your IBM Cloud account's id}\"".to_owned()),
    }
    out.extend(
        [
            "",
            "# The token goes to a file only you can read, never onto a command line.",
            "HEADERS=\"$(mktemp)\"",
            "trap 'rm -f \"$HEADERS\"' EXIT",
            "chmod 600 \"$HEADERS\"",
            "TOKEN=\"$(printf '%s' \"$IBMCLOUD_API_KEY\" | curl -sS --fail-with-body -X POST \"$IAM_URL/identity/token\" \\",
            "  -H 'Content-Type: application/x-www-form-urlencoded' -H 'Accept: application/json' \\",
            "  --data 'grant_type=urn:ibm:params:oauth:grant-type:apikey' --data-urlencode 'apikey@-' | jq -r .access_token)\"",
            "printf 'Authorization: Bearer %s\\n' \"$TOKEN\" >\"$HEADERS\"",
            "unset TOKEN",
            "",
            "# One call: api METHOD URL [JSON BODY]. A refusal stops the script with the API's answer.",
            "api() {",
            "  local method=\"$1\" url=\"$2\" answer status",
            "  answer=\"$(mktemp)\"",
            "  if [ $# -ge 3 ]; then",
            "    status=\"$(curl -sS -o \"$answer\" -w '%{http_code}' -X \"$method\" -H @\"$HEADERS\" \\",
            "      -H 'Accept: application/json' -H 'Content-Type: application/json' --data-binary \"$3\" \"$url\")\"",
            "  else",
            "    status=\"$(curl -sS -o \"$answer\" -w '%{http_code}' -X \"$method\" -H @\"$HEADERS\" \\",
            "      -H 'Accept: application/json' \"$url\")\"",
            "  fi",
            "  if [ \"$status\" -ge 400 ]; then",
            "    echo \"$method $url: HTTP $status: $(cat \"$answer\")\" >&2",
            "    rm -f \"$answer\"",
            "    return 1",
            "  fi",
            "  cat \"$answer\"",
            "  rm -f \"$answer\"",
            "}",
            "",
            "# Polls until the probe (a function) prints the wanted word: what, wanted, seconds, probe.",
            "wait_for() {",
            "  local what=\"$1\" wanted=\"$2\" every=\"$3\" probe=\"$4\" state",
            "  until state=\"$(\"$probe\")\" && [ \"$state\" = \"$wanted\" ]; do",
            "    case \"$state\" in failed | removed) echo \"$what is $state\" >&2; return 1 ;; esac",
            "    echo \"Waiting for $what (${state:-no answer yet})\" >&2",
            "    sleep \"${WAIT_SECONDS:-$every}\"",
            "  done",
            "}",
            "",
            "# Stops when Resource Controller already has an instance with this name in the group:",
            "# this script makes new resources only (Onramp would prove whose it is first).",
            "none_named() {",
            "  local found",
            "  found=\"$(api GET \"$RC_URL/v2/resource_instances?name=$1&resource_group_id=$2\" | jq '[.resources[] | select(.state != \"removed\" and .state != \"pending_reclamation\")] | length')\"",
            "  if [ \"$found\" != 0 ]; then echo \"An instance named $1 already exists; not making another.\" >&2; return 1; fi",
            "}",
        ]
        .map(str::to_owned),
    );
    super::cli::finish(out, parts)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders_become_jq_arguments_and_nothing_is_spliced() {
        let value =
            serde_json::json!({"name": "it's", "vpc": {"id": "$VPC_ID"}, "n": 2, "x": "$lower"});
        let word = body(&value);
        assert!(word.starts_with("\"$(jq -cn --arg VPC_ID \"$VPC_ID\" "));
        assert!(word.contains("\"vpc\": {\"id\": $VPC_ID}"));
        assert!(word.contains("\"x\": \"$lower\""), "{word}");
        assert!(word.contains(r"it'\''s"), "{word}");
    }
}
