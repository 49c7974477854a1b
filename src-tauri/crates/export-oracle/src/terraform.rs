//! `check_terraform`: a Terraform file against the provider schema, the way `terraform validate`
//! and `terraform plan` would judge it, since neither can run here.
//!
//! What is enforced, and why:
//! - The text parses as HCL (a parse error is the only problem reported then).
//! - Top level: only Terraform's block types, no loose attributes, no duplicate addresses.
//! - `terraform { required_providers { ibm = { source = "IBM-Cloud/ibm", version = "2.5.0" } } }`:
//!   the contract describes provider 2.5.0 only, so the export must pin it.
//! - Every `resource`/`data` type is in the schema; every attribute is a known argument that is
//!   configurable (`config_allowed`; Terraform rejects computed-only ones) and not deprecated;
//!   every nested block is an argument of type `block`, checked recursively against its nested
//!   arguments; required arguments and blocks are present; `max_items` is respected; literal
//!   values are in `allowed_values` and within recorded lengths/ranges; `conflicts_with`,
//!   `exactly_one_of`, `at_least_one_of` and `required_with` hold (SDK v2 semantics: the
//!   one-of rules are evaluated even when the declaring argument is unset).
//! - Meta-arguments `count`, `for_each`, `depends_on`, `provider`, `lifecycle` are allowed;
//!   `lifecycle { ignore_changes }` names known, configurable arguments; a `timeouts {}` block
//!   appears only where the resource declares Timeouts, with those keys and Go durations.
//! - A Gen 2 database (`plan = "*-gen2"`) has a create timeout of at least 20m: provisioning takes
//!   15–20 minutes and `ibm_resource_instance`'s default is 10m (contract README).
//! - References `ibm_x.name.attr` / `data.ibm_x.name.attr` name declared resources and known
//!   attributes (`id` or a schema argument).
//! - Import blocks, ForceNew drift and formatting: see `drift.rs` and `format.rs`.

use crate::drift;
use crate::format;
use crate::schema::{Arg, BlockType, TerraformSchema};
use hcl::expr::{Expression, ObjectKey, TraversalOperator};
use hcl::{Block, Body};
use std::collections::{BTreeMap, BTreeSet};

/// Every problem found in a Terraform file, one readable line each
/// ("resource ibm_is_vpc.vpc: unknown argument `foo`"); empty = clean.
pub fn check_terraform(text: &str, schema: &TerraformSchema) -> Vec<String> {
    let body = match hcl::parse(text) {
        Ok(body) => body,
        Err(e) => return vec![format!("HCL parse error: {e}")],
    };
    let mut p = Vec::new();
    let decls = declarations(&body, &mut p);
    check_required_providers(&body, &mut p);
    for d in &decls {
        let bt = if d.is_data {
            schema.data_sources.get(&d.ty)
        } else {
            schema.resources.get(&d.ty)
        };
        let Some(bt) = bt else {
            let kind = if d.is_data { "data source" } else { "resource" };
            p.push(format!(
                "{}: {kind} type `{}` is not in the provider 2.5.0 schema",
                d.label(),
                d.ty
            ));
            continue;
        };
        let mut c = ResourceCheck {
            label: d.label(),
            is_data: d.is_data,
            root: &d.block.body,
            bt,
            seen: BTreeSet::new(),
            p: &mut p,
        };
        c.body(&d.block.body, &bt.args, "", true);
        if !d.is_data {
            c.gen2_create_timeout(&d.ty);
        }
    }
    drift::check_imports_and_drift(&body, &decls, schema, &mut p);
    check_references(&body, &decls, schema, &mut p);
    p.extend(format::check_rewrites(&body));
    p.extend(format::check_format(text));
    p
}

/// A `resource "T" "N"` or `data "T" "N"` block.
pub(crate) struct Decl<'a> {
    pub(crate) is_data: bool,
    pub(crate) ty: String,
    pub(crate) name: String,
    pub(crate) block: &'a Block,
}

