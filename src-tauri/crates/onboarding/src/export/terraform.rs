//! The Terraform form of a plan, for IBM-Cloud/ibm 2.5.0 (contract/terraform/): each kind
//! gives its parts ([`Tf`]), built as `hcl` structures; this file puts them in one
//! configuration, adds an `import {}` block for each resource the plan made, and lays the
//! text out as `terraform fmt` does (two-space indents, `=` aligned in a run of one-line
//! attributes). Comments sit between blocks, where a part says something Terraform cannot.

use hcl::{Attribute, Block, Body, Expression, Structure};

use super::Exporting;
use crate::AppError;

/// The provider version every export is written for and pins.
pub const PROVIDER_VERSION: &str = "2.5.0";

/// One part of the configuration a kind writes.
pub(crate) enum Tf {
    Resource(Box<TfResource>),
    /// A resource the user chose in the wizard: its id as a local value, used and never
    /// managed (so `terraform destroy` cannot touch it).
    Chosen {
        local: &'static str,
        value: String,
        note: String,
    },
    /// A value the configuration cannot know before apply (the id of a chosen resource's
    /// part): a variable Terraform asks for.
    Variable {
        name: &'static str,
        description: String,
    },
    /// A comment at this place: what the configuration leaves out here, and why.
    Note(String),
}

/// A `resource` block, with what an import of it needs.
pub(crate) struct TfResource {
    kind: &'static str,
    name: &'static str,
    body: Vec<Structure>,
    timeouts: Vec<(&'static str, &'static str)>,
    /// Arguments the provider never reads back: ignored once the resource is imported, so
    /// `terraform plan` after the import shows no change (contract `import_drift`).
    ignore_after_import: Vec<&'static str>,
    import: Option<String>,
    note: Option<String>,
}

impl TfResource {
    pub fn new(kind: &'static str, name: &'static str) -> TfResource {
        TfResource {
            kind,
            name,
            body: Vec::new(),
            timeouts: Vec::new(),
            ignore_after_import: Vec::new(),
            import: None,
            note: None,
        }
    }

    pub fn attr(mut self, key: &'static str, value: impl Into<Expression>) -> TfResource {
        self.body.push(Attribute::new(key, value).into());
        self
    }

    pub fn block(mut self, block: Block) -> TfResource {
        self.body.push(block.into());
        self
    }

    pub fn timeouts(mut self, keys: &[(&'static str, &'static str)]) -> TfResource {
        self.timeouts = keys.to_vec();
        self
    }

    pub fn ignore_after_import(mut self, args: &[&'static str]) -> TfResource {
        self.ignore_after_import = args.to_vec();
        self
    }

    /// The id to import it with, once the plan made it.
    pub fn import(mut self, id: Option<String>) -> TfResource {
        self.import = id;
        self
    }

    pub fn note(mut self, text: impl Into<String>) -> TfResource {
        self.note = Some(text.into());
        self
    }

    pub fn done(self) -> Vec<Tf> {
        vec![Tf::Resource(Box::new(self))]
    }
}

/// An expression that refers to something else in the configuration, e.g.
/// `ibm_is_vpc.vpc.id` or `local.vpc_id`.
pub(crate) fn reference(path: &str) -> Expression {
    path.parse()
        .unwrap_or_else(|_| Expression::String(path.to_owned()))
}

/// A nested block with one-line attributes.
pub(crate) fn block(ident: &'static str, attrs: Vec<(&'static str, Expression)>) -> Block {
    let mut b = Block::builder(ident);
    for (k, v) in attrs {
        b = b.add_attribute(Attribute::new(k, v));
    }
    b.build()
}

