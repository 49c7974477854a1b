//! The `ibmcloud` CLI form of a plan: one bash script, in the order apply runs the steps,
//! with the same waits. Each kind writes its section ([`CliPart`]): the commands, the shell
//! variables it leaves for later steps (`VPC_ID`, `DB_CRN`…), and comments where the CLI
//! cannot do what Onramp does. Commands and flags are the ones in
//! contract/terraform/ibmcloud-cli.md.

use super::Exporting;

/// One kind's section of the script.
pub(crate) struct CliPart {
    pub title: String,
    pub lines: Vec<String>,
}

impl CliPart {
    pub fn new(title: impl Into<String>) -> CliPart {
        CliPart {
            title: title.into(),
            lines: Vec::new(),
        }
    }

    /// A shell line, as written.
    pub fn line(mut self, text: impl Into<String>) -> CliPart {
        self.lines.push(text.into());
        self
    }

    /// A resource the user chose: said so, and its id in `$var` for the steps after it.
    pub fn chosen(self, what: &str, var: &str, id: &str) -> CliPart {
        self.say(&format!("Your {what}: used, not created."))
            .line(format!("{var}={}", quote(id)))
    }

    /// A comment line (or several).
    pub fn say(mut self, text: &str) -> CliPart {
        for line in super::terraform::comment(text).lines() {
            self.lines.push(line.to_owned());
        }
        self
    }

    /// Waits until `probe` (a shell command printing one word) prints `wanted`, polling
    /// every `seconds`: the probe becomes a function, so its variables expand when it runs.
    pub fn wait(self, what: &str, wanted: &str, seconds: u32, probe: &str) -> CliPart {
        let function: String = what
            .chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() {
                    c.to_ascii_lowercase()
                } else {
                    '_'
                }
            })
            .collect();
        let function = format!("{function}_state");
        self.line(format!("{function}() {{ {probe}; }}"))
            .line(format!(
                "wait_for {} {} {seconds} {function}",
                quote(what),
                quote(wanted),
            ))
    }
}

/// `text` as one shell word, single-quoted where needed.
pub fn quote(text: &str) -> String {
    if !text.is_empty()
        && text
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_./:@,=+".contains(c))
    {
        text.to_owned()
    } else {
        format!("'{}'", text.replace('\'', r"'\''"))
    }
}

/// The whole script.
pub(crate) fn script(x: &Exporting, parts: Vec<CliPart>) -> String {
    let mut out = vec![
        "#!/usr/bin/env bash".to_owned(),
        format!(
            "# The Onramp plan \"{}\" (plan id {}) as ibmcloud CLI commands.",
            x.plan.name, x.plan.id
        ),
        "# Needs: the ibmcloud CLI with the plug-ins vpc-infrastructure, cbr, metrics-router,"
            .to_owned(),
        "# atracker and logs-router (ibmcloud plugin install NAME), and jq.".to_owned(),
        "# The API key is read from IBMCLOUD_API_KEY; no secret is written in this file."
            .to_owned(),
    ];
    if x.applied() {
        out.push(
            "# The plan was applied: running this again creates a second set of resources; \
             the Terraform export hands the first over instead."
                .to_owned(),
        );
    }
    out.extend(
        [
            "set -euo pipefail",
            "",
            ": \"${IBMCLOUD_API_KEY:?Set IBMCLOUD_API_KEY to your IBM Cloud API key}\"",
        ]
        .map(str::to_owned),
    );
    if x.resource_group_name.is_none() {
        out.push(format!(
            ": \"${{RESOURCE_GROUP:?Set RESOURCE_GROUP to the name of resource group {}}}\"",
            x.plan.resource_group_id
        ));
    } else {
        out.push(format!("RESOURCE_GROUP={}", x.group_name()));
    }
    out.extend(
        [
            "",
            "# Polls until the probe (a function) prints the wanted word: what, wanted, seconds, probe.",
            "wait_for() {",
            "  local what=\"$1\" wanted=\"$2\" every=\"$3\" probe=\"$4\" state",
            "  until state=\"$(\"$probe\")\" && [ \"$state\" = \"$wanted\" ]; do",
            "    echo \"Waiting for $what (${state:-no answer yet})\" >&2",
            "    sleep \"$every\"",
            "  done",
            "}",
            "",
            "# The key file is a pipe, so the key is never on a command line.",
        ]
        .map(str::to_owned),
    );
    out.push(format!(
        "ibmcloud login -a cloud.ibm.com --apikey @<(printf '%s' \"$IBMCLOUD_API_KEY\") -r {} -g \"$RESOURCE_GROUP\"",
        quote(&x.plan.location)
    ));
    finish(out, parts)
}

/// A script's header lines, then each kind's section under its title, then "Done.".
pub(crate) fn finish(mut out: Vec<String>, parts: Vec<CliPart>) -> String {
    for part in parts {
        out.push(String::new());
        out.push(format!("# --- {}", part.title));
        out.extend(part.lines);
    }
    out.push(String::new());
    out.push("echo \"Done.\"".to_owned());
    let mut text = out.join("\n");
    text.push('\n');
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_are_quoted_only_when_they_need_it() {
        assert_eq!(quote("ca-mon"), "ca-mon");
        assert_eq!(quote("a b"), "'a b'");
        assert_eq!(quote("it's"), r"'it'\''s'");
        assert_eq!(quote(""), "''");
        assert_eq!(quote("$(rm -rf ~)"), "'$(rm -rf ~)'");
    }
}