impl Decl<'_> {
    /// `ibm_is_vpc.vpc` (resources) or `data.ibm_is_image.img`.
    pub(crate) fn addr(&self) -> String {
        if self.is_data {
            format!("data.{}.{}", self.ty, self.name)
        } else {
            format!("{}.{}", self.ty, self.name)
        }
    }

    pub(crate) fn label(&self) -> String {
        let kind = if self.is_data { "data" } else { "resource" };
        format!("{kind} {}.{}", self.ty, self.name)
    }
}

const TOP_LEVEL_BLOCKS: &[&str] = &[
    "terraform",
    "provider",
    "resource",
    "data",
    "import",
    "variable",
    "output",
    "locals",
    "module",
    "moved",
    "removed",
    "check",
];

/// The resources and data sources of the file, after checking the top level's shape.
fn declarations<'a>(body: &'a Body, p: &mut Vec<String>) -> Vec<Decl<'a>> {
    let mut decls: Vec<Decl<'a>> = Vec::new();
    for a in body.attributes() {
        p.push(format!(
            "top level: attribute `{}` is not allowed outside a block",
            a.key
        ));
    }
    for b in body.blocks() {
        let id = b.identifier.as_str();
        if !TOP_LEVEL_BLOCKS.contains(&id) {
            p.push(format!("top level: unknown block type `{id}`"));
            continue;
        }
        if id != "resource" && id != "data" {
            continue;
        }
        let [ty, name] = b.labels.as_slice() else {
            p.push(format!(
                "top level: a `{id}` block needs two labels (type and name)"
            ));
            continue;
        };
        let d = Decl {
            is_data: id == "data",
            ty: ty.as_str().to_string(),
            name: name.as_str().to_string(),
            block: b,
        };
        if decls.iter().any(|o| o.addr() == d.addr()) {
            p.push(format!("{}: declared twice", d.label()));
            continue;
        }
        decls.push(d);
    }
    decls
}

/// The `ibm` provider must come from IBM-Cloud/ibm pinned to 2.5.0, the version the schema
/// describes ("2.5.0", "= 2.5.0" and "~> 2.5.0" accepted).
fn check_required_providers(body: &Body, p: &mut Vec<String>) {
    let entry = body
        .blocks()
        .filter(|b| b.identifier.as_str() == "terraform")
        .flat_map(|b| b.body.blocks())
        .filter(|b| b.identifier.as_str() == "required_providers")
        .find_map(|b| attr(&b.body, "ibm"));
    let Some(entry) = entry else {
        p.push("terraform: no `terraform { required_providers { ibm = { source = \"IBM-Cloud/ibm\", version = \"2.5.0\" } } }`".into());
        return;
    };
    let Expression::Object(obj) = entry else {
        p.push("terraform: required_providers.ibm must be an object { source, version }".into());
        return;
    };
    let field = |name: &str| {
        obj.iter().find_map(|(k, v)| {
            let key = match k {
                ObjectKey::Identifier(i) => i.as_str().to_string(),
                ObjectKey::Expression(Expression::String(s)) => s.clone(),
                _ => return None,
            };
            (key == name).then_some(v)
        })
    };
    match field("source") {
        Some(Expression::String(s))
            if s.eq_ignore_ascii_case("IBM-Cloud/ibm")
                || s.eq_ignore_ascii_case("registry.terraform.io/IBM-Cloud/ibm") => {}
        other => p.push(format!(
            "terraform: required_providers.ibm.source must be \"IBM-Cloud/ibm\" (found {})",
            shown(other)
        )),
    }
    match field("version") {
        Some(Expression::String(v)) if pins_2_5_0(v) => {}
        other => p.push(format!(
            "terraform: required_providers.ibm.version must pin 2.5.0 (\"2.5.0\", \"= 2.5.0\" or \"~> 2.5.0\"; found {})",
            shown(other)
        )),
    }
}

fn pins_2_5_0(v: &str) -> bool {
    let v = v.trim();
    let v = v
        .strip_prefix("~>")
        .or_else(|| v.strip_prefix('='))
        .unwrap_or(v);
    v.trim() == "2.5.0"
}

fn shown(e: Option<&Expression>) -> String {
    e.map_or_else(|| "nothing".into(), |e| format!("`{e}`"))
}