/// A Metrics or Logs Routing `rules` block: send to the target `target` (a reference) what
/// matches every `(operand, value)` filter, each with operator `is`.
pub(crate) fn send_rule(target: &str, filters: Vec<(&'static str, Expression)>) -> Block {
    let mut rules = Block::builder("rules")
        .add_attribute(Attribute::new("action", "send"))
        .add_block(block("targets", vec![("id", reference(target))]));
    for (operand, value) in filters {
        rules = rules.add_block(block(
            "inclusion_filters",
            vec![
                ("operand", operand.into()),
                ("operator", "is".into()),
                ("values", Expression::Array(vec![value])),
            ],
        ));
    }
    rules.build()
}

/// A list of strings.
pub(crate) fn strings<S: AsRef<str>>(items: &[S]) -> Expression {
    Expression::Array(
        items
            .iter()
            .map(|s| Expression::String(s.as_ref().to_owned()))
            .collect(),
    )
}

/// `jsonencode(...)` of a JSON value, written as an HCL object so it reads like the rest.
pub(crate) fn jsonencode(value: &serde_json::Value) -> Expression {
    hcl::expr::FuncCall::builder("jsonencode")
        .arg(expression(value))
        .build()
        .into()
}

/// A key as written: bare where it is an identifier, else quoted.
fn object_key(key: &str) -> hcl::expr::ObjectKey {
    match hcl::Identifier::new(key) {
        Ok(id) => hcl::expr::ObjectKey::Identifier(id),
        Err(_) => hcl::expr::ObjectKey::Expression(Expression::String(key.to_owned())),
    }
}

/// A JSON value as the HCL expression that denotes it.
fn expression(value: &serde_json::Value) -> Expression {
    use serde_json::Value as J;
    match value {
        J::Null => Expression::Null,
        J::Bool(b) => Expression::Bool(*b),
        J::Number(n) => match (n.as_i64(), n.as_f64()) {
            (Some(i), _) => Expression::from(i),
            (None, Some(f)) => Expression::from(f),
            _ => Expression::String(n.to_string()),
        },
        J::String(s) => Expression::String(s.clone()),
        J::Array(items) => Expression::Array(items.iter().map(expression).collect()),
        J::Object(map) => {
            Expression::from_iter(map.iter().map(|(k, v)| (object_key(k), expression(v))))
        }
    }
}

/// Where `step`'s resource is referred to: the attribute of the resource this plan makes,
/// or the local holding the id of the one the user chose.
pub(crate) fn id_of(chosen: bool, address: &str, local: &str) -> Expression {
    if chosen {
        reference(&format!("local.{local}"))
    } else {
        reference(&format!("{address}.id"))
    }
}

pub(crate) struct Document {
    pub text: String,
    pub imports: u32,
}

/// The whole configuration: header, provider, then every part in the plan's order.
pub(crate) fn document(x: &Exporting, parts: Vec<Tf>) -> Result<Document, AppError> {
    let mut out = String::new();
    out.push_str(&comment(&header(x)));
    let provider = Body::builder()
        .add_block(
            Block::builder("terraform")
                .add_block(
                    Block::builder("required_providers")
                        .add_attribute(Attribute::new(
                            "ibm",
                            Expression::from_iter([
                                (object_key("source"), Expression::from("IBM-Cloud/ibm")),
                                (object_key("version"), Expression::from(PROVIDER_VERSION)),
                            ]),
                        ))
                        .build(),
                )
                .build(),
        )
        .build();
    out.push_str(&format(&provider)?);
    out.push('\n');
    out.push_str(&comment(
        "The provider reads the API key from IBMCLOUD_API_KEY; none is written here.",
    ));
    let region = Body::builder()
        .add_block(
            Block::builder("provider")
                .add_label("ibm")
                .add_attribute(Attribute::new("region", x.plan.location.clone()))
                .build(),
        )
        .build();
    out.push_str(&format(&region)?);
    let mut imports = 0;
    let mut variables: Vec<&str> = Vec::new();
    for part in parts {
        if let Tf::Variable { name, .. } = &part {
            if variables.contains(name) {
                continue;
            }
            variables.push(name);
        }
        out.push('\n');
        match part {
            Tf::Note(text) => out.push_str(&comment(&text)),
            Tf::Variable { name, description } => {
                let body = Body::builder()
                    .add_block(
                        Block::builder("variable")
                            .add_label(name)
                            .add_attribute(Attribute::new("description", description))
                            .add_attribute(Attribute::new("type", reference("string")))
                            .build(),
                    )
                    .build();
                out.push_str(&format(&body)?);
            }
            Tf::Chosen { local, value, note } => {
                out.push_str(&comment(&note));
                let body = Body::builder()
                    .add_block(
                        Block::builder("locals")
                            .add_attribute(Attribute::new(local, value))
                            .build(),
                    )
                    .build();
                out.push_str(&format(&body)?);
            }
            Tf::Resource(r) => {
                if let Some(note) = &r.note {
                    out.push_str(&comment(note));
                }
                let imported = r.import.is_some();
                let mut b = Block::builder("resource")
                    .add_label(r.kind)
                    .add_label(r.name)
                    .add_structures(r.body);
                if !r.timeouts.is_empty() {
                    b = b.add_block(block(
                        "timeouts",
                        r.timeouts
                            .iter()
                            .map(|(k, v)| (*k, Expression::from(*v)))
                            .collect(),
                    ));
                }
                if imported && !r.ignore_after_import.is_empty() {
                    let ignored = Expression::Array(
                        r.ignore_after_import.iter().map(|a| reference(a)).collect(),
                    );
                    b = b.add_block(block("lifecycle", vec![("ignore_changes", ignored)]));
                }
                let mut body = Body::builder();
                if let Some(id) = r.import {
                    imports += 1;
                    body = body.add_block(
                        Block::builder("import")
                            .add_attribute(Attribute::new(
                                "to",
                                reference(&format!("{}.{}", r.kind, r.name)),
                            ))
                            .add_attribute(Attribute::new("id", id))
                            .build(),
                    );
                }
                out.push_str(&format(&body.add_block(b.build()).build())?);
            }
        }
    }
    Ok(Document { text: out, imports })
}

fn header(x: &Exporting) -> String {
    let mut lines = vec![
        format!(
            "Terraform configuration of the Onramp plan \"{}\" (plan id {}).",
            x.plan.name, x.plan.id
        ),
        format!("For the IBM Cloud provider {PROVIDER_VERSION}; Terraform 1.5 or later."),
        "Run: export IBMCLOUD_API_KEY=...; terraform init; terraform plan".to_owned(),
    ];
    if x.applied() {
        lines.push(
            "The plan was applied: each `import` block hands a resource Onramp made to \
             Terraform, so `terraform plan` shows no change. After `terraform apply`, manage \
             the stack with Terraform, not with Onramp."
                .to_owned(),
        );
    } else {
        lines.push(
            "The plan is not applied yet: `terraform apply` creates what Onramp's apply would."
                .to_owned(),
        );
    }
    lines.join("\n")
}

/// `text` as `#` comment lines, wrapped at 100 columns.
pub(crate) fn comment(text: &str) -> String {
    let mut out = String::new();
    for paragraph in text.lines() {
        let mut line = String::from("#");
        for word in paragraph.split_whitespace() {
            if line.len() + word.len() + 1 > 100 && line.len() > 1 {
                out.push_str(&line);
                out.push('\n');
                line = String::from("#");
            }
            line.push(' ');
            line.push_str(word);
        }
        out.push_str(&line);
        out.push('\n');
    }
    out
}

fn format(body: &Body) -> Result<String, AppError> {
    let mut formatter = hcl::format::Formatter::builder()
        .compact_arrays(true)
        .build_vec();
    hcl::format::Format::format(body, &mut formatter)
        .map_err(|e| AppError::internal(format!("could not write the Terraform export: {e}")))?;
    let text = String::from_utf8(formatter.into_inner())
        .map_err(|e| AppError::internal(format!("could not write the Terraform export: {e}")))?;
    Ok(align(&text))
}

/// Aligns the `=` of consecutive one-line attributes at the same indent, as `terraform fmt`
/// does; a blank line, a block, or a value over several lines ends a run.
pub(crate) fn align(text: &str) -> String {
    let lines: Vec<&str> = text.lines().collect();
    let mut out: Vec<String> = Vec::with_capacity(lines.len());
    let mut i = 0;
    while i < lines.len() {
        let Some((indent, _, _)) = one_line_attribute(lines[i]) else {
            out.push(lines[i].to_owned());
            i += 1;
            continue;
        };
        let mut end = i;
        while end < lines.len()
            && one_line_attribute(lines[end]).is_some_and(|(ind, _, _)| ind == indent)
        {
            end += 1;
        }
        let width = lines[i..end]
            .iter()
            .filter_map(|l| one_line_attribute(l))
            .map(|(_, key, _)| key.chars().count())
            .max()
            .unwrap_or(0);
        for line in &lines[i..end] {
            if let Some((ind, key, value)) = one_line_attribute(line) {
                out.push(format!(
                    "{}{key}{} = {value}",
                    " ".repeat(ind),
                    " ".repeat(width - key.chars().count())
                ));
            }
        }
        i = end;
    }
    let mut text = out.join("\n");
    text.push('\n');
    text
}

/// `(indent, key, value)` of a line that is a whole attribute: `key = value` where the value
/// opens nothing it does not close on the same line.
fn one_line_attribute(line: &str) -> Option<(usize, &str, &str)> {
    let indent = line.len() - line.trim_start().len();
    let (key, value) = line.trim_start().split_once(" = ")?;
    let key = key.trim_end();
    if key.is_empty()
        || !key
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
    {
        return None;
    }
    let value = value.trim();
    let opens = value.matches(['{', '[', '(']).count();
    let closes = value.matches(['}', ']', ')']).count();
    if opens != closes || value.ends_with("<<EOT") || value.starts_with("<<") {
        return None;
    }
    Some((indent, key, value))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn runs_of_attributes_align_their_equals() {
        let text = "resource \"a\" \"b\" {\n  name = \"x\"\n  resource_group = \"y\"\n\n  z = 1\n  tags = [\n    \"a\",\n  ]\n}\n";
        let aligned = align(text);
        assert!(aligned.contains("  name           = \"x\"\n  resource_group = \"y\"\n"));
        assert!(aligned.contains("\n  z    = 1\n") || aligned.contains("\n  z = 1\n"));
        assert!(aligned.contains("  tags = [\n"));
    }

    #[test]
    fn comments_wrap_and_keep_their_lines() {
        let c = comment("one\ntwo three");
        assert_eq!(c, "# one\n# two three\n");
    }
}
