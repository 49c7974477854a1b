//! `check_cli`: the `ibmcloud` commands of a bash script against the syntax the vendored
//! `tests/contract/terraform/ibmcloud-cli.md` copies from IBM's reference docs, since the CLI
//! cannot run here. An unknown command or flag fails at run time, half-way through a script
//! that has already created resources.
//!
//! The reference is read from:
//! - every `ibmcloud ...` line of a fenced block (synopses and the docs' examples);
//! - inline code spans shaped like a synopsis (`ibmcloud is vpc-default-security-group VPC [...]`:
//!   the command words are followed by an upper-case placeholder or a bracket), which is how the
//!   file quotes `is security-group-create`, `is vpc-default-security-group` and
//!   `is endpoint-gateway`;
//! - the "Plug-ins" paragraph: `plugin install NAME [-v VERSION]`.
//!
//! The command path is the leading lower-case words (`is vpc-create`, `metrics-router target
//! create`); a line whose path extends an already known command (`iam authorization-policy-create
//! atracker logs ...`, an example with positional arguments) adds its flags to that command.
//! Flags are every `-x`/`--long` token of the line, including aliases noted in a trailing `#`
//! comment (`--region | -r`). The global options `--output`, `-q`, `--quiet` are added to every
//! command.

use crate::shell::{self, Word};
use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

/// The commands and flags of tests/contract/terraform/ibmcloud-cli.md.
#[derive(Debug, Clone)]
pub struct CliReference {
    /// "is vpc-create" → {"--output", "-q", ...}
    pub(crate) commands: BTreeMap<String, BTreeSet<String>>,
}

const GLOBAL_FLAGS: &[&str] = &["--output", "-q", "--quiet"];

impl CliReference {
    pub fn load(path: &Path) -> Result<CliReference, String> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
        let r = CliReference::parse(&text);
        if r.commands.len() <= 1 {
            return Err(format!("{}: no `ibmcloud` synopsis found", path.display()));
        }
        Ok(r)
    }

    /// The vendored copy: <repo>/tests/contract/terraform/ibmcloud-cli.md.
    pub fn vendored() -> CliReference {
        let path = crate::schema::contract_dir().join("ibmcloud-cli.md");
        CliReference::load(&path)
            .unwrap_or_else(|e| panic!("the vendored ibmcloud CLI reference is unusable: {e}"))
    }

    fn parse(md: &str) -> CliReference {
        let mut found: Vec<(Vec<String>, BTreeSet<String>)> = Vec::new();
        let mut plugin_flags = BTreeSet::new();
        let mut in_fence = false;
        let mut in_plugins = false;
        for line in md.lines() {
            let trimmed = line.trim_start();
            if trimmed.starts_with("```") {
                in_fence = !in_fence;
                continue;
            }
            if in_fence {
                if let Some(rest) = trimmed.strip_prefix("ibmcloud ") {
                    found.push(synopsis(rest));
                }
                continue;
            }
            if trimmed.starts_with("Plug-ins") {
                in_plugins = true;
            } else if trimmed.is_empty() {
                in_plugins = false;
            }
            for span in code_spans(line) {
                let Some(rest) = span.strip_prefix("ibmcloud ") else {
                    continue;
                };
                if in_plugins && rest.starts_with("plugin install ") {
                    plugin_flags.extend(synopsis(rest).1);
                } else if synopsis_shaped(rest) {
                    found.push(synopsis(rest));
                }
            }
        }
        let mut commands: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
        commands.insert("plugin install".into(), plugin_flags);
        found.retain(|(path, _)| !path.is_empty());
        found.sort_by_key(|(path, _)| path.len());
        for (path, flags) in found {
            let key = (1..=path.len())
                .map(|k| path[..k].join(" "))
                .find(|k| commands.contains_key(k))
                .unwrap_or_else(|| path.join(" "));
            commands.entry(key).or_default().extend(flags);
        }
        for flags in commands.values_mut() {
            flags.extend(GLOBAL_FLAGS.iter().map(|f| f.to_string()));
        }
        CliReference { commands }
    }
}

