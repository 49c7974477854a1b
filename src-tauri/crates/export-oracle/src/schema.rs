//! The vendored provider schema, `tests/contract/terraform/terraform-schema.json`.
//!
//! The JSON was extracted from the Go source of IBM-Cloud/terraform-provider-ibm v2.5.0. Each
//! resource and data source has an `arguments` map; every argument records its `type`, `mode`,
//! `required`, `config_allowed` (false = computed-only), `deprecated`, and, where the Go schema has
//! them, `allowed_values`, `validation`, `max_items`, `conflicts_with`, `exactly_one_of`,
//! `at_least_one_of` and `required_with`. A nested block is an argument with `"type": "block"`
//! (`nesting` list|set) whose own arguments sit in its `attributes` map, recursively. Resources also
//! carry `timeouts` (`null` = no `timeouts {}` block), `import.id_format` and `import_drift`.
//!
//! Only what the checks use is kept; the JSON stays the source of truth.

use serde_json::Value;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// Loaded from tests/contract/terraform/terraform-schema.json.
#[derive(Debug, Clone)]
pub struct TerraformSchema {
    pub(crate) resources: BTreeMap<String, BlockType>,
    pub(crate) data_sources: BTreeMap<String, BlockType>,
}

/// A resource or data source: its arguments and the per-resource facts of the contract.
#[derive(Debug, Clone, Default)]
pub(crate) struct BlockType {
    pub(crate) args: BTreeMap<String, Arg>,
    /// `None`: the resource declares no Timeouts, so a `timeouts {}` block is rejected. Otherwise
    /// the accepted keys with the provider's default duration.
    pub(crate) timeouts: Option<BTreeMap<String, String>>,
    /// `import.id_format`, e.g. `<security_group_id>.<security_group_rule_id>`.
    pub(crate) import_id_format: Option<String>,
    pub(crate) drift: Vec<Drift>,
}

/// One argument (attribute or nested block) of a resource, data source or block.
#[derive(Debug, Clone, Default)]
pub(crate) struct Arg {
    /// `string|int|bool|float|list|set|map`, or `block`.
    pub(crate) ty: String,
    pub(crate) required: bool,
    pub(crate) optional: bool,
    pub(crate) computed: bool,
    /// False for computed-only arguments.
    pub(crate) config_allowed: bool,
    /// `Some(message)` when deprecated (the message may be empty).
    pub(crate) deprecated: Option<String>,
    pub(crate) allowed_values: Vec<String>,
    pub(crate) min_length: Option<u64>,
    pub(crate) max_length: Option<u64>,
    pub(crate) min: Option<f64>,
    pub(crate) max: Option<f64>,
    pub(crate) max_items: Option<u64>,
    /// The nested arguments of a `block`.
    pub(crate) nested: BTreeMap<String, Arg>,
    /// SDK keys, absolute from the resource root (`dns.0.resolver.0.vpc_crn`).
    pub(crate) conflicts_with: Vec<String>,
    pub(crate) exactly_one_of: Vec<String>,
    pub(crate) at_least_one_of: Vec<String>,
    pub(crate) required_with: Vec<String>,
}

impl Arg {
    pub(crate) fn is_block(&self) -> bool {
        self.ty == "block"
    }
}

/// An `import_drift` entry: an argument the provider never reads back (or reads back in another
/// form), so an imported resource with it set plans a change or a replacement.
#[derive(Debug, Clone)]
pub(crate) struct Drift {
    /// One name, or several joined with ` / ` or `, ` (`key_protect_key / key_protect_instance`).
    pub(crate) arg: String,
    /// `true`, `false`, or a string naming the force-new ones among several arguments.
    pub(crate) force_new: Value,
    pub(crate) checked: bool,
    pub(crate) effect: String,
}

impl TerraformSchema {
    pub fn load(path: &Path) -> Result<TerraformSchema, String> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
        let json: Value = serde_json::from_str(&text)
            .map_err(|e| format!("{} is not JSON: {e}", path.display()))?;
        let section = |name: &str| -> Result<BTreeMap<String, BlockType>, String> {
            let map = json
                .get(name)
                .and_then(Value::as_object)
                .ok_or_else(|| format!("{}: no `{name}` object", path.display()))?;
            map.iter()
                .map(|(k, v)| parse_block_type(v).map(|b| (k.clone(), b)))
                .collect::<Result<_, String>>()
                .map_err(|e| format!("{}: {name}: {e}", path.display()))
        };
        Ok(TerraformSchema {
            resources: section("resources")?,
            data_sources: section("data_sources")?,
        })
    }

    /// The vendored copy: <repo>/tests/contract/terraform/terraform-schema.json.
    pub fn vendored() -> TerraformSchema {
        let path = contract_dir().join("terraform-schema.json");
        TerraformSchema::load(&path)
            .unwrap_or_else(|e| panic!("the vendored Terraform schema is unusable: {e}"))
    }
}

