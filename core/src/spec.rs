//! Per-type normalisation, declared in one place per type (driftctl's lesson, with
//! an allow-list instead of "diff everything"). A [`TypeSpec`] says which attributes
//! are compared, how severe a change of each is, how each is normalised, which
//! attributes are computed-only, how the resource is priced and named. Providers own
//! the specs (`providers/src/<cloud>/<type>.rs`); the comparer only reads them.

use crate::model::{Cloud, Severity};
use crate::path;
use serde_json::Value;

/// A literal default value, for [`Norm::Default`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Lit {
    Str(&'static str),
    Int(i64),
    Bool(bool),
}

impl Lit {
    pub fn to_value(self) -> Value {
        match self {
            Lit::Str(s) => Value::from(s),
            Lit::Int(i) => Value::from(i),
            Lit::Bool(b) => Value::from(b),
        }
    }
}

/// How one compared attribute is normalised before comparison, on both sides.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Norm {
    /// Enum values whose case the API does not keep (`Required` vs `required`).
    Lowercase,
    /// An unordered list (security group ids, NIC ids): order and duplicates ignored.
    Set,
    /// A value the provider fills in when none is set: "unset" equals this.
    Default(Lit),
    /// Declared side: Terraform's `tags_all` (tags plus provider `default_tags`)
    /// when present, so default tags do not show as drift.
    MergeTagsAll,
    /// Drop tags AWS manages itself (`aws:cloudformation:*`, `aws:autoscaling:*`).
    DropAwsPrefixed,
}

/// One compared attribute.
#[derive(Debug, Clone, Copy)]
pub struct Attr {
    /// Dotted Terraform path; a map or block is compared leaf by leaf below it.
    pub path: &'static str,
    pub severity: Severity,
    pub norms: &'static [Norm],
}

impl Attr {
    pub const fn new(path: &'static str, severity: Severity) -> Attr {
        Attr { path, severity, norms: &[] }
    }

    pub const fn norms(mut self, norms: &'static [Norm]) -> Attr {
        self.norms = norms;
        self
    }

    /// The normalised value of this attribute, read from one side's attributes: what
    /// is compared.
    pub fn normalised(&self, attributes: &Value, declared_side: bool) -> Value {
        self.read(attributes, declared_side, true)
    }

    /// The value as reports show it: the same selection (tags merged, `aws:` tags
    /// dropped, defaults filled) but with the user's own case and order.
    pub fn display(&self, attributes: &Value, declared_side: bool) -> Value {
        self.read(attributes, declared_side, false)
    }

    fn read(&self, attributes: &Value, declared_side: bool, for_comparison: bool) -> Value {
        let mut value = if declared_side && self.norms.contains(&Norm::MergeTagsAll) {
            merged_tags(attributes, self.path)
        } else {
            path::get(attributes, self.path).cloned().unwrap_or(Value::Null)
        };
        for norm in self.norms {
            if !for_comparison && matches!(norm, Norm::Lowercase | Norm::Set) {
                continue;
            }
            value = apply(*norm, value);
        }
        value
    }
}

/// `tags_all` merged over `tags` (Terraform computes tags_all = default_tags + tags).
fn merged_tags(attributes: &Value, tags_path: &str) -> Value {
    let tags = path::get(attributes, tags_path).cloned().unwrap_or(Value::Null);
    let all_path = format!("{tags_path}_all");
    match (tags, path::get(attributes, &all_path)) {
        (Value::Object(mut tags), Some(Value::Object(all))) => {
            for (k, v) in all {
                tags.entry(k.clone()).or_insert_with(|| v.clone());
            }
            Value::Object(tags)
        }
        (Value::Null, Some(all @ Value::Object(_))) => all.clone(),
        (tags, _) => tags,
    }
}

fn apply(norm: Norm, value: Value) -> Value {
    match norm {
        Norm::Lowercase => lowercase(value),
        Norm::Set => match value {
            Value::Array(mut items) => {
                items.sort_by_cached_key(|v| v.to_string());
                items.dedup();
                Value::Array(items)
            }
            other => other,
        },
        Norm::Default(lit) => {
            if path::is_empty(&value) {
                lit.to_value()
            } else {
                value
            }
        }
        Norm::MergeTagsAll => value,
        Norm::DropAwsPrefixed => match value {
            Value::Object(mut map) => {
                map.retain(|k, _| !k.starts_with("aws:"));
                Value::Object(map)
            }
            other => other,
        },
    }
}

fn lowercase(value: Value) -> Value {
    match value {
        Value::String(s) => Value::String(s.to_lowercase()),
        Value::Array(items) => Value::Array(items.into_iter().map(lowercase).collect()),
        Value::Object(map) => Value::Object(map.into_iter().map(|(k, v)| (k, lowercase(v))).collect()),
        other => other,
    }
}