const META_ATTRS: &[&str] = &["count", "for_each", "depends_on", "provider"];
const LIFECYCLE_ATTRS: &[&str] = &[
    "create_before_destroy",
    "prevent_destroy",
    "ignore_changes",
    "replace_triggered_by",
];

/// The checks of one resource or data source block, with its problem label.
struct ResourceCheck<'a> {
    label: String,
    is_data: bool,
    root: &'a Body,
    bt: &'a BlockType,
    /// Constraint problems already reported (both sides of a conflict declare it).
    seen: BTreeSet<String>,
    p: &'a mut Vec<String>,
}

impl ResourceCheck<'_> {
    fn problem(&mut self, msg: String) {
        self.p.push(format!("{}: {msg}", self.label));
    }

    /// One body against its arguments; `prefix` is the SDK key of the body (`a.0.b.0`).
    fn body(&mut self, body: &Body, args: &BTreeMap<String, Arg>, prefix: &str, root: bool) {
        let mut attrs_seen = BTreeSet::new();
        let mut block_counts: BTreeMap<String, usize> = BTreeMap::new();
        for a in body.attributes() {
            let key = a.key.as_str();
            let path = join(prefix, key);
            if !attrs_seen.insert(key) {
                self.problem(format!("argument `{path}` is set twice"));
            }
            if root && META_ATTRS.contains(&key) {
                continue;
            }
            match args.get(key) {
                None => self.problem(format!("unknown argument `{path}`")),
                Some(arg) => self.attribute(&path, arg, &a.expr),
            }
        }
        for b in body.blocks() {
            let id = b.identifier.as_str();
            if root {
                match id {
                    "lifecycle" => {
                        self.lifecycle(&b.body);
                        continue;
                    }
                    "timeouts" if !self.is_data => {
                        self.timeouts(b);
                        continue;
                    }
                    "provisioner" | "connection" if !self.is_data => continue,
                    _ => {}
                }
            }
            let Some((name, inner)) = block_parts(b) else {
                self.problem(format!(
                    "`dynamic` block without a label or `content` in `{prefix}`"
                ));
                continue;
            };
            let count = block_counts.entry(name.to_string()).or_insert(0);
            let path = join(prefix, name);
            let key = format!("{path}.{count}");
            *count += 1;
            match args.get(name) {
                None => self.problem(format!("unknown block `{path}`")),
                Some(arg) if !arg.is_block() => self.problem(format!(
                    "`{path}` is an argument, not a block: write `{name} = ...`"
                )),
                Some(arg) => {
                    if !arg.config_allowed {
                        self.problem(format!("block `{path}` is computed-only and cannot be set"));
                    }
                    if let Some(msg) = &arg.deprecated {
                        self.problem(format!("block `{path}` is deprecated{}", reason(msg)));
                    }
                    self.body(inner, &arg.nested, &key, false);
                }
            }
        }
        for (name, n) in &block_counts {
            if let Some(max) = args.get(name).and_then(|a| a.max_items) {
                if *n as u64 > max {
                    let path = join(prefix, name);
                    self.problem(format!(
                        "block `{path}` appears {n} times, at most {max} allowed"
                    ));
                }
            }
        }
        for (name, arg) in args {
            let path = join(prefix, name);
            if arg.required && arg.config_allowed && !is_set(body, name) {
                let what = if arg.is_block() { "block" } else { "argument" };
                self.problem(format!("missing required {what} `{path}`"));
            }
            self.constraints(&path, body, name, arg);
        }
    }

    fn attribute(&mut self, path: &str, arg: &Arg, expr: &Expression) {
        if arg.is_block() {
            // Terraform's "attributes as blocks" mode lets an optional+computed block be set
            // to an explicit list (`x = []`); anything else is a block written as an attribute.
            if !(arg.optional && arg.computed && matches!(expr, Expression::Array(_))) {
                self.problem(format!(
                    "`{path}` is a block: write `{} {{ ... }}`",
                    last(path)
                ));
            }
            return;
        }
        if !arg.config_allowed {
            self.problem(format!("`{path}` is computed-only and cannot be set"));
            return;
        }
        if let Some(msg) = &arg.deprecated {
            self.problem(format!("`{path}` is deprecated{}", reason(msg)));
        }
        let literal = match expr {
            Expression::String(s) => Some(s.clone()),
            Expression::Number(n) => Some(n.to_string()),
            _ => None,
        };
        let Some(value) = literal else { return };
        if !arg.allowed_values.is_empty() && !arg.allowed_values.contains(&value) {
            let mut allowed = arg.allowed_values[..arg.allowed_values.len().min(12)].join(", ");
            if arg.allowed_values.len() > 12 {
                allowed.push_str(", ...");
            }
            self.problem(format!("`{path}` = \"{value}\" is not one of: {allowed}"));
        }
        if let Expression::String(s) = expr {
            let n = s.chars().count() as u64;
            if arg.ty == "string" && arg.min_length.is_some_and(|m| n < m) {
                self.problem(format!(
                    "`{path}` is shorter than {} characters",
                    arg.min_length.unwrap_or(0)
                ));
            }
            if arg.ty == "string" && arg.max_length.is_some_and(|m| n > m) {
                self.problem(format!(
                    "`{path}` is longer than {} characters",
                    arg.max_length.unwrap_or(0)
                ));
            }
        }
        if let Expression::Number(n) = expr {
            let v = n.as_f64().unwrap_or(0.0);
            if arg.min.is_some_and(|m| v < m) || arg.max.is_some_and(|m| v > m) {
                let range = format!("{:?}..={:?}", arg.min, arg.max);
                self.problem(format!("`{path}` = {n} is outside {range}"));
            }
        }
    }

    /// ConflictsWith / RequiredWith when `name` is set; ExactlyOneOf / AtLeastOneOf always (the
    /// SDK evaluates them for every key of an object it validates). Keys that do not resolve in
    /// the schema (unresolved Go constants such as `targetNameFmt`) make a rule uncheckable.
    fn constraints(&mut self, path: &str, body: &Body, name: &str, arg: &Arg) {
        let root = self.root;
        let args = &self.bt.args;
        for (rule, keys) in [
            ("exactly", &arg.exactly_one_of),
            ("least", &arg.at_least_one_of),
        ] {
            if keys.is_empty() {
                continue;
            }
            let mut all: Vec<&str> = keys.iter().map(String::as_str).collect();
            all.push(path);
            all.sort_unstable();
            all.dedup();
            let states: Option<Vec<bool>> =
                all.iter().map(|k| resolve_set(root, args, k)).collect();
            let Some(states) = states else { continue };
            let set: Vec<&str> = all
                .iter()
                .zip(&states)
                .filter(|(_, s)| **s)
                .map(|(k, _)| *k)
                .collect();
            let bad = match rule {
                "exactly" => set.len() != 1,
                _ => set.is_empty(),
            };
            let id = format!("{rule}:{}", all.join(","));
            if bad && self.seen.insert(id) {
                let list = all
                    .iter()
                    .map(|k| format!("`{k}`"))
                    .collect::<Vec<_>>()
                    .join(", ");
                let found = if set.is_empty() {
                    "none".to_string()
                } else {
                    set.join(", ")
                };
                let what = if rule == "exactly" {
                    "exactly one"
                } else {
                    "at least one"
                };
                self.problem(format!("{what} of {list} must be set (found: {found})"));
            }
        }
        if !is_set(body, name) {
            return;
        }
        for other in &arg.conflicts_with {
            if resolve_set(root, args, other) == Some(true) {
                let mut pair = [path, other.as_str()];
                pair.sort_unstable();
                if self
                    .seen
                    .insert(format!("conflict:{}:{}", pair[0], pair[1]))
                {
                    self.problem(format!("`{path}` conflicts with `{other}`: set only one"));
                }
            }
        }
        for needed in &arg.required_with {
            if resolve_set(root, args, needed) == Some(false) {
                self.problem(format!("`{path}` requires `{needed}` to be set too"));
            }
        }
    }

    /// `lifecycle {}`: Terraform's own keys; `ignore_changes` entries must be bare names of known,
    /// configurable arguments (or `all`).
    fn lifecycle(&mut self, body: &Body) {
        for a in body.attributes() {
            let key = a.key.as_str();
            if self.is_data || !LIFECYCLE_ATTRS.contains(&key) {
                self.problem(format!("lifecycle: `{key}` is not allowed here"));
                continue;
            }
            if key != "ignore_changes" {
                continue;
            }
            let items: Vec<&Expression> = match &a.expr {
                Expression::Variable(v) if v.as_str() == "all" => continue,
                Expression::Array(items) => items.iter().collect(),
                other => {
                    self.problem(format!(
                        "lifecycle: ignore_changes must be a list or `all` (found `{other}`)"
                    ));
                    continue;
                }
            };
            for item in items {
                let name = match item {
                    Expression::Variable(v) => v.as_str().to_string(),
                    Expression::Traversal(t) => match &t.expr {
                        Expression::Variable(v) => v.as_str().to_string(),
                        _ => String::new(),
                    },
                    Expression::String(s) => {
                        self.problem(format!("lifecycle: ignore_changes entry \"{s}\" must be a bare name, not a string"));
                        continue;
                    }
                    _ => String::new(),
                };
                match self.bt.args.get(&name) {
                    None => self.problem(format!(
                        "lifecycle: ignore_changes names unknown argument `{}`",
                        item
                    )),
                    Some(arg) if !arg.config_allowed => self.problem(format!(
                        "lifecycle: ignore_changes names computed-only `{name}` (no effect)"
                    )),
                    Some(_) => {}
                }
            }
        }
        for b in body.blocks() {
            let id = b.identifier.as_str();
            if id != "precondition" && id != "postcondition" {
                self.problem(format!("lifecycle: block `{id}` is not allowed"));
            }
        }
    }

    /// `timeouts {}`: only if the resource declares Timeouts, only those keys, Go durations.
    fn timeouts(&mut self, b: &Block) {
        let Some(keys) = &self.bt.timeouts else {
            self.problem(
                "the resource declares no timeouts, so a `timeouts` block is rejected".into(),
            );
            return;
        };
        let accepted = keys.keys().cloned().collect::<Vec<_>>().join(", ");
        for a in b.body.attributes() {
            let key = a.key.as_str();
            if !keys.contains_key(key) {
                self.problem(format!(
                    "timeouts: `{key}` is not accepted (accepted: {accepted})"
                ));
            }
            match &a.expr {
                Expression::String(s) if duration_secs(s).is_some() => {}
                other => self.problem(format!(
                    "timeouts: `{key}` = `{other}` is not a duration like \"30m\""
                )),
            }
        }
        if b.body.blocks().next().is_some() {
            self.problem("timeouts: nested blocks are not allowed".into());
        }
    }

    /// Gen 2 provisioning takes 15–20 minutes; the create timeout (explicit, else the provider's
    /// default) must be at least 20m or the apply fails with a tainted database.
    fn gen2_create_timeout(&mut self, ty: &str) {
        let is_gen2 =
            matches!(attr(self.root, "plan"), Some(Expression::String(s)) if s.ends_with("-gen2"));
        if !is_gen2 || !matches!(ty, "ibm_resource_instance" | "ibm_database") {
            return;
        }
        let explicit = self
            .root
            .blocks()
            .filter(|b| b.identifier.as_str() == "timeouts")
            .find_map(|b| match attr(&b.body, "create") {
                Some(Expression::String(s)) => Some(s.clone()),
                _ => None,
            });
        let default = self
            .bt
            .timeouts
            .as_ref()
            .and_then(|t| t.get("create").cloned());
        let Some(create) = explicit.or(default) else {
            return;
        };
        if duration_secs(&create).is_some_and(|s| s < 1200.0) {
            self.problem(format!(
                "Gen 2 provisioning takes 15–20 minutes but the create timeout is {create}: set `timeouts {{ create = \"30m\" }}` (at least 20m)"
            ));
        }
    }
}

