//! Loading policies and evaluating them with regorus.

use crate::convert::Converter;
use crate::{extensions, metadata, Source};
use driftd_core::model::Severity;
use driftd_core::policy::{PolicyEngine, Side, Violation};
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
    pub builtin: bool,
}

/// The policies of one run, compiled once, evaluated per resource.
pub struct RegoEngine {
    engine: regorus::Engine,
    policies: Vec<Policy>,
    has_fleet: bool,
    /// The built-in policies of a scope compiled into one program for regorus' VM
    /// (about 5x faster than the interpreter); None where they cannot be compiled (an
    /// extension builtin): the interpreter runs them. User policies always run on the
    /// interpreter: the VM turns a failing builtin into "undefined" even in strict mode,
    /// which would hide a broken policy; the built-in pack guards its types, and a test
    /// checks that both paths agree on it.
    compiled: [Option<Compiled>; 2],
    converter: Converter,
    /// The time limit of one resource's evaluation; see [`fleet_limit`].
    limit: Duration,
    /// Each side's resources as evaluated, kept for the fleet policies (live, declared).
    fleet: [Vec<regorus::Value>; 2],
}

struct Compiled {
    vm: regorus::rvm::vm::RegoVM,
    entry: String,
}

fn scope_index(scope: Scope) -> usize {
    match scope {
        Scope::Resource => 0,
        Scope::Fleet => 1,
    }
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

/// The data document policies read their configuration from (`data.driftd.config`).
fn config_data(config: &Value) -> Value {
    serde_json::json!({"driftd": {"config": config}})
}

fn timer(limit: Duration) -> regorus::utils::limits::ExecutionTimerConfig {
    regorus::utils::limits::ExecutionTimerConfig { limit, check_interval: NonZeroU32::new(64).expect("non-zero") }
}

/// A fresh regorus engine with driftd's extensions and configuration.
pub(crate) fn new_engine(config: &Value, limit: Duration) -> Result<regorus::Engine, Error> {
    let mut engine = regorus::Engine::new();
    engine.set_strict_builtin_errors(true);
    engine.set_execution_timer_config(timer(limit));
    extensions::register(&mut engine).map_err(|e| Error::input("policies", e.to_string()))?;
    engine
        .add_data(regorus::Value::from(config_data(config)))
        .map_err(|e| Error::input("policy config", e.to_string()))?;
    Ok(engine)
}

/// regorus reports some compile errors (a variable used before it is defined, an
/// unknown function) only at the first evaluation; force it now, so that a broken
/// policy fails the load with its file:line:col instead of every evaluation later.
pub(crate) fn compile(engine: &mut regorus::Engine) -> Result<(), Error> {
    engine.eval_query("true".to_string(), false).map(|_| ()).map_err(|e| syntax_error("policies", &e))
}

/// Add one source; returns its package (`data.x.y`).
pub(crate) fn add_source(engine: &mut regorus::Engine, s: &Source) -> Result<String, Error> {
    crate::guard::check(s)?;
    engine.add_policy(s.path.clone(), s.text.clone()).map_err(|e| syntax_error(&s.path, &e))
}

/// How long compiling a run's policies may take: ten evaluation time limits, at least
/// 5 s. regorus' parser cannot be interrupted; past this the run ends with an error (the
/// parse goes on in a thread nobody waits for, until the process ends).
pub fn load_deadline(limit: Duration) -> Duration {
    limit.saturating_mul(10).max(Duration::from_secs(5))
}

/// `f` on a thread of its own, given up after `deadline`.
pub(crate) fn within<T: Send + 'static>(
    deadline: Duration,
    f: impl FnOnce() -> Result<T, Error> + Send + 'static,
) -> Result<T, Error> {
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::Builder::new()
        .name("policy-compile".into())
        .spawn(move || {
            let _ = tx.send(f());
        })
        .map_err(|e| Error::input("policies", format!("cannot start compiling: {e}")))?;
    rx.recv_timeout(deadline).unwrap_or_else(|_| {
        Err(Error::input(
            "policies",
            format!(
                "compiling the policies took longer than {} s ([policy] time_limit_ms x 10): a policy regorus cannot parse in time?",
                deadline.as_secs()
            ),
        ))
    })
}

impl RegoEngine {
    /// Compile every source, within [`load_deadline`]. Files without a `deny` rule are
    /// libraries, not policies.
    pub fn load(sources: &[Source], config: &Value, limit: Duration) -> Result<RegoEngine, Error> {
        let (sources, config) = (sources.to_vec(), config.clone());
        within(load_deadline(limit), move || RegoEngine::load_now(&sources, &config, limit))
    }

