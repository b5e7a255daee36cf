//! Terraform resource addresses: `module.a["x"].aws_instance.y[0]`.

use serde_json::Value;

/// The address of one instance, from the parts raw state stores separately.
pub fn instance_address(
    module: Option<&str>,
    mode: &str,
    tf_type: &str,
    name: &str,
    index_key: Option<&Value>,
) -> String {
    let mut out = String::new();
    if let Some(m) = module.filter(|m| !m.is_empty()) {
        out.push_str(m);
        out.push('.');
    }
    if mode == "data" {
        out.push_str("data.");
    }
    out.push_str(tf_type);
    out.push('.');
    out.push_str(name);
    match index_key {
        Some(Value::Number(n)) => {
            out.push('[');
            out.push_str(&n.to_string());
            out.push(']');
        }
        Some(Value::String(s)) => {
            out.push('[');
            // Terraform quotes string keys as HCL strings.
            out.push_str(&serde_json::to_string(s).unwrap_or_default());
            out.push(']');
        }
        _ => {}
    }
    out
}
