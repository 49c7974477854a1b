//! Terraform >= 1.5 `import {}` blocks, and what adopting an existing resource demands of its
//! configuration so that the first plan after the import neither replaces nor updates it.
//!
//! Import blocks: `to` names a resource declared in the file, at most one import per address,
//! `id` is a non-empty literal string shaped like the schema's `import.id_format` where that is
//! checkable (the provider parses the id; a wrong shape fails at plan or, worse, imports garbage).
//!
//! Drift: the schema's `import_drift` lists arguments the provider never reads back. Each entry
//! has been decided by hand in [`DECISIONS`] (with the reason); the decision says whether an
//! imported resource that sets the argument must list it in `lifecycle { ignore_changes }`,
//! whether the provider already suppresses the diff, or whether the right value suffices.

use crate::schema::{Drift, TerraformSchema};
use crate::terraform::{attr, is_set, Decl};
use hcl::expr::{Expression, TraversalOperator};
use hcl::{Block, Body};
use std::collections::BTreeSet;

/// The `import` blocks of a Terraform file: (to address like "ibm_is_vpc.vpc", id string).
pub fn imports(text: &str) -> Result<Vec<(String, String)>, String> {
    let body = hcl::parse(text).map_err(|e| format!("HCL parse error: {e}"))?;
    let mut out = Vec::new();
    for (i, b) in import_blocks(&body).enumerate() {
        let to = import_to(b)
            .ok_or_else(|| format!("import block #{}: `to` is not a resource address", i + 1))?;
        match attr(&b.body, "id") {
            Some(Expression::String(id)) => out.push((to, id.clone())),
            _ => return Err(format!("import {to}: `id` is not a literal string")),
        }
    }
    Ok(out)
}

fn import_blocks(body: &Body) -> impl Iterator<Item = &Block> {
    body.blocks().filter(|b| b.identifier.as_str() == "import")
}

/// `to = ibm_is_vpc.vpc` as "ibm_is_vpc.vpc"; `None` for anything but a plain resource address.
fn import_to(b: &Block) -> Option<String> {
    let Some(Expression::Traversal(t)) = attr(&b.body, "to") else {
        return None;
    };
    let Expression::Variable(ty) = &t.expr else {
        return None;
    };
    match t.operators.as_slice() {
        [TraversalOperator::GetAttr(name)] if ty.as_str() != "data" => {
            Some(format!("{}.{}", ty.as_str(), name.as_str()))
        }
        _ => None,
    }
}

/// The id shapes an `import.id_format` of the schema allows to check.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum IdShape {
    /// `crn:...` (resource instance, resource key, database).
    Crn,
    /// `crn:...` or `<id>/<type>` (resource tag).
    CrnOrSlashPair,
    /// `<a>.<b>`: exactly two non-empty parts, no slash (security group rule; the docs' slash
    /// form fails in the provider's parseISTerraformID).
    DotPair,
    /// `<a>/<b>`: exactly two non-empty parts (logs router tenant).
    SlashPair,
    /// A region name such as `us-south` (metrics/logs router and Activity Tracker settings).
    Region,
    /// 32 hex digits (CBR zone and rule).
    Hex32,
    /// Anything non-empty without whitespace.
    NonEmpty,
}

pub(crate) fn id_shape(id_format: &str) -> IdShape {
    if id_format.contains("CRN") && id_format.contains('|') {
        IdShape::CrnOrSlashPair
    } else if id_format.contains("CRN") {
        IdShape::Crn
    } else if id_format.contains(">.<") {
        IdShape::DotPair
    } else if id_format.contains(">/<") {
        IdShape::SlashPair
    } else if id_format.contains("region") {
        IdShape::Region
    } else if id_format.contains("32-hex") {
        IdShape::Hex32
    } else {
        IdShape::NonEmpty
    }
}

pub(crate) fn id_matches(shape: IdShape, id: &str) -> bool {
    let pair = |sep: char| {
        let parts: Vec<&str> = id.split(sep).collect();
        parts.len() == 2 && parts.iter().all(|p| !p.is_empty())
    };
    let plain = !id.is_empty() && !id.chars().any(char::is_whitespace);
    plain
        && match shape {
            IdShape::Crn => id.starts_with("crn:"),
            IdShape::CrnOrSlashPair => id.starts_with("crn:") || pair('/'),
            IdShape::DotPair => pair('.') && !id.contains('/'),
            IdShape::SlashPair => pair('/'),
            IdShape::Region => is_region(id),
            IdShape::Hex32 => id.len() == 32 && id.chars().all(|c| c.is_ascii_hexdigit()),
            IdShape::NonEmpty => true,
        }
}