/// The name and body a nested block stands for (`dynamic "x" { content { } }` stands for `x`).
fn block_parts(b: &Block) -> Option<(&str, &Body)> {
    if b.identifier.as_str() != "dynamic" {
        return Some((b.identifier.as_str(), &b.body));
    }
    let name = b.labels.first()?.as_str();
    let content = b
        .body
        .blocks()
        .find(|c| c.identifier.as_str() == "content")?;
    Some((name, &content.body))
}

/// `: <deprecation message>`, or nothing when the schema records none.
fn reason(msg: &str) -> String {
    if msg.is_empty() {
        String::new()
    } else {
        format!(": {msg}")
    }
}

fn join(prefix: &str, name: &str) -> String {
    if prefix.is_empty() {
        name.to_string()
    } else {
        format!("{prefix}.{name}")
    }
}

fn last(path: &str) -> &str {
    path.rsplit('.').next().unwrap_or(path)
}

pub(crate) fn attr<'a>(body: &'a Body, key: &str) -> Option<&'a Expression> {
    body.attributes()
        .find(|a| a.key.as_str() == key)
        .map(|a| &a.expr)
}

/// Set in the config: a non-null attribute or at least one block of that name.
pub(crate) fn is_set(body: &Body, name: &str) -> bool {
    attr(body, name).is_some_and(|e| !matches!(e, Expression::Null))
        || body
            .blocks()
            .any(|b| block_parts(b).is_some_and(|(n, _)| n == name))
}