/// The command words and the flags of one `ibmcloud` line (without `ibmcloud `).
fn synopsis(rest: &str) -> (Vec<String>, BTreeSet<String>) {
    let code = rest.split(" #").next().unwrap_or(rest);
    let path = code
        .split_whitespace()
        .take_while(|t| is_command_word(t))
        .map(str::to_string)
        .collect();
    let flags = rest.split_whitespace().filter_map(flag_token).collect();
    (path, flags)
}

/// `[--name` → `--name`, `-d,` → `-d`, `--only=VALUE` → `--only`.
fn flag_token(t: &str) -> Option<String> {
    let t = t.trim_start_matches(['[', '(', '{', '|', '`', '\'', '"']);
    let dashes = t.chars().take_while(|&c| c == '-').count();
    if !(1..=2).contains(&dashes) || !t[dashes..].starts_with(|c: char| c.is_ascii_alphabetic()) {
        return None;
    }
    let end = t
        .find(|c: char| !(c.is_ascii_alphanumeric() || c == '-'))
        .unwrap_or(t.len());
    Some(t[..end].to_string())
}

fn is_command_word(t: &str) -> bool {
    t.starts_with(|c: char| c.is_ascii_lowercase())
        && t.chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
}

/// After the command words comes an upper-case placeholder or a bracket of the grammar.
fn synopsis_shaped(rest: &str) -> bool {
    let mut toks = rest.split_whitespace().skip_while(|t| is_command_word(t));
    let first_is_word = rest.split_whitespace().next().is_some_and(is_command_word);
    let next = toks.next().unwrap_or_default();
    let placeholder = next.starts_with(|c: char| c.is_ascii_uppercase())
        && next
            .chars()
            .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_' || c == '-');
    first_is_word && (placeholder || next.starts_with(['[', '(', '{']))
}

/// The `` `code` `` spans of a Markdown line.
fn code_spans(line: &str) -> Vec<&str> {
    line.split('`').skip(1).step_by(2).collect()
}

/// Every problem in the `ibmcloud` commands of a bash script; empty = clean.
pub fn check_cli(script: &str, reference: &CliReference) -> Vec<String> {
    let mut p = Vec::new();
    for cmd in shell::commands(script) {
        let Some((first, args)) = cmd.words.split_first() else {
            continue;
        };
        if !(first.plain && first.text == "ibmcloud") {
            continue;
        }
        let words: Vec<&str> = args
            .iter()
            .take_while(|w| w.plain && is_command_word(&w.text))
            .map(|w| w.text.as_str())
            .collect();
        let Some(k) = (1..=words.len())
            .rev()
            .find(|&k| reference.commands.contains_key(&words[..k].join(" ")))
        else {
            // The known namespace (`is`, `metrics-router target`) and the first unknown word.
            let known = (0..words.len())
                .rev()
                .find(|&j| {
                    reference
                        .commands
                        .keys()
                        .any(|c| c.split(' ').take(j).eq(words[..j].iter().copied()))
                })
                .unwrap_or(0);
            let shown = words.get(..known + 1).unwrap_or(&words);
            p.push(format!(
                "line {}: unknown command `ibmcloud {}`",
                cmd.line,
                shown.join(" ")
            ));
            continue;
        };
        let path = words[..k].join(" ");
        let flags = &reference.commands[&path];
        for w in &args[k..] {
            if w.plain && w.text == "--" {
                break;
            }
            let Some(flag) = flag_of(w) else { continue };
            if !flags.contains(flag) {
                p.push(format!(
                    "line {}: `ibmcloud {path}`: unknown flag `{flag}`",
                    cmd.line
                ));
            }
        }
    }
    p
}

/// The flag a word passes, if it starts with an unquoted dash (`--name=x` → `--name`); quoted
/// strings, expansions and negative numbers are values.
fn flag_of(w: &Word) -> Option<&str> {
    let lead = w.lead.as_str();
    if !lead.starts_with('-') || lead == "-" || lead[1..].starts_with(|c: char| c.is_ascii_digit())
    {
        return None;
    }
    Some(lead.split('=').next().unwrap_or(lead))
}