/// `us-south`, `eu-de`, `ca-mon`, `eu-fr2`: two lowercase letters, a dash, lowercase letters or
/// digits (at most one more dash-separated part).
fn is_region(s: &str) -> bool {
    let parts: Vec<&str> = s.split('-').collect();
    (2..=3).contains(&parts.len())
        && parts[0].len() == 2
        && parts[0].chars().all(|c| c.is_ascii_lowercase())
        && parts[1..].iter().all(|p| {
            p.len() >= 2
                && p.chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit())
        })
}

/// What an `import_drift` entry demands of a configuration that sets the argument.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Remedy {
    /// An imported resource must list the argument in `lifecycle { ignore_changes }`.
    IgnoreChanges,
    /// The provider's DiffSuppressFunc hides the difference itself: nothing to do.
    Suppressed,
    /// Satisfied by the value Read stores, the instance CRN: `ibm_resource_instance.<n>.id` or a
    /// `crn:` literal (or by ignore_changes). Checked on every resource, imported or not, since
    /// Read rewrites it after a create too.
    InstanceCrn,
    /// Satisfied by an IAM role display name such as "Manager" (or by ignore_changes); checked
    /// on every resource like [`Remedy::InstanceCrn`].
    RoleDisplayName,
    /// Read stores the image ID: every server must give an ID (an `.id` expression or an
    /// `r123-<uuid>` literal), and an imported one must also ignore it, since today's ID need
    /// not be the one it booted from and a difference replaces the server.
    ImageId,
    /// An unchecked heuristic that is not ForceNew: at worst an in-place diff, not enforced.
    NotEnforced,
}

/// The decision for every `import_drift` entry of the vendored schema, (resource, argument).
pub(crate) const DECISIONS: &[(&str, &str, Remedy)] = &[
    // Read never sets parameters/parameters_json; after import the plan shows an in-place update
    // that re-sends the parameters to the broker (checked, effect says "use ignore_changes").
    (
        "ibm_resource_instance",
        "parameters_json",
        Remedy::IgnoreChanges,
    ),
    ("ibm_resource_instance", "parameters", Remedy::IgnoreChanges),
    // Update is a no-op: the diff is harmless but never goes away, so a clean plan needs it ignored.
    ("ibm_resource_key", "parameters", Remedy::IgnoreChanges),
    // ForceNew; Read stores the instance CRN (SourceCRN): the CRN in config means no drift.
    (
        "ibm_resource_key",
        "resource_instance_id",
        Remedy::InstanceCrn,
    ),
    // ForceNew; Read stores the role's display name: "Manager"/"Writer" in config means no drift.
    ("ibm_resource_key", "role", Remedy::RoleDisplayName),
    // ForceNew and never d.Set anywhere: importing with them set plans a REPLACEMENT.
    ("ibm_database", "key_protect_key", Remedy::IgnoreChanges),
    (
        "ibm_database",
        "key_protect_instance",
        Remedy::IgnoreChanges,
    ),
    (
        "ibm_database",
        "backup_encryption_key_crn",
        Remedy::IgnoreChanges,
    ),
    // Unchecked heuristic, not ForceNew, and the Gen 2 backend has its own setters.
    ("ibm_database", "adminpassword", Remedy::NotEnforced),
    ("ibm_database", "configuration", Remedy::NotEnforced),
    ("ibm_database", "users", Remedy::NotEnforced),
    ("ibm_database", "group", Remedy::NotEnforced),
    // ForceNew and not read, but DiffSuppressFunc suppressNullAddPrefix returns true on import.
    (
        "ibm_is_vpc",
        "address_prefix_management",
        Remedy::Suppressed,
    ),
    // Unchecked heuristic, not ForceNew.
    ("ibm_is_vpc", "no_sg_acl_rules", Remedy::NotEnforced),
    // ForceNew and never read back: an adopted VSI with user_data is REPLACED.
    ("ibm_is_instance", "user_data", Remedy::IgnoreChanges),
    // Not read, but DiffSuppressFunc flex.ApplyOnce suppresses any diff once there is an id.
    ("ibm_is_instance", "keys", Remedy::Suppressed),
    // ForceNew; Read stores the image ID, so a name would replace the server after any refresh.
    // Even an id expression (data.ibm_is_image.x.id) resolves to today's image, not necessarily
    // the one the adopted VSI booted from: an imported server needs ignore_changes as well.
    ("ibm_is_instance", "image", Remedy::ImageId),
    // The entry marks these two ForceNew ("instance_template, placement_group: yes"); a
    // replacement destroys the server, so they are enforced although the entry is unchecked.
    (
        "ibm_is_instance",
        "instance_template",
        Remedy::IgnoreChanges,
    ),
    ("ibm_is_instance", "placement_group", Remedy::IgnoreChanges),
    // The rest of that heuristic entry: not ForceNew, unchecked.
    ("ibm_is_instance", "auto_delete_volume", Remedy::NotEnforced),
    ("ibm_is_instance", "wait_before_delete", Remedy::NotEnforced),
    ("ibm_is_instance", "force_action", Remedy::NotEnforced),
    ("ibm_is_instance", "dedicated_host", Remedy::NotEnforced),
    (
        "ibm_is_instance",
        "dedicated_host_group",
        Remedy::NotEnforced,
    ),
    (
        "ibm_is_instance",
        "force_recovery_time",
        Remedy::NotEnforced,
    ),
    // Request headers, unchecked, not ForceNew.
    ("ibm_cbr_zone", "x_correlation_id", Remedy::NotEnforced),
    ("ibm_cbr_zone", "transaction_id", Remedy::NotEnforced),
    ("ibm_cbr_rule", "x_correlation_id", Remedy::NotEnforced),
    ("ibm_cbr_rule", "transaction_id", Remedy::NotEnforced),
    // Unchecked heuristic, not ForceNew.
    ("ibm_resource_tag", "tag_type", Remedy::NotEnforced),
    ("ibm_resource_tag", "replace", Remedy::NotEnforced),
];