/// Whether the SDK key (absolute from the resource root, `a.0.b`) is set; `None` when the key
/// does not name an argument of the schema.
fn resolve_set(body: &Body, args: &BTreeMap<String, Arg>, key: &str) -> Option<bool> {
    let segs: Vec<&str> = key.split('.').collect();
    resolve_segs(Some(body), args, &segs)
}

fn resolve_segs(body: Option<&Body>, args: &BTreeMap<String, Arg>, segs: &[&str]) -> Option<bool> {
    let (name, rest) = segs.split_first()?;
    let arg = args.get(*name)?;
    if rest.is_empty() {
        return Some(body.is_some_and(|b| is_set(b, name)));
    }
    if !arg.is_block() {
        return None;
    }
    let (idx, rest) = match rest[0].parse::<usize>() {
        Ok(i) => (i, &rest[1..]),
        Err(_) => (0, rest),
    };
    let inner = body.and_then(|b| {
        b.blocks()
            .filter_map(block_parts)
            .filter(|(n, _)| n == name)
            .nth(idx)
            .map(|(_, body)| body)
    });
    if rest.is_empty() {
        return Some(inner.is_some());
    }
    resolve_segs(inner, &arg.nested, rest)
}

/// Seconds in a Go duration string ("30m", "1h30m", "45s"); `None` if it is not one.
pub(crate) fn duration_secs(s: &str) -> Option<f64> {
    let mut total = 0.0;
    let mut rest = s.trim();
    if rest.is_empty() {
        return None;
    }
    while !rest.is_empty() {
        let digits = rest
            .find(|c: char| !c.is_ascii_digit() && c != '.')
            .unwrap_or(rest.len());
        let n: f64 = rest[..digits].parse().ok()?;
        rest = &rest[digits..];
        let unit = rest
            .find(|c: char| c.is_ascii_digit())
            .unwrap_or(rest.len());
        let factor = match &rest[..unit] {
            "h" => 3600.0,
            "m" => 60.0,
            "s" => 1.0,
            "ms" => 1e-3,
            "us" | "µs" => 1e-6,
            "ns" => 1e-9,
            _ => return None,
        };
        total += n * factor;
        rest = &rest[unit..];
    }
    Some(total)
}

