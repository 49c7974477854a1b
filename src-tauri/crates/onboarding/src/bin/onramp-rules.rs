//! `onramp-rules`: answers the rules the UI's tests ask about, for `npm run rules` to record
//! into `ui/src/test/rules.json`. Reads one JSON object per line on stdin,
//! `{"rule": NAME, "input": {...}}`, and writes one line per question:
//! `{"output": ...}` or `{"error": "..."}`. See `onramp_onboarding::rulebook`.
#![cfg_attr(not(test), deny(clippy::unwrap_used, clippy::expect_used))]

use std::io::{BufRead, Write};

fn main() {
    let stdin = std::io::stdin();
    let mut stdout = std::io::stdout().lock();
    for line in stdin.lock().lines() {
        let Ok(line) = line else { break };
        if line.trim().is_empty() {
            continue;
        }
        let reply = match serde_json::from_str::<serde_json::Value>(&line) {
            Ok(question) => {
                let rule = question["rule"].as_str().unwrap_or_default();
                match onramp_onboarding::rulebook::answer(rule, &question["input"]) {
                    Ok(output) => serde_json::json!({ "output": output }),
                    Err(error) => serde_json::json!({ "error": error }),
                }
            }
            Err(error) => serde_json::json!({ "error": format!("not JSON: {error}") }),
        };
        if writeln!(stdout, "{reply}")
            .and_then(|()| stdout.flush())
            .is_err()
        {
            break;
        }
    }
}