    fn load_now(sources: &[Source], config: &Value, limit: Duration) -> Result<RegoEngine, Error> {
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
                builtin: s.builtin,
            });
        }
        compile(&mut engine)?;
        let has_fleet = policies.iter().any(|p| p.scope == Scope::Fleet);
        let data = config_data(config);
        let compiled =
            [Scope::Resource, Scope::Fleet].map(|scope| compile_scope(&engine, &policies, scope, &data, limit));
        Ok(RegoEngine {
            engine,
            policies,
            has_fleet,
            compiled,
            converter: if has_fleet { Converter::interning_values() } else { Converter::default() },
            limit,
            fleet: Default::default(),
        })
    }

    fn set_limit(&mut self, limit: Duration) {
        let config = timer(limit);
        self.engine.set_execution_timer_config(config);
        for c in self.compiled.iter_mut().flatten() {
            c.vm.set_execution_timer_config(Some(config));
        }
    }

    /// Force the interpreter for every scope (tests compare both paths).
    pub fn without_vm(mut self) -> RegoEngine {
        self.compiled = [None, None];
        self
    }

    /// Which scopes run on the VM: (resource, fleet).
    pub fn uses_vm(&self) -> (bool, bool) {
        (self.compiled[0].is_some(), self.compiled[1].is_some())
    }

    pub fn policies(&self) -> &[Policy] {
        &self.policies
    }

    fn run(&mut self, value: regorus::Value, scope: Scope) -> Vec<Violation> {
        let mut out = Vec::new();
        let mut vm_ran = false;
        if let Some(c) = &mut self.compiled[scope_index(scope)] {
            // The built-in policies of the scope in one run; if any of them errors, they
            // fall through to one call each, so the error is pinned to its policy.
            c.vm.set_input(value.clone());
            if let Ok(regorus::Value::Object(results)) = c.vm.execute_entry_point_by_name(&c.entry) {
                for (key, set) in results.iter() {
                    let idx = key.as_string().ok().and_then(|k| k.parse::<usize>().ok());
                    if let Some(p) = idx.and_then(|i| self.policies.get(i)) {
                        out.extend(entries(p, set));
                    }
                }
                vm_ran = true;
            }
        }
        let rest = self.policies.iter().filter(|p| p.scope == scope && !(vm_ran && p.builtin));
        let mut rest = rest.peekable();
        if rest.peek().is_none() {
            return out;
        }
        self.engine.set_input(value);
        for p in rest {
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
                    cost_per_hour_usd: None,
                }),
            }
        }
        out
    }
}

/// Compile every policy of one scope into a VM program: a generated module whose one
/// rule is `{"<index>": <package>.deny, ...}`. None if any step fails; the interpreter
/// then evaluates those policies one by one, with the same results.
fn compile_scope(
    engine: &regorus::Engine,
    policies: &[Policy],
    scope: Scope,
    data: &Value,
    limit: Duration,
) -> Option<Compiled> {
    let items: Vec<String> = policies
        .iter()
        .enumerate()
        .filter(|(_, p)| p.scope == scope && p.builtin)
        .map(|(i, p)| format!("  \"{i}\": {}.deny,", p.package))
        .collect();
    if items.is_empty() {
        return None;
    }
    let package = format!("driftd_internal_eval_{}", scope_index(scope));
    let text = format!("package {package}\n\nall_deny := {{\n{}\n}}\n", items.join("\n"));
    let entry = format!("data.{package}.all_deny");
    let mut engine = engine.clone();
    engine.add_policy(format!("{package}.rego"), text).ok()?;
    let policy = engine.compile_with_entrypoint(&entry.as_str().into()).ok()?;
    let program = regorus::languages::rego::compiler::Compiler::compile_from_policy(&policy, &[entry.as_str()]).ok()?;
    let mut vm = regorus::rvm::vm::RegoVM::new_with_policy(policy);
    // As in the interpreter: a failing builtin is an error to report, not "undefined".
    vm.set_strict_builtin_errors(true);
    vm.load_program(program);
    vm.set_data(regorus::Value::from(data.clone())).ok()?;
    vm.set_execution_timer_config(Some(timer(limit)));
    Some(Compiled { vm, entry })
}

fn one_line(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// `deny` entries: strings, or objects with `msg` and optional `severity`,
/// `remediation`, `cost_per_hour_usd` (what the violation wastes per hour) and (fleet
/// policies) `resource: {type, id}`.
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
                cost_per_hour_usd: item
                    .get("cost_per_hour_usd")
                    .and_then(Value::as_f64)
                    .filter(|c| c.is_finite() && *c >= 0.0),
            }
        })
        .collect()
}

/// A fleet policy's time limit: the per-evaluation limit once per started 1,000
/// resources, so that a fleet of 100,000 is not cut off at the limit meant for one
/// resource, while a runaway policy is still stopped.
pub(crate) fn fleet_limit(limit: Duration, resources: usize) -> Duration {
    limit.saturating_mul(resources.div_ceil(1000).max(1) as u32)
}

impl PolicyEngine for RegoEngine {
    fn evaluate(&mut self, input: &Value, side: Side) -> Vec<Violation> {
        let value = self.converter.value(input);
        if self.has_fleet {
            // Reference-counted: the fleet shares this value, it is not copied.
            self.fleet[side.index()].push(value.clone());
        }
        self.run(value, Scope::Resource)
    }

    fn has_fleet_policies(&self) -> bool {
        self.has_fleet
    }

    fn evaluate_fleet(&mut self, side: Side) -> Vec<Violation> {
        let resources = std::mem::take(&mut self.fleet[side.index()]);
        self.converter.forget_values();
        self.set_limit(fleet_limit(self.limit, resources.len()));
        let mut input = std::collections::BTreeMap::new();
        input.insert(regorus::Value::from("side"), regorus::Value::from(side.as_str()));
        input.insert(regorus::Value::from("resources"), regorus::Value::from(resources));
        let violations = self.run(regorus::Value::from(input), Scope::Fleet);
        self.set_limit(self.limit);
        violations
    }
}
