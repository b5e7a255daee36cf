//! The METADATA block above a `package` line (OPA annotations, YAML in comments):
//! `title`, `description`, and `custom: {id, severity, remediation, scope}`.

use driftd_core::model::Severity;
use driftd_core::Error;
use serde::Deserialize;

#[derive(Debug, Default, Deserialize)]
pub struct Meta {
    pub title: Option<String>,
    pub description: Option<String>,
    #[serde(default)]
    pub custom: Custom,
}

#[derive(Debug, Default, Deserialize)]
pub struct Custom {
    pub id: Option<String>,
    pub severity: Option<String>,
    pub remediation: Option<String>,
    pub scope: Option<String>,
}

/// The package-level METADATA block of a file, if any.
pub fn parse(path: &str, text: &str) -> Result<Meta, Error> {
    let lines: Vec<&str> = text.lines().collect();
    let Some(start) = lines.iter().position(|l| l.trim() == "# METADATA") else { return Ok(Meta::default()) };
    let mut yaml = String::new();
    for l in &lines[start + 1..] {
        let t = l.trim_start();
        let Some(rest) = t.strip_prefix('#') else { break };
        yaml.push_str(rest.strip_prefix(' ').unwrap_or(rest));
        yaml.push('\n');
    }
    let meta: Meta = yaml_serde::from_str(&yaml).map_err(|e| {
        let line = e.location().map_or(start + 1, |l| start + 1 + l.line());
        Error::input(format!("{path}:{line}"), format!("METADATA is not valid YAML: {e}"))
    })?;
    if let Some(s) = &meta.custom.severity {
        if Severity::parse(s).is_none() {
            return Err(Error::input(
                format!("{path}:{}", start + 1),
                format!("METADATA severity {s:?} is not one of critical, high, medium, low"),
            ));
        }
    }
    Ok(meta)
}