/// The argument names of a drift entry: `a / b`, `a, b, ...`, `dedicated_host(_group)`.
pub(crate) fn drift_arg_names(arg: &str) -> Vec<String> {
    let mut out = Vec::new();
    for part in arg.split(['/', ',']).map(str::trim) {
        if part.is_empty() || part == "..." {
            continue;
        }
        match part.split_once('(') {
            Some((base, opt)) => {
                out.push(base.to_string());
                out.push(format!("{base}{}", opt.trim_end_matches(')')));
            }
            None => out.push(part.to_string()),
        }
    }
    out
}

/// The hand-made decision, or for an entry added to the schema later: suppressed if the effect
/// says a DiffSuppressFunc hides it, ignore_changes if ForceNew or checked, else not enforced.
pub(crate) fn remedy(resource: &str, name: &str, entry: &Drift) -> Remedy {
    if let Some((_, _, r)) = DECISIONS
        .iter()
        .find(|(res, arg, _)| *res == resource && *arg == name)
    {
        return *r;
    }
    let effect = entry.effect.to_lowercase();
    if effect.contains("diffsuppressfunc") && effect.contains("suppress") {
        Remedy::Suppressed
    } else if entry.force_new == serde_json::Value::Bool(true) || entry.checked {
        Remedy::IgnoreChanges
    } else {
        Remedy::NotEnforced
    }
}

/// `lifecycle { ignore_changes }` of a resource: `None` = `all`.
fn ignored(body: &Body) -> Option<BTreeSet<String>> {
    let mut names = BTreeSet::new();
    for lc in body
        .blocks()
        .filter(|b| b.identifier.as_str() == "lifecycle")
    {
        match attr(&lc.body, "ignore_changes") {
            Some(Expression::Variable(v)) if v.as_str() == "all" => return None,
            Some(Expression::Array(items)) => {
                for item in items {
                    match item {
                        Expression::Variable(v) => names.insert(v.as_str().to_string()),
                        Expression::Traversal(t) => match &t.expr {
                            Expression::Variable(v) => names.insert(v.as_str().to_string()),
                            _ => false,
                        },
                        _ => false,
                    };
                }
            }
            _ => {}
        }
    }
    Some(names)
}

/// Import blocks of the file, then the drift rules for every resource.
pub(crate) fn check_imports_and_drift(
    body: &Body,
    decls: &[Decl],
    schema: &TerraformSchema,
    p: &mut Vec<String>,
) {
    let declared: BTreeSet<String> = decls
        .iter()
        .filter(|d| !d.is_data)
        .map(Decl::addr)
        .collect();
    let mut imported = BTreeSet::new();
    for b in import_blocks(body) {
        for a in b.body.attributes() {
            if !matches!(a.key.as_str(), "to" | "id" | "provider") {
                p.push(format!(
                    "import: argument `{}` is not supported here",
                    a.key
                ));
            }
        }
        if b.body.blocks().next().is_some() {
            p.push("import: nested blocks are not allowed".into());
        }
        let Some(to) = import_to(b) else {
            p.push("import: `to` must be a resource address like ibm_is_vpc.vpc".into());
            continue;
        };
        if !declared.contains(&to) {
            p.push(format!(
                "import {to}: `to` names no resource declared in this file"
            ));
        }
        if !imported.insert(to.clone()) {
            p.push(format!("import {to}: imported more than once"));
        }
        let id = match attr(&b.body, "id") {
            Some(Expression::String(id)) if !id.is_empty() => id,
            _ => {
                p.push(format!(
                    "import {to}: `id` must be a non-empty literal string"
                ));
                continue;
            }
        };
        let ty = to.split('.').next().unwrap_or_default();
        if let Some(fmt) = schema
            .resources
            .get(ty)
            .and_then(|r| r.import_id_format.as_deref())
        {
            if !id_matches(id_shape(fmt), id) {
                p.push(format!(
                    "import {to}: id \"{id}\" does not have the shape {fmt}"
                ));
            }
        }
    }
    for d in decls.iter().filter(|d| !d.is_data) {
        if let Some(bt) = schema.resources.get(&d.ty) {
            let is_imported = imported.contains(&d.addr());
            check_drift(d, &bt.drift, is_imported, p);
        }
    }
}

