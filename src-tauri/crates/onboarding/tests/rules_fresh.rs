//! The UI's fake back end answers every rule from `ui/src/test/rules.json`. Each entry must
//! still be what the rule says today: a rule changed here without `npm run rules` in ui/
//! fails this test, so the UI tests can never pass against an old rule.

use serde_json::Value;

use onramp_onboarding::rulebook::{answer, RULES};

/// Equal as JSON: numbers by value (JavaScript writes 474.0 as 474), the rest exactly.
fn same(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => x.as_f64() == y.as_f64(),
        (Value::Array(x), Value::Array(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(x, y)| same(x, y))
        }
        (Value::Object(x), Value::Object(y)) => {
            x.len() == y.len() && x.iter().all(|(k, v)| y.get(k).is_some_and(|w| same(v, w)))
        }
        _ => a == b,
    }
}

#[test]
fn every_recorded_rule_answer_is_what_the_rule_says_now() {
    let path =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../ui/src/test/rules.json");
    let text = std::fs::read_to_string(&path).unwrap();
    let recording: Value = serde_json::from_str(&text).unwrap();
    let values = &recording["values"];
    let entries = recording["answers"].as_array().unwrap();
    assert!(
        entries.len() > 100,
        "only {} recorded answers",
        entries.len()
    );
    let mut stale = Vec::new();
    for entry in entries {
        let rule = entry["rule"].as_str().unwrap();
        assert!(
            RULES.contains(&rule),
            "rules.json names an unknown rule {rule}"
        );
        // A large input shared by many answers is kept once, as {"$value": id}.
        let mut input = entry["input"].clone();
        for field in input.as_object_mut().unwrap().values_mut() {
            if let Some(id) = field.get("$value").and_then(Value::as_str) {
                *field = values[id].clone();
            }
        }
        let now = answer(rule, &input).unwrap_or_else(|e| panic!("{rule}: {e}"));
        if !same(&now, &entry["output"]) {
            stale.push(format!("{rule}({})", entry["input"]));
        }
    }
    assert!(
        stale.is_empty(),
        "ui/src/test/rules.json is stale (run `npm run rules` in ui/): {} answers changed, first: {}",
        stale.len(),
        stale[0]
    );
    // Every rule the UI's fake can ask is recorded at least once.
    for rule in RULES {
        assert!(
            entries.iter().any(|e| e["rule"] == *rule),
            "no recorded answer for {rule}"
        );
    }
}