/// `<repo>/tests/contract/terraform`, found from this crate's manifest directory.
pub(crate) fn contract_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../tests/contract/terraform")
}

fn parse_block_type(v: &Value) -> Result<BlockType, String> {
    let args = v
        .get("arguments")
        .and_then(Value::as_object)
        .ok_or("no `arguments`")?;
    let timeouts = match v.get("timeouts") {
        Some(Value::Object(m)) => Some(
            m.iter()
                .map(|(k, d)| (k.clone(), d.as_str().unwrap_or_default().to_string()))
                .collect(),
        ),
        _ => None,
    };
    let import_id_format = v
        .pointer("/import/id_format")
        .and_then(Value::as_str)
        .map(str::to_string);
    let drift = v
        .get("import_drift")
        .and_then(Value::as_array)
        .map(|entries| {
            entries
                .iter()
                .map(|e| Drift {
                    arg: str_field(e, "arg"),
                    force_new: e.get("force_new").cloned().unwrap_or(Value::Bool(false)),
                    checked: e.get("checked").and_then(Value::as_bool).unwrap_or(false),
                    effect: str_field(e, "effect"),
                })
                .collect()
        })
        .unwrap_or_default();
    Ok(BlockType {
        args: parse_args(args)?,
        timeouts,
        import_id_format,
        drift,
    })
}

fn parse_args(map: &serde_json::Map<String, Value>) -> Result<BTreeMap<String, Arg>, String> {
    map.iter()
        .map(|(name, a)| parse_arg(a).map(|arg| (name.clone(), arg)))
        .collect()
}

fn parse_arg(a: &Value) -> Result<Arg, String> {
    let flag = |k: &str| a.get(k).and_then(Value::as_bool).unwrap_or(false);
    let list = |k: &str| -> Vec<String> {
        a.get(k)
            .and_then(Value::as_array)
            .map(|v| {
                v.iter()
                    .filter_map(|x| match x {
                        Value::String(s) => Some(s.clone()),
                        Value::Number(n) => Some(n.to_string()),
                        _ => None,
                    })
                    .collect()
            })
            .unwrap_or_default()
    };
    let validation = a.get("validation");
    let vnum = |k: &str| validation.and_then(|v| v.get(k)).and_then(Value::as_f64);
    let vint = |k: &str| validation.and_then(|v| v.get(k)).and_then(Value::as_u64);
    let nested = match a.get("attributes").and_then(Value::as_object) {
        Some(m) => parse_args(m)?,
        None => BTreeMap::new(),
    };
    Ok(Arg {
        ty: a
            .get("type")
            .and_then(Value::as_str)
            .ok_or("argument without `type`")?
            .to_string(),
        required: flag("required"),
        optional: flag("optional"),
        computed: flag("computed"),
        config_allowed: flag("config_allowed"),
        deprecated: flag("deprecated").then(|| {
            a.get("deprecation_message")
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_string()
        }),
        allowed_values: list("allowed_values"),
        min_length: vint("min_length"),
        max_length: vint("max_length"),
        min: vnum("min"),
        max: vnum("max"),
        max_items: a.get("max_items").and_then(Value::as_u64),
        nested,
        conflicts_with: list("conflicts_with"),
        exactly_one_of: list("exactly_one_of"),
        at_least_one_of: list("at_least_one_of"),
        required_with: list("required_with"),
    })
}

fn str_field(v: &Value, k: &str) -> String {
    v.get(k)
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn vendored_schema_loads_with_nested_blocks_and_timeouts() {
        let s = TerraformSchema::vendored();
        let vpc = &s.resources["ibm_is_vpc"];
        assert!(vpc.args["dns"].is_block());
        assert!(vpc.args["dns"].nested["resolver"]
            .nested
            .contains_key("type"));
        assert!(!vpc.args["default_network_acl"].config_allowed);
        assert_eq!(vpc.timeouts.as_ref().unwrap()["create"], "10m");
        assert!(s.resources["ibm_is_ssh_key"].timeouts.is_none());
        assert_eq!(
            s.resources["ibm_is_instance"].args["threads_per_core"].allowed_values,
            ["1", "2"]
        );
        assert!(s.data_sources.contains_key("ibm_is_image"));
    }

    #[test]
    fn load_reports_a_missing_file() {
        let err = TerraformSchema::load(Path::new("/nonexistent/schema.json")).unwrap_err();
        assert!(err.contains("cannot read"), "{err}");
    }
}
