//! check_cli: the reference's command map, the clean script and each kind of problem.

use super::CLEAN_SH;
use crate::{check_cli, shellcheck, CliReference};
use std::sync::OnceLock;

fn reference() -> &'static CliReference {
    static REF: OnceLock<CliReference> = OnceLock::new();
    REF.get_or_init(CliReference::vendored)
}

fn cli(script: &str) -> Vec<String> {
    check_cli(script, reference())
}

#[track_caller]
fn flags_of(cmd: &str) -> &'static std::collections::BTreeSet<String> {
    reference()
        .commands
        .get(cmd)
        .unwrap_or_else(|| panic!("`{cmd}` missing from {:#?}", reference().commands.keys()))
}

#[test]
fn the_reference_maps_commands_to_their_flags() {
    let r = reference();
    for (cmd, flag) in [
        ("login", "--apikey"),
        ("target", "-g"),
        ("resource service-instance-create", "-p"),
        ("resource service-instance-create", "--parameters"),
        ("resource service-key-create", "--instance-name"),
        (
            "iam authorization-policy-create",
            "--target-service-instance-id",
        ),
        ("is vpc-create", "--resource-group-name"),
        ("is vpc-create", "--quiet"),
        ("is instance-create", "--user-data"),
        ("is instance-create", "--res-policy"),
        ("is vpc-default-security-group", "--output"),
        ("is endpoint-gateway", "--vpc"),
        ("cbr zone-create", "--addresses"),
        ("metrics-router target create", "--destination-crn"),
        ("metrics-router target create", "-r"),
        ("logs-router setting update", "--private-api-endpoint-only"),
        ("atracker route create", "--target-ids"),
        ("plugin install", "-v"),
    ] {
        assert!(
            flags_of(cmd).contains(flag),
            "{cmd} lacks {flag}: {:?}",
            flags_of(cmd)
        );
    }
    assert!(!flags_of("is vpc-create").contains("--zone"));
    // Prose and examples must not invent commands.
    for bogus in [
        "is",
        "logs-router tenant",
        "iam authorization-policy-create atracker logs",
        "plugin install vpc-infrastructure",
    ] {
        assert!(!r.commands.contains_key(bogus), "{bogus}");
    }
}

#[test]
fn the_clean_script_has_no_problem() {
    let problems = cli(CLEAN_SH);
    assert!(problems.is_empty(), "{problems:#?}");
}

#[test]
fn an_unknown_flag_is_reported() {
    let problems = cli("ibmcloud is vpc-create onramp-vpc --bogus\n");
    assert_eq!(
        problems,
        ["line 1: `ibmcloud is vpc-create`: unknown flag `--bogus`"]
    );
}

#[test]
fn an_unknown_command_is_reported() {
    let problems = cli("echo start\nibmcloud is vpc-creat onramp-vpc\n");
    assert_eq!(
        problems,
        ["line 2: unknown command `ibmcloud is vpc-creat`"]
    );
}

#[test]
fn a_flag_of_another_command_is_reported() {
    let problems = cli("ibmcloud is vpc-create onramp-vpc --zone ca-mon-1\n");
    assert_eq!(
        problems,
        ["line 1: `ibmcloud is vpc-create`: unknown flag `--zone`"]
    );
}

#[test]
fn commands_are_found_in_every_position() {
    let script = "\
X=\"$(ibmcloud is vpc-create a --b1)\"
Y=$(ibmcloud is vpc-create a --b2)
echo x | ibmcloud is vpc-create a --b3
true && ibmcloud is vpc-create a --b4
true; ibmcloud is vpc-create a --b5
if ibmcloud is vpc-create a --b6; then :; fi
Z=`ibmcloud is vpc-create a --b7`
FOO=bar ibmcloud is vpc-create a --b8
";
    let problems = cli(script);
    for i in 1..=8 {
        let needle = format!("line {i}: `ibmcloud is vpc-create`: unknown flag `--b{i}`");
        assert!(problems.contains(&needle), "{needle}: {problems:#?}");
    }
    assert_eq!(problems.len(), 8, "{problems:#?}");
}

#[test]
fn continuation_lines_are_joined_and_comments_skipped() {
    let script = "# ibmcloud is vpc-create a --commented\nibmcloud is subnet-create s v \\\n  --zone z \\\n  --bogus\n";
    assert_eq!(
        cli(script),
        ["line 2: `ibmcloud is subnet-create`: unknown flag `--bogus`"]
    );
}

#[test]
fn values_are_not_flags() {
    let script = "ibmcloud is vpc-create \"--odd-name\" '$X' \"$Y\" -- --after-end\nibmcloud is security-group-rule-add sg inbound icmp --port-min -1\n";
    assert!(cli(script).is_empty(), "{:#?}", cli(script));
}

#[test]
fn flag_equals_value_is_checked_by_its_name() {
    assert!(cli("ibmcloud is vpc-create a --output=JSON\n").is_empty());
    assert_eq!(
        cli("ibmcloud is vpc-create a --outputs=\"$F\"\n"),
        ["line 1: `ibmcloud is vpc-create`: unknown flag `--outputs`"]
    );
}

#[test]
fn heredoc_bodies_are_not_commands() {
    assert!(cli("cat <<EOF >x\nibmcloud nope --x\nEOF\nibmcloud target -g Default\n").is_empty());
}

#[test]
fn shellcheck_reports_findings_when_installed() {
    match shellcheck("#!/bin/bash\necho $1\n") {
        Ok(findings) => {
            assert!(
                findings.iter().any(|f| f.contains("SC2086")),
                "{findings:#?}"
            );
            assert_eq!(
                shellcheck("#!/bin/bash\necho \"$1\"\n").unwrap(),
                Vec::<String>::new()
            );
            let clean = shellcheck(CLEAN_SH).unwrap();
            assert!(clean.is_empty(), "{clean:#?}");
        }
        Err(e) => assert!(e.contains("not installed"), "{e}"),
    }
}