/// References to resources and data sources must name declared ones and known attributes.
fn check_references(body: &Body, decls: &[Decl], schema: &TerraformSchema, p: &mut Vec<String>) {
    let declared: BTreeSet<String> = decls.iter().map(Decl::addr).collect();
    let mut found = BTreeSet::new();
    for b in body.blocks().filter(|b| b.identifier.as_str() != "import") {
        visit_body(&b.body, &mut |e| {
            if let Expression::Traversal(t) = e {
                if let Expression::Variable(root) = &t.expr {
                    if let Some(msg) =
                        reference_problem(root.as_str(), &t.operators, &declared, schema)
                    {
                        found.insert(msg);
                    }
                }
            }
        });
    }
    p.extend(found);
}

fn reference_problem(
    root: &str,
    ops: &[TraversalOperator],
    declared: &BTreeSet<String>,
    schema: &TerraformSchema,
) -> Option<String> {
    let names: Vec<Option<&str>> = ops
        .iter()
        .map(|op| match op {
            TraversalOperator::GetAttr(i) => Some(i.as_str()),
            _ => None,
        })
        .collect();
    let text = std::iter::once(root.to_string())
        .chain(
            names
                .iter()
                .map(|n| n.map_or("[..]".to_string(), |n| format!(".{n}"))),
        )
        .collect::<String>();
    let (addr, ty, attr_at, bt) = if root == "data" {
        let (Some(Some(ty)), Some(Some(name))) = (names.first(), names.get(1)) else {
            return None;
        };
        (
            format!("data.{ty}.{name}"),
            *ty,
            2,
            schema.data_sources.get(*ty),
        )
    } else if schema.resources.contains_key(root) || root.starts_with("ibm_") {
        let Some(Some(name)) = names.first() else {
            return None;
        };
        (
            format!("{root}.{name}"),
            root,
            1,
            schema.resources.get(root),
        )
    } else {
        return None;
    };
    if !declared.contains(&addr) {
        return Some(format!(
            "reference `{text}`: `{addr}` is not declared in this file"
        ));
    }
    // The attribute follows the address, after any `[index]` of a counted resource.
    let attr = ops.iter().skip(attr_at).find_map(|op| match op {
        TraversalOperator::GetAttr(i) => Some(i.as_str()),
        _ => None,
    });
    match (attr, bt) {
        (Some(a), Some(bt)) if a != "id" && !bt.args.contains_key(a) => {
            Some(format!("reference `{text}`: {ty} has no attribute `{a}`"))
        }
        _ => None,
    }
}

