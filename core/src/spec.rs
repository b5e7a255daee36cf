//! Per-type normalisation, declared in one place per type (driftctl's lesson, with
//! an allow-list instead of "diff everything"). A [`TypeSpec`] says which attributes
//! are compared, how severe a change of each is, how each is normalised, which
//! attributes are computed-only, how the resource is priced and named. Providers own
//! the specs (`providers/src/<cloud>/<type>.rs`); the comparer only reads them.

use crate::model::{Cloud, Severity};
use crate::owner::{Owner, OwnerRule};
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
    /// Drop tags AWS manages itself (`aws:cloudformation:*`, `aws:autoscaling:*`), from
    /// a `tags` map or an auto scaling group's `tag` list of `{key, value}` blocks.
    DropAwsPrefixed,
    /// Terraform's security group rule blocks (`ingress`, `egress`), one entry per
    /// source: a block with two CIDRs and a peer group is three rules, as the EC2 API
    /// and the `aws_security_group_rule` resources count them, so that the same rules
    /// grouped differently are not drift. Protocols by name (`6` is `tcp`, `all` is `-1`).
    RuleSources,
}

/// One compared attribute.
#[derive(Debug, Clone, Copy)]
pub struct Attr {
    /// Dotted Terraform path; a map or block is compared leaf by leaf below it.
    pub path: &'static str,
    pub severity: Severity,
    pub norms: &'static [Norm],
    /// Not compared while another attribute has this value on either side: a value
    /// someone else moves (`node_count` while `auto_scaling_enabled` is true).
    pub unless: Option<(&'static str, Lit)>,
}

impl Attr {
    pub const fn new(path: &'static str, severity: Severity) -> Attr {
        Attr { path, severity, norms: &[], unless: None }
    }

    pub const fn unless(mut self, path: &'static str, value: Lit) -> Attr {
        self.unless = Some((path, value));
        self
    }

    /// Does [`Attr::unless`] take this attribute out of the comparison of these two sides?
    pub fn waived(&self, declared: &Value, live: &Value) -> bool {
        let Some((path, lit)) = self.unless else { return false };
        let want = lit.to_value();
        [declared, live].into_iter().any(|side| path::get(side, path) == Some(&want))
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
            Value::Array(mut items) => {
                items.retain(|t| !t.get("key").and_then(Value::as_str).is_some_and(|k| k.starts_with("aws:")));
                Value::Array(items)
            }
            other => other,
        },
        Norm::RuleSources => match value {
            Value::Array(rules) => {
                let mut atoms: Vec<Value> = rules.iter().flat_map(rule_sources).collect();
                atoms.sort_by_cached_key(|v| v.to_string());
                atoms.dedup();
                Value::Array(atoms)
            }
            other => other,
        },
    }
}

/// The source lists of a Terraform security group rule block, and `self`.
const RULE_SOURCE_LISTS: [&str; 4] = ["cidr_blocks", "ipv6_cidr_blocks", "prefix_list_ids", "security_groups"];

