//! `shellcheck` on an exported script: quoting, unset variables and the other bash pitfalls a
//! generated script can carry, found by the standard linter rather than re-invented here.

use std::io::Write;
use std::process::{Command, Stdio};

/// Runs `shellcheck --shell=bash --format=gcc -` on the text (fed on stdin) and returns its
/// findings, one `-:LINE:COL: level: message [SCxxxx]` line each; Err if shellcheck is not
/// installed (Debian package `shellcheck`) or fails.
pub fn shellcheck(script: &str) -> Result<Vec<String>, String> {
    let mut child = Command::new("shellcheck")
        .args(["--shell=bash", "--format=gcc", "-"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| match e.kind() {
            std::io::ErrorKind::NotFound => {
                "shellcheck is not installed (Debian package `shellcheck`)".to_string()
            }
            _ => format!("cannot run shellcheck: {e}"),
        })?;
    let mut stdin = child.stdin.take().ok_or("shellcheck has no stdin")?;
    let text = script.to_string();
    // Written from a thread so that a large output cannot block the writer.
    let writer = std::thread::spawn(move || stdin.write_all(text.as_bytes()));
    let out = child
        .wait_with_output()
        .map_err(|e| format!("shellcheck failed: {e}"))?;
    writer
        .join()
        .map_err(|_| "shellcheck writer panicked".to_string())?
        .map_err(|e| format!("cannot write to shellcheck: {e}"))?;
    // 0: clean, 1: findings; anything else is shellcheck's own failure.
    match out.status.code() {
        Some(0 | 1) => Ok(String::from_utf8_lossy(&out.stdout)
            .lines()
            .filter(|l| !l.trim().is_empty())
            .map(str::to_string)
            .collect()),
        _ => Err(format!(
            "shellcheck failed ({}): {}",
            out.status,
            String::from_utf8_lossy(&out.stderr).trim()
        )),
    }
}