fn check_drift(d: &Decl, drift: &[Drift], imported: bool, p: &mut Vec<String>) {
    let body = &d.block.body;
    let ignored = ignored(body);
    let is_ignored = |n: &str| ignored.as_ref().is_none_or(|s| s.contains(n));
    for entry in drift {
        for name in drift_arg_names(&entry.arg) {
            if !is_set(body, &name) || is_ignored(&name) {
                continue;
            }
            match remedy(&d.ty, &name, entry) {
                Remedy::IgnoreChanges | Remedy::ImageId if imported => p.push(format!(
                    "{}: imported with `{name}` set, which the provider does not read back as written: it would be {} after import; add it to lifecycle {{ ignore_changes }}",
                    d.label(),
                    if force_new(entry, &name) { "replaced" } else { "updated in place" }
                )),
                Remedy::ImageId if !is_image_id(attr(body, &name)) => p.push(format!(
                    "{}: `{name}` must be the image ID (data.ibm_is_image.<name>.id or an \"r123-...\" literal): Read stores the ID, so a name would be replaced",
                    d.label()
                )),
                Remedy::InstanceCrn if !is_instance_crn(attr(body, &name)) => p.push(format!(
                    "{}: `{name}` must be the instance CRN (ibm_resource_instance.<name>.id or a \"crn:...\" literal): Read stores the CRN, so anything else would be replaced",
                    d.label()
                )),
                Remedy::RoleDisplayName if !is_role_display_name(attr(body, &name)) => p.push(format!(
                    "{}: `{name}` must be a role display name such as \"Manager\": Read stores the display name, so anything else would be replaced",
                    d.label()
                )),
                _ => {}
            }
        }
    }
}

/// ForceNew per the entry: `true`, or a string naming it ("instance_template, placement_group: yes").
fn force_new(entry: &Drift, name: &str) -> bool {
    match &entry.force_new {
        serde_json::Value::Bool(b) => *b,
        serde_json::Value::String(s) => s.split([',', ':']).any(|part| part.trim() == name),
        _ => false,
    }
}

fn is_instance_crn(e: Option<&Expression>) -> bool {
    match e {
        Some(Expression::String(s)) => s.starts_with("crn:"),
        Some(Expression::Traversal(t)) => {
            let Expression::Variable(root) = &t.expr else {
                return false;
            };
            let names: Vec<&str> = t
                .operators
                .iter()
                .filter_map(|op| match op {
                    TraversalOperator::GetAttr(i) => Some(i.as_str()),
                    _ => None,
                })
                .collect();
            match root.as_str() {
                "ibm_resource_instance" => names.len() == 2 && names[1] == "id",
                "data" => {
                    names.len() == 3 && names[0] == "ibm_resource_instance" && names[2] == "id"
                }
                _ => false,
            }
        }
        _ => false,
    }
}

/// An `.id` expression, or an image id literal such as `r038-5c1ef9d4-...` (region prefix + UUID).
fn is_image_id(e: Option<&Expression>) -> bool {
    match e {
        Some(Expression::String(s)) => {
            let b = s.as_bytes();
            b.len() == 41
                && b[0] == b'r'
                && b[1..4].iter().all(u8::is_ascii_digit)
                && b[4] == b'-'
                && b[5..].iter().all(|c| c.is_ascii_hexdigit() || *c == b'-')
        }
        Some(Expression::Traversal(t)) => matches!(
            t.operators.last(),
            Some(TraversalOperator::GetAttr(a)) if a.as_str() == "id"
        ),
        _ => false,
    }
}

fn is_role_display_name(e: Option<&Expression>) -> bool {
    matches!(e, Some(Expression::String(s))
        if s.chars().next().is_some_and(|c| c.is_ascii_uppercase()) && !s.contains(':'))
}
