//! Terraform's JSON syntax (`*.tf.json`) read into the same body as native syntax:
//! <https://developer.hashicorp.com/terraform/language/syntax/json>.
//!
//! Top-level properties are block types with their labels nested as object keys
//! (`resource` -> type -> name -> body). Strings are templates (`"${var.x}"`), and
//! `"//"` properties are comments. JSON has no schema to tell a nested block from a map
//! attribute; inside a resource, an object (or a list of objects) is read as nested
//! blocks, except under the map attributes fleets use (`tags`, `labels`, ...), which
//! stay maps. `count`, `for_each` and a `dynamic` block's `for_each` are expressions.

use crate::error::{Error, Result};
use hcl::expr::{Expression, TemplateExpr};
use hcl::{Attribute, Block, Body, Structure};
use serde_json::Value;

/// Labels each top-level block type takes (the rest of the nesting is the body).
fn labels_of(block_type: &str) -> usize {
    match block_type {
        "resource" | "data" | "ephemeral" => 2,
        "module" | "variable" | "output" | "provider" | "check" => 1,
        _ => 0,
    }
}

/// Attributes whose values are maps, never nested blocks.
const MAP_ATTRIBUTES: &[&str] = &[
    "tags",
    "tags_all",
    "labels",
    "environment",
    "variables",
    "triggers",
    "metadata",
    "parameters",
    "node_labels",
    "providers",
];

/// Parse a `.tf.json` file into a body; a syntax error names the line and column.
pub fn parse(shown: &str, text: &str) -> Result<Body> {
    let doc: Value = serde_json::from_str(text).map_err(|e| Error::json(shown, "Terraform JSON", &e))?;
    let Value::Object(top) = doc else {
        return Err(Error::input(shown, "Terraform JSON must be an object of block types"));
    };
    let mut structures = Vec::new();
    for (block_type, value) in top.iter().filter(|(k, _)| *k != "//") {
        let nested = matches!(block_type.as_str(), "resource" | "data" | "ephemeral" | "provider");
        blocks(block_type, labels_of(block_type), value, &mut Vec::new(), &mut structures, nested)
            .map_err(|e| Error::input(shown, format!("{block_type}: {e}")))?;
    }
    Ok(Body::from(structures))
}

/// Unfold `labels` levels of object keys, then the body (an object, or a list of them).
/// `nested`: objects in the body are nested blocks (a resource's, a provider's).
fn blocks(
    ident: &str,
    labels: usize,
    value: &Value,
    path: &mut Vec<String>,
    out: &mut Vec<Structure>,
    nested: bool,
) -> std::result::Result<(), String> {
    if labels > 0 {
        let Value::Object(o) = value else { return Err(format!("expected an object keyed by {ident} label")) };
        for (k, v) in o.iter().filter(|(k, _)| *k != "//") {
            path.push(k.clone());
            blocks(ident, labels - 1, v, path, out, nested)?;
            path.pop();
        }
        return Ok(());
    }
    let bodies: Vec<&Value> = match value {
        Value::Array(items) => items.iter().collect(),
        other => vec![other],
    };
    for b in bodies {
        let Value::Object(fields) = b else { return Err(format!("{ident} {}: expected an object", path.join("."))) };
        let mut block = Block::builder(ident).add_labels(path.iter().map(String::as_str)).build();
        block.body = body(ident, fields, nested)?;
        out.push(Structure::from(block));
    }
    Ok(())
}

fn body(ident: &str, fields: &serde_json::Map<String, Value>, nested: bool) -> std::result::Result<Body, String> {
    let mut out = Vec::new();
    for (k, v) in fields.iter().filter(|(k, _)| *k != "//") {
        // Terraform's own labelled structures: `terraform { backend "s3" {} }`, `dynamic "x" {}`.
        let labelled = match (ident, k.as_str()) {
            ("terraform", "backend") => Some((1, false)),
            ("terraform", "cloud" | "required_providers") => Some((0, false)),
            (_, "dynamic") if nested => Some((1, true)),
            _ => None,
        };
        if let Some((labels, inner)) = labelled {
            blocks(k, labels, v, &mut Vec::new(), &mut out, inner)?;
            continue;
        }
        let is_block = nested
            && !MAP_ATTRIBUTES.contains(&k.as_str())
            && match v {
                Value::Object(_) => true,
                Value::Array(items) => !items.is_empty() && items.iter().all(Value::is_object),
                _ => false,
            };
        if is_block {
            blocks(k, 0, v, &mut Vec::new(), &mut out, true)?;
        } else {
            out.push(Structure::from(Attribute::new(k.as_str(), expression(v))));
        }
    }
    Ok(Body::from(out))
}

/// A JSON value as an expression: strings are templates, a whole `"${expr}"` is the
/// expression itself (so a list stays a list, not its string).
fn expression(v: &Value) -> Expression {
    match v {
        Value::String(s) => template(s),
        Value::Array(items) => Expression::Array(items.iter().map(expression).collect()),
        Value::Object(o) => Expression::Object(
            o.iter()
                .filter(|(k, _)| *k != "//")
                .map(|(k, v)| (hcl::expr::ObjectKey::from(template(k)), expression(v)))
                .collect(),
        ),
        other => Expression::from(hcl::to_value(other).unwrap_or(hcl::Value::Null)),
    }
}

fn template(s: &str) -> Expression {
    if !(s.contains("${") || s.contains("%{")) {
        return Expression::String(s.to_string());
    }
    // `"${expr}"` alone is the expression's value, not its string, as Terraform reads it.
    if let Some(inner) = s.strip_prefix("${").and_then(|r| r.strip_suffix('}')) {
        if !inner.contains("${") && !inner.contains('}') {
            if let Ok(e) = inner.parse::<Expression>() {
                return e;
            }
        }
    }
    Expression::TemplateExpr(Box::new(TemplateExpr::QuotedString(s.to_string())))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blocks_attributes_templates_and_comments() {
        let body = parse(
            "main.tf.json",
            r#"{
  "//": "a comment",
  "variable": {"env": {"default": "prod"}},
  "terraform": {"backend": {"s3": {"bucket": "b", "key": "k"}}},
  "resource": {"aws_instance": {"gpu": {
    "count": "${2}",
    "instance_type": "p5.48xlarge",
    "vpc_security_group_ids": "${[var.env]}",
    "tags": {"Name": "gpu-${var.env}", "team": "ml"},
    "metadata_options": {"http_tokens": "required"},
    "dynamic": {"ebs_block_device": {"for_each": "${[1]}", "content": {"volume_size": 100}}}
  }}}
}"#,
        )
        .unwrap();
        let text = hcl::format::to_string(&body).unwrap();
        for want in [
            "variable \"env\" {",
            "backend \"s3\" {",
            "resource \"aws_instance\" \"gpu\" {",
            "count = 2",
            "vpc_security_group_ids = [\n    var.env\n  ]",
            "\"Name\" = \"gpu-${var.env}\"",
            "metadata_options {",
            "dynamic \"ebs_block_device\" {",
            "content {",
        ] {
            assert!(text.contains(want), "{want} in\n{text}");
        }
        assert!(!text.contains("comment"));
    }

    #[test]
    fn a_syntax_error_names_line_and_column() {
        let err = parse("x.tf.json", "{\n  \"resource\": \n}").unwrap_err();
        assert!(err.location.starts_with("x.tf.json:3:"), "{err:?}");
    }
}
