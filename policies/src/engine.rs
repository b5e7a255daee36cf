//! Loading policies and evaluating them with regorus.

use crate::{extensions, metadata, Source};
use driftd_core::model::Severity;
use driftd_core::policy::{PolicyEngine, Violation};
use driftd_core::Error;
use serde_json::Value;
use std::num::NonZeroU32;
use std::time::Duration;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    /// `input` is one resource.
    Resource,
    /// `input` is `{"side", "resources"}`: the whole fleet of one side.
    Fleet,
}

/// One loaded policy.
#[derive(Debug, Clone)]
pub struct Policy {
    /// Stable id (METADATA `custom.id`; the package path when there is none).
    pub id: String,
    pub title: String,
    pub description: Option<String>,
    pub severity: Severity,
    pub remediation: Option<String>,
    pub scope: Scope,
    /// `data.driftd.gpu.imdsv2`
    pub package: String,
    pub file: String,
}

/// The policies of one run, compiled once, evaluated per resource.
pub struct RegoEngine {
    engine: regorus::Engine,
    policies: Vec<Policy>,
    has_fleet: bool,
}

/// Turn regorus' multi-line parse error (`--> file:L:C`, `error: msg`) into one line.
fn syntax_error(path: &str, err: &anyhow::Error) -> Error {
    let text = err.to_string();
    let location = text
        .lines()
        .find_map(|l| l.trim().strip_prefix("--> ").map(str::to_string))
        .unwrap_or_else(|| path.to_string());
    let message = text
        .lines()
        .rev()
        .find_map(|l| l.trim().strip_prefix("error: ").map(str::to_string))
        .unwrap_or_else(|| text.lines().last().unwrap_or("").trim().to_string());
    Error::input(location, format!("Rego error: {message}"))
}

/// A fresh regorus engine with driftd's extensions and configuration.
pub(crate) fn new_engine(config: &Value, limit: Duration) -> Result<regorus::Engine, Error> {
    let mut engine = regorus::Engine::new();
    engine.set_strict_builtin_errors(true);
    engine.set_execution_timer_config(regorus::utils::limits::ExecutionTimerConfig {
        limit,
        check_interval: NonZeroU32::new(64).expect("non-zero"),
    });
    extensions::register(&mut engine).map_err(|e| Error::input("policies", e.to_string()))?;
    let data = serde_json::json!({"driftd": {"config": config}});
    engine.add_data(regorus::Value::from(data)).map_err(|e| Error::input("policy config", e.to_string()))?;
    Ok(engine)
}

/// Add one source; returns its package (`data.x.y`).
pub(crate) fn add_source(engine: &mut regorus::Engine, s: &Source) -> Result<String, Error> {
    engine.add_policy(s.path.clone(), s.text.clone()).map_err(|e| syntax_error(&s.path, &e))
}

impl RegoEngine {
    /// Compile every source. Files without a `deny` rule are libraries, not policies.
    pub fn load(sources: &[Source], config: &Value, limit: Duration) -> Result<RegoEngine, Error> {
        let mut engine = new_engine(config, limit)?;
        let mut policies: Vec<Policy> = Vec::new();
        for s in sources {
            let package = add_source(&mut engine, s)?;
            let is_policy = engine.has_declared_rule_rooted_at(&s.path, "deny").unwrap_or(false);
            if !is_policy {
                continue;
            }
            let meta = metadata::parse(&s.path, &s.text)?;
            let id = meta.custom.id.clone().unwrap_or_else(|| package.trim_start_matches("data.").to_string());
            if let Some(other) = policies.iter().find(|p| p.id == id) {
                return Err(Error::input(&s.path, format!("policy id {id} is already used by {}", other.file)));
            }
            let scope = match meta.custom.scope.as_deref() {
                None | Some("resource") => Scope::Resource,
                Some("fleet") => Scope::Fleet,
                Some(other) => {
                    return Err(Error::input(&s.path, format!("METADATA scope {other:?} is not resource or fleet")))
                }
            };
            policies.push(Policy {
                title: meta.title.clone().unwrap_or_else(|| id.clone()),
                id,
                description: meta.description,
                severity: meta.custom.severity.as_deref().and_then(Severity::parse).unwrap_or(Severity::Medium),
                remediation: meta.custom.remediation,
                scope,
                package,
                file: s.path.clone(),
            });
        }
        let has_fleet = policies.iter().any(|p| p.scope == Scope::Fleet);
        Ok(RegoEngine { engine, policies, has_fleet })
    }

    pub fn policies(&self) -> &[Policy] {
        &self.policies
    }

    fn run(&mut self, input: &Value, scope: Scope) -> Vec<Violation> {
        self.engine.set_input(regorus::Value::from(input.clone()));
        let mut out = Vec::new();
        for p in self.policies.iter().filter(|p| p.scope == scope) {
            match self.engine.eval_rule(format!("{}.deny", p.package)) {
                Ok(result) => out.extend(entries(p, &result)),
                // A policy that fails on one resource is reported for that resource;
                // the scan goes on.
                Err(e) => out.push(Violation {
                    policy_id: p.id.clone(),
                    title: p.title.clone(),
                    severity: p.severity,
                    message: format!("policy {} could not be evaluated: {}", p.id, one_line(&e.to_string())),
                    remediation: Some(format!("fix the policy in {}", p.file)),
                    resource: None,
                }),
            }
        }
        out
    }
}

fn one_line(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// `deny` entries: strings, or objects with `msg` and optional `severity`,
/// `remediation` and (fleet policies) `resource: {type, id}`.
fn entries(p: &Policy, result: &regorus::Value) -> Vec<Violation> {
    let json: Value = result.to_json_str().ok().and_then(|s| serde_json::from_str(&s).ok()).unwrap_or(Value::Null);
    let items = match json {
        Value::Array(items) => items,
        Value::Null => vec![],
        other => vec![other],
    };
    items
        .into_iter()
        .map(|item| {
            let text = |k: &str| item.get(k).and_then(Value::as_str).map(str::to_string);
            let message = match &item {
                Value::String(s) => s.clone(),
                _ => text("msg").unwrap_or_else(|| item.to_string()),
            };
            let resource = item
                .get("resource")
                .and_then(|r| Some((r.get("type")?.as_str()?.to_string(), r.get("id")?.as_str()?.to_string())));
            Violation {
                policy_id: p.id.clone(),
                title: p.title.clone(),
                severity: text("severity").as_deref().and_then(Severity::parse).unwrap_or(p.severity),
                message,
                remediation: text("remediation").or_else(|| p.remediation.clone()),
                resource,
            }
        })
        .collect()
}

impl PolicyEngine for RegoEngine {
    fn evaluate(&mut self, input: &Value) -> Vec<Violation> {
        self.run(input, Scope::Resource)
    }

    fn has_fleet_policies(&self) -> bool {
        self.has_fleet
    }

    fn evaluate_fleet(&mut self, input: &Value) -> Vec<Violation> {
        self.run(input, Scope::Fleet)
    }
}