/// How a resource's on-demand cost is derived from its attributes.
#[derive(Debug, Clone, Copy)]
pub struct CostRule {
    /// Attribute holding the priced size (`instance_type`, `size`).
    pub size_attr: &'static str,
    /// Attribute holding how many of that size run (`desired_capacity`); one if unset.
    pub count_attr: Option<&'static str>,
    /// Attribute and values in which nothing is billed for compute (a stopped instance).
    pub idle_when: Option<(&'static str, &'static [&'static str])>,
}

/// Where the display name of a resource comes from.
#[derive(Debug, Clone, Copy)]
pub enum NameRule {
    /// A tag (`Name` on AWS).
    Tag(&'static str),
    /// A plain attribute (`name` on Azure).
    Attr(&'static str),
}

impl NameRule {
    pub fn name_of(self, attributes: &Value) -> Option<String> {
        let v = match self {
            NameRule::Tag(key) => attributes.get("tags").and_then(|t| t.get(key)),
            NameRule::Attr(attr) => path::get(attributes, attr),
        };
        v.and_then(Value::as_str).filter(|s| !s.is_empty()).map(str::to_string)
    }
}

/// Everything driftd knows about one covered Terraform resource type.
#[derive(Debug)]
pub struct TypeSpec {
    pub tf_type: &'static str,
    pub cloud: Cloud,
    /// What drifts and why it matters, for `docs/` and `--explain`.
    pub doc: &'static str,
    pub compared: &'static [Attr],
    /// Attributes the cloud computes; never compared (documented, and checked by tests
    /// never to overlap `compared`).
    pub computed_only: &'static [&'static str],
    pub cost: Option<CostRule>,
    pub name: NameRule,
    /// Severity when a declared resource of this type is gone live.
    pub missing: Severity,
    /// Severity when a live resource of this type is in no state (shadow capacity).
    pub unmanaged: Severity,
    /// The message of a `changed` finding when this attribute is the most severe change.
    pub change_messages: &'static [(&'static str, &'static str)],
}

impl TypeSpec {
    /// The message for a `changed` finding whose most severe change is at `path`.
    pub fn change_message(&self, path: &str) -> String {
        self.change_messages
            .iter()
            .find(|(p, _)| path == *p || path.starts_with(&format!("{p}.")))
            .map(|(_, m)| m.to_string())
            .unwrap_or_else(|| format!("{path} changed outside Terraform"))
    }
}

/// The covered types of this build, looked up by Terraform type.
#[derive(Debug, Clone, Copy)]
pub struct Registry {
    specs: &'static [&'static TypeSpec],
}

impl Registry {
    pub const fn new(specs: &'static [&'static TypeSpec]) -> Registry {
        Registry { specs }
    }

    pub fn get(&self, tf_type: &str) -> Option<&'static TypeSpec> {
        self.specs.iter().copied().find(|s| s.tf_type == tf_type)
    }

    pub fn all(&self) -> &'static [&'static TypeSpec] {
        self.specs
    }
}

/// Normalisations in words, for docs and `driftd types`.
pub fn describe_norms(n: &[Norm]) -> String {
    n.iter()
        .map(|n| match n {
            Norm::Lowercase => "case-insensitive".to_string(),
            Norm::Set => "unordered".to_string(),
            Norm::Default(lit) => format!("unset = {}", lit.to_value()),
            Norm::MergeTagsAll => "default tags (tags_all) count as declared".to_string(),
            Norm::DropAwsPrefixed => "aws:* tags ignored".to_string(),
        })
        .collect::<Vec<_>>()
        .join("; ")
}

/// `docs/types.md`: generated from the specs, so the docs cannot outlive the code.
pub fn markdown(specs: &[&TypeSpec]) -> String {
    let mut out = String::from(
        "# Covered resource types\n\nGenerated by `driftd types --format markdown`; do not edit by hand.\n\
         Each type compares only the attributes listed here (an allow-list), after normalising both sides.\n\
         Every value is also compared with empty = null and numbers by value.\n",
    );
    for s in specs {
        out.push_str(&format!("\n## `{}` ({})\n\n{}\n\n", s.tf_type, s.cloud, s.doc));
        out.push_str(&format!("Missing: **{}**. Unmanaged: **{}**.", s.missing, s.unmanaged));
        if let Some(c) = &s.cost {
            out.push_str(&format!(" Priced by `{}`", c.size_attr));
            if let Some((attr, idle)) = c.idle_when {
                out.push_str(&format!(" (nothing billed when `{attr}` is {})", idle.join(", ")));
            }
            out.push('.');
        }
        out.push_str("\n\n| attribute | severity | normalisation |\n|---|---|---|\n");
        for a in s.compared {
            out.push_str(&format!("| `{}` | {} | {} |\n", a.path, a.severity, describe_norms(a.norms)));
        }
        out.push_str(&format!(
            "\nNever compared (computed by the cloud): {}.\n",
            s.computed_only.iter().map(|c| format!("`{c}`")).collect::<Vec<_>>().join(", ")
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn merge_tags_all_prefers_explicit_tags_and_adds_defaults() {
        let attrs = json!({"tags": {"Name": "a"}, "tags_all": {"Name": "a", "env": "prod"}});
        let attr = Attr::new("tags", Severity::Low).norms(&[Norm::MergeTagsAll, Norm::DropAwsPrefixed]);
        assert_eq!(attr.normalised(&attrs, true), json!({"Name": "a", "env": "prod"}));
        // Live side has no tags_all: plain tags.
        assert_eq!(attr.normalised(&attrs, false), json!({"Name": "a"}));
    }

    #[test]
    fn aws_prefixed_tags_are_dropped() {
        let attrs = json!({"tags": {"aws:autoscaling:groupName": "g", "team": "ml"}});
        let attr = Attr::new("tags", Severity::Low).norms(&[Norm::DropAwsPrefixed]);
        assert_eq!(attr.normalised(&attrs, false), json!({"team": "ml"}));
    }

    #[test]
    fn set_sorts_and_dedups_default_fills_empty_lowercase_folds_case() {
        let set = Attr::new("ids", Severity::High).norms(&[Norm::Set]);
        assert_eq!(set.normalised(&json!({"ids": ["b", "a", "b"]}), false), json!(["a", "b"]));
        let def = Attr::new("x", Severity::Low).norms(&[Norm::Default(Lit::Int(1))]);
        assert_eq!(def.normalised(&json!({}), false), json!(1));
        assert_eq!(def.normalised(&json!({"x": 2}), false), json!(2));
        let lc = Attr::new("x", Severity::Low).norms(&[Norm::Lowercase]);
        assert_eq!(lc.normalised(&json!({"x": "Required"}), false), json!("required"));
    }
}
