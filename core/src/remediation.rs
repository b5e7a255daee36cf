//! Concrete remediation for each kind of finding: the Terraform command that reverts,
//! the import that adopts, and the `.driftignore` line that accepts on purpose.
//! Patches against `.tf` files are added by [`crate::terraform::patch`] when sources are given.

use crate::ignore;
use crate::model::{Change, Remediation};

/// Quote for a POSIX shell: addresses carry `[`, `"` and spaces.
pub fn sh_quote(s: &str) -> String {
    format!("'{}'", s.replace('\'', r"'\''"))
}

fn ignore_command(line: &str) -> String {
    format!("echo {} >> .driftignore", sh_quote(line))
}

pub fn changed(address: &str, tf_type: &str, id: &str, changes: &[Change]) -> Remediation {
    let mut commands = vec![
        format!("terraform plan -target={}", sh_quote(address)),
        format!("terraform apply -target={}", sh_quote(address)),
    ];
    // Accepting on purpose: one ignore line per changed attribute.
    for c in changes {
        commands.push(ignore_command(&ignore::line_for(tf_type, id, Some(&c.path))));
    }
    Remediation {
        summary: "revert with Terraform (apply restores the declared values), or accept the live value in code".into(),
        commands,
        patch: None,
    }
}

pub fn missing(address: &str, tf_type: &str, id: &str) -> Remediation {
    Remediation {
        summary: "recreate it with Terraform, or drop it from state if it was deleted on purpose".into(),
        commands: vec![
            format!("terraform apply -target={}", sh_quote(address)),
            format!("terraform state rm {}", sh_quote(address)),
            ignore_command(&ignore::line_for(tf_type, id, None)),
        ],
        patch: None,
    }
}

/// A Terraform name for a resource to import, from its display name or id.
pub fn suggested_name(name: Option<&str>, id: &str) -> String {
    let base = name.filter(|n| !n.is_empty()).unwrap_or(id);
    let mut out: String =
        base.chars().map(|c| if c.is_ascii_alphanumeric() { c.to_ascii_lowercase() } else { '_' }).collect();
    // Azure ids are paths: keep the last segment.
    if name.is_none() {
        if let Some(last) = id.rsplit('/').next().filter(|s| !s.is_empty()) {
            out = last.chars().map(|c| if c.is_ascii_alphanumeric() { c.to_ascii_lowercase() } else { '_' }).collect();
        }
    }
    let trimmed = out.trim_matches('_').to_string();
    if trimmed.is_empty() || trimmed.starts_with(|c: char| c.is_ascii_digit()) {
        format!("imported_{trimmed}")
    } else {
        trimmed
    }
}

/// An HCL import block (Terraform 1.5+) for an unmanaged resource.
/// `local_name`: the Terraform name it is imported as ([`suggested_name`], made unique).
pub fn import_block(tf_type: &str, id: &str, local_name: &str) -> String {
    let to = format!("{tf_type}.{local_name}");
    format!("import {{\n  to = {to}\n  id = {}\n}}\n", serde_json::to_string(id).unwrap_or_default())
}

/// A `resource` block for a live resource, to go with its import block: the type's
/// compared attributes (what a person configures) with their live values as the cloud
/// spells them (no `aws:` tags: AWS reserves them), leaving out computed-only attributes
/// and empty values. Nested
/// blocks (`metadata_options.0.http_tokens`) become blocks. A start, not the whole
/// configuration: `terraform plan` after the import shows what else the provider needs.
pub fn resource_block(spec: &crate::spec::TypeSpec, attributes: &serde_json::Value, name: &str) -> String {
    let mut config = serde_json::Value::Object(Default::default());
    for attr in spec.compared {
        if spec.computed_only.iter().any(|c| crate::model::path_within(attr.path, c)) {
            continue;
        }
        let Some(mut v) = crate::path::get(attributes, attr.path).cloned() else { continue };
        if attr.path == "tags" {
            if let Some(tags) = v.as_object_mut() {
                tags.retain(|k, _| !k.starts_with("aws:"));
            }
        }
        if !crate::path::is_empty(&v) {
            crate::path::set(&mut config, attr.path, v);
        }
    }
    let mut block = hcl::Block::builder("resource").add_label(spec.tf_type).add_label(name).build();
    block.body = hcl_body(&config);
    hcl::format::to_string(&hcl::Body::from(vec![hcl::Structure::from(block)])).unwrap_or_default()
}