/// Calls `f` on every expression of a body, including those inside string templates.
pub(crate) fn visit_body(body: &Body, f: &mut dyn FnMut(&Expression)) {
    for a in body.attributes() {
        visit_expr(&a.expr, f);
    }
    for b in body.blocks() {
        visit_body(&b.body, f);
    }
}

fn visit_expr(e: &Expression, f: &mut dyn FnMut(&Expression)) {
    f(e);
    match e {
        Expression::Array(items) => items.iter().for_each(|i| visit_expr(i, f)),
        Expression::Object(obj) => obj.iter().for_each(|(k, v)| {
            if let ObjectKey::Expression(k) = k {
                visit_expr(k, f);
            }
            visit_expr(v, f);
        }),
        Expression::TemplateExpr(t) => {
            if let Ok(template) = hcl::Template::from_expr(t) {
                for el in template.elements() {
                    if let hcl::template::Element::Interpolation(i) = el {
                        visit_expr(&i.expr, f);
                    }
                }
            }
        }
        Expression::Traversal(t) => {
            visit_expr(&t.expr, f);
            for op in &t.operators {
                if let TraversalOperator::Index(i) = op {
                    visit_expr(i, f);
                }
            }
        }
        Expression::FuncCall(c) => c.args.iter().for_each(|a| visit_expr(a, f)),
        Expression::Parenthesis(inner) => visit_expr(inner, f),
        Expression::Conditional(c) => {
            visit_expr(&c.cond_expr, f);
            visit_expr(&c.true_expr, f);
            visit_expr(&c.false_expr, f);
        }
        Expression::Operation(op) => match op.as_ref() {
            hcl::expr::Operation::Unary(u) => visit_expr(&u.expr, f),
            hcl::expr::Operation::Binary(b) => {
                visit_expr(&b.lhs_expr, f);
                visit_expr(&b.rhs_expr, f);
            }
        },
        Expression::ForExpr(fe) => {
            visit_expr(&fe.collection_expr, f);
            fe.key_expr.iter().for_each(|k| visit_expr(k, f));
            visit_expr(&fe.value_expr, f);
            fe.cond_expr.iter().for_each(|c| visit_expr(c, f));
        }
        _ => {}
    }
}