/// One rule block as one `{protocol, from_port, to_port, description, <source kind>: value}`
/// per source.
fn rule_sources(rule: &Value) -> Vec<Value> {
    let protocol = match rule.get("protocol").and_then(Value::as_str).map(str::to_ascii_lowercase).as_deref() {
        Some("6") => "tcp".to_string(),
        Some("17") => "udp".to_string(),
        Some("1") => "icmp".to_string(),
        Some("58") => "icmpv6".to_string(),
        Some("all") | None => "-1".to_string(),
        Some(p) => p.to_string(),
    };
    // All-traffic rules carry no ports (the API says -1 or nothing, Terraform 0).
    let port = |k: &str| if protocol == "-1" { Value::from(0) } else { rule.get(k).cloned().unwrap_or(Value::from(0)) };
    let base = serde_json::json!({
        "protocol": protocol,
        "from_port": port("from_port"),
        "to_port": port("to_port"),
        "description": rule.get("description").and_then(Value::as_str).unwrap_or(""),
    });
    let mut out = Vec::new();
    let mut with = |kind: &str, source: Value| {
        let mut atom = base.clone();
        atom[kind] = source;
        out.push(atom);
    };
    for list in RULE_SOURCE_LISTS {
        for source in rule.get(list).and_then(Value::as_array).into_iter().flatten() {
            with(list, source.clone());
        }
    }
    if rule.get("self").and_then(Value::as_bool) == Some(true) {
        with("self", Value::Bool(true));
    }
    out
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
    /// Attribute and values of capacity bought as spot (priced with spot prices).
    pub spot_when: Option<(&'static str, &'static [&'static str])>,
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
    /// Who creates resources of this type besides Terraform, first match wins: the
    /// comparer never reports those as unmanaged on their own (`core/src/owner.rs`).
    pub owners: &'static [OwnerRule],
    /// Terraform types declared as resources of their own that add to this type's
    /// declared attributes (`aws_security_group_rule` to its group's `ingress`).
    pub absorbs: &'static [Absorb],
    /// The attribute naming an instance type whose GPUs the provider looks up
    /// (`ec2:DescribeInstanceTypes` on AWS) and attaches as `gpu` facts; `None`: none.
    pub gpu_facts_from: Option<&'static str>,
    /// The cloud API calls that change resources of this type, and where in the call's
    /// audit record (CloudTrail) their ids are: an event is a reason to read those
    /// resources again, never their new state.
    pub events: &'static [EventRule],
}

/// One API call that touches resources of a type.
#[derive(Debug)]
pub struct EventRule {
    /// The service that records it (`ec2.amazonaws.com`).
    pub source: &'static str,
    pub name: &'static str,
    /// Paths in the record whose string values are resource ids; `[]` steps into each
    /// element of a list (`requestParameters.instancesSet.items[].instanceId`); `a+b`
    /// joins the values at two paths with `:` (an EKS node group's `cluster:nodegroup`).
    pub ids: &'static [&'static str],
    /// Ids of this type start so (`CreateTags` names resources of any type).
    pub prefix: &'static str,
}

impl EventRule {
    /// The ids of this type the record names, each once, in order.
    pub fn ids_in(&self, record: &Value) -> Vec<String> {
        fn walk<'a>(v: &'a Value, steps: &[&str], out: &mut Vec<&'a str>) {
            let Some((step, rest)) = steps.split_first() else {
                if let Some(s) = v.as_str() {
                    out.push(s);
                }
                return;
            };
            match step.strip_suffix("[]") {
                Some(key) => {
                    if let Some(items) = v.get(key).and_then(Value::as_array) {
                        for item in items {
                            walk(item, rest, out);
                        }
                    }
                }
                None => {
                    if let Some(next) = v.get(*step) {
                        walk(next, rest, out);
                    }
                }
            }
        }
        let mut found: Vec<String> = Vec::new();
        for path in self.ids {
            let mut parts: Vec<Vec<&str>> = Vec::new();
            for part in path.split('+') {
                let steps: Vec<&str> = part.split('.').collect();
                let mut values = Vec::new();
                walk(record, &steps, &mut values);
                parts.push(values);
            }
            match parts.as_slice() {
                [one] => found.extend(one.iter().map(|s| s.to_string())),
                // Joined: one value at each path, else nothing (a list cannot pair up).
                many if many.iter().all(|p| p.len() == 1) => {
                    found.push(many.iter().map(|p| p[0]).collect::<Vec<_>>().join(":"))
                }
                _ => {}
            }
        }
        let mut out: Vec<String> = Vec::new();
        for id in found.iter().filter(|id| id.starts_with(self.prefix) && !id.is_empty()) {
            if !out.iter().any(|o| o == id) {
                out.push(id.to_string());
            }
        }
        out
    }
}

/// A Terraform type whose declarations are part of another resource's declaration.
#[derive(Debug)]
pub struct Absorb {
    pub tf_type: &'static str,
    /// The attribute holding the id of the resource it belongs to (`security_group_id`).
    pub parent_id: &'static str,
    /// The attribute path it adds to (a list), and the entry it adds, from its attributes
    /// and its parent's id; `None` when it adds nothing.
    pub entry: fn(attributes: &Value, parent_id: &str) -> Option<(&'static str, Value)>,
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

    /// The owner type named `tf_type` in some spec's ownership rules.
    pub fn owner(&self, tf_type: &str) -> Option<&'static Owner> {
        self.specs.iter().flat_map(|s| s.owners).map(|r| r.owner).find(|o| o.tf_type == tf_type)
    }

    /// The covered type that absorbs declarations of `tf_type`, and how.
    pub fn absorber(&self, tf_type: &str) -> Option<(&'static TypeSpec, &'static Absorb)> {
        self.specs.iter().find_map(|s| s.absorbs.iter().find(|a| a.tf_type == tf_type).map(|a| (*s, a)))
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
            Norm::RuleSources => "one rule per source, however grouped".to_string(),
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
            let mut norms = describe_norms(a.norms);
            if let Some((path, lit)) = a.unless {
                if !norms.is_empty() {
                    norms.push_str("; ");
                }
                norms.push_str(&format!("not compared while `{path}` = {}", lit.to_value()));
            }
            out.push_str(&format!("| `{}` | {} | {} |\n", a.path, a.severity, norms));
        }
        out.push_str(&format!(
            "\nNever compared (computed by the cloud): {}.\n",
            s.computed_only.iter().map(|c| format!("`{c}`")).collect::<Vec<_>>().join(", ")
        ));
        if !s.owners.is_empty() {
            out.push_str("\nCreated by an owner when (first match wins; what each owner means for the report: `docs/check.md`, Owners):\n\n");
            for rule in s.owners {
                out.push_str(&format!("- {}\n", rule.describe()));
            }
        }
        if !s.absorbs.is_empty() {
            let types: Vec<String> = s.absorbs.iter().map(|a| format!("`{}`", a.tf_type)).collect();
            out.push_str(&format!("\nDeclarations of {} count as part of the resource they name.\n", types.join(", ")));
        }
        if !s.events.is_empty() {
            let mut calls: Vec<String> = Vec::new();
            for e in s.events {
                let call = format!("`{}`", e.name);
                if !calls.contains(&call) {
                    calls.push(call);
                }
            }
            let queue = match s.cloud {
                crate::model::Cloud::Azure => "[azure.events]",
                _ => "[aws.events]",
            };
            out.push_str(&format!("\nRead again on the events of (`{queue}`): {}.\n", calls.join(", ")));
        }
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
