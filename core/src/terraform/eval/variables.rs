//! Variable values in Terraform's precedence: defaults, `TF_VAR_*`, `terraform.tfvars`,
//! `*.auto.tfvars`, then `--var-file` and `--var`.

use super::*;

/// Variable values from the command line, in Terraform's precedence: after the
/// environment and the tfvars files, in the order given.
#[derive(Debug, Clone, Default)]
pub struct CommandLineVars {
    /// `--var-file FILE`, in order.
    pub files: Vec<PathBuf>,
    /// `--var NAME=VALUE`, in order (after every file, as Terraform reads them in order
    /// of appearance; driftd's flags do not interleave).
    pub values: Vec<String>,
}

/// Values of the root module's variables from outside: its tfvars files in Terraform's
/// order ([`crate::terraform::files::tfvars_files`]), then `TF_VAR_name` (strings; HCL for lists and maps).
pub(super) fn root_variables(dir: &Path, root: &Path) -> Result<Map<String, Value>> {
    let mut vars = Map::new();
    for path in crate::terraform::files::tfvars_files(dir) {
        vars.extend(tfvars(&path, root)?);
    }
    for (k, v) in std::env::vars() {
        if let Some(name) = k.strip_prefix("TF_VAR_") {
            vars.entry(name.to_string()).or_insert_with(|| var_value(&v));
        }
    }
    Ok(vars)
}

/// The assignments of one tfvars file (HCL, or JSON for `.tfvars.json`).
pub(super) fn tfvars(path: &Path, root: &Path) -> Result<Map<String, Value>> {
    let text = crate::terraform::files::read_text(path)?;
    let shown = path.display().to_string();
    if shown.ends_with(".json") {
        let v: serde_json::Value = serde_json::from_str(&text)
            .map_err(|e| Error::input(format!("{shown}:{}", e.line()), format!("JSON: {e}")))?;
        let serde_json::Value::Object(o) = v else {
            return Err(Error::input(&shown, "a .tfvars.json file holds one object of variable values"));
        };
        return Ok(o.into_iter().map(|(k, v)| (k, functions::from_json(v))).collect());
    }
    let body: Body = crate::terraform::files::parse_body(&shown, &text)?.into();
    let mut vars = Map::new();
    for attr in body.attributes() {
        let v = constant(&attr.expr, root).map_err(|e| Error::input(&shown, format!("{}: {e}", attr.key)))?;
        vars.insert(attr.key.to_string(), v);
    }
    Ok(vars)
}

/// A value from the environment or `--var`: HCL for lists and maps, else the string as is.
pub(super) fn var_value(v: &str) -> Value {
    let parsed =
        hcl::from_str::<Value>(&format!("v = {v}")).ok().and_then(|b| b.as_object().and_then(|o| o.get("v").cloned()));
    match parsed {
        Some(complex @ (Value::Array(_) | Value::Object(_))) => complex,
        _ => Value::from(v),
    }
}