/// Attributes first, then nested blocks (lists of objects), as people write them.
fn hcl_body(config: &serde_json::Value) -> hcl::Body {
    let mut body = hcl::Body::builder();
    let Some(fields) = config.as_object() else { return body.build() };
    let is_blocks = |v: &serde_json::Value| {
        v.as_array().is_some_and(|items| !items.is_empty() && items.iter().all(serde_json::Value::is_object))
    };
    for (k, v) in fields.iter().filter(|(_, v)| !is_blocks(v)) {
        let value = hcl::to_value(v).unwrap_or(hcl::Value::Null);
        body = body.add_attribute(hcl::Attribute::new(k.as_str(), value));
    }
    for (k, v) in fields.iter().filter(|(_, v)| is_blocks(v)) {
        for item in v.as_array().into_iter().flatten() {
            let mut nested = hcl::Block::builder(k.as_str()).build();
            nested.body = hcl_body(item);
            body = body.add_block(nested);
        }
    }
    body.build()
}

pub fn unmanaged(tf_type: &str, id: &str, name: Option<&str>) -> Remediation {
    let to = format!("{tf_type}.{}", suggested_name(name, id));
    Remediation {
        summary: format!(
            "bring it under Terraform (import block: `import {{ to = {to}, id = {} }}`, then `terraform plan -generate-config-out=generated.tf`), or shut it down if nobody owns it",
            serde_json::to_string(id).unwrap_or_default()
        ),
        commands: vec![
            format!("terraform import {} {}", sh_quote(&to), sh_quote(id)),
            ignore_command(&ignore::line_for(tf_type, id, None)),
        ],
        patch: None,
    }
}

/// A resource another infrastructure-as-code tool manages (a CloudFormation stack).
pub fn other_tool(tf_type: &str, id: &str, owner_label: &str, owner_id: &str) -> Remediation {
    Remediation {
        summary: format!(
            "managed by {owner_label} {owner_id}: change it there; to manage it with Terraform, import the {owner_label} (or this resource) and retire it from the other tool"
        ),
        commands: vec![ignore_command(&ignore::line_for(tf_type, id, None))],
        patch: None,
    }
}

/// The remediation of a finding, adjusted for where and how its resource is declared.
impl Remediation {
    /// What the resource's `lifecycle` changes in the advice: a revert that replaces it is
    /// refused under `prevent_destroy`, and runs old and new together under
    /// `create_before_destroy`.
    pub fn with_lifecycle(mut self, prevent_destroy: bool, create_before_destroy: bool) -> Remediation {
        if prevent_destroy {
            self.summary.push_str(
                "; lifecycle.prevent_destroy is set: if reverting an attribute replaces the resource, terraform apply refuses, so accept the live value in code or lift prevent_destroy for that apply",
            );
        }
        if create_before_destroy {
            self.summary.push_str(
                "; lifecycle.create_before_destroy is set: a revert that replaces the resource creates the new one first, so old and new run (and bill) together until the old one is destroyed, and the capacity for both must be available",
            );
        }
        self
    }

    /// Run the Terraform commands in a discovered root module (`terraform -chdir=DIR ...`),
    /// as a monorepo's pipeline would from the repository's top.
    pub fn in_root_module(mut self, root: Option<&str>) -> Remediation {
        if let Some(root) = root.filter(|r| *r != ".") {
            let chdir = format!("terraform -chdir={} ", sh_quote(root));
            for c in &mut self.commands {
                if let Some(rest) = c.strip_prefix("terraform ") {
                    *c = format!("{chdir}{rest}");
                }
            }
        }
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quotes_addresses_with_keys() {
        assert_eq!(sh_quote(r#"aws_instance.x["a"]"#), r#"'aws_instance.x["a"]'"#);
        assert_eq!(sh_quote("it's"), r"'it'\''s'");
    }

    #[test]
    fn suggested_names_are_terraform_identifiers() {
        assert_eq!(suggested_name(Some("GPU Trainer-7"), "i-1"), "gpu_trainer_7");
        assert_eq!(suggested_name(None, "i-0abc"), "i_0abc");
        assert_eq!(
            suggested_name(None, "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Compute/virtualMachines/vm-1"),
            "vm_1"
        );
        assert_eq!(suggested_name(Some("7up"), "i-1"), "imported_7up");
    }

    #[test]
    fn import_block_is_hcl() {
        assert_eq!(
            import_block("aws_instance", "i-0abc", "rogue"),
            "import {\n  to = aws_instance.rogue\n  id = \"i-0abc\"\n}\n"
        );
    }
}
