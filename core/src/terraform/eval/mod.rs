//! Terraform code as a declared source (`--tf DIR` without `--state`): a root module and
//! the modules it calls, evaluated into resource instances with their addresses
//! (`module.gpu.aws_instance.trainer["a"]`), attributes and where they are declared.
//!
//! Evaluated: variables (defaults, `terraform.tfvars`, `*.auto.tfvars`, `--var-file`,
//! `--var`, `TF_VAR_*`) with their `type` constraints and `optional()` defaults, locals
//! and module calls in dependency order, local modules and (after `terraform init`) the
//! registry and git modules recorded in `.terraform/modules/modules.json`, `count`,
//! `for_each`, nested and `dynamic` blocks, `lifecycle`, and Terraform's whole built-in
//! function library (`functions/`) through the expression evaluator in `expr.rs`.
//!
//! Unknown is a value ([`functions::UNKNOWN`]), never an error: what only plan or apply
//! could know (another resource's attributes, data sources, impure functions), and what
//! this run cannot know (a variable with no value, an undeclared reference, a module that
//! was not fetched). A declaration lists its unknown paths; each cause Terraform would
//! have known is one warning naming `file:line`.

pub mod expr;
pub mod functions;
pub mod json;
pub mod live_match;
pub mod types;
pub mod unapplied;

mod load;
mod module;
mod variables;

pub(crate) use load::parse_file;
use load::*;
use module::*;
pub use variables::CommandLineVars;
use variables::*;

use crate::error::{Error, Result};
use crate::model::{DeclaredKind, SourceLoc, Warning, WarningKind};
use crate::terraform::files::ParsedFiles;
use crate::tfstate::{self, StateInput};
use expr::{Evaluator as ExprEvaluator, Fatal, Resolver};
use functions::{contains_unknown, is_unknown, unknown, UNKNOWN};
use hcl::expr::{Expression, Traversal, TraversalOperator};
use hcl::template::{Directive, Element};
use hcl::{Block, Body, Map, Value};
use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::rc::Rc;
use std::sync::Arc;

const META_ARGUMENTS: &[&str] =
    &["count", "for_each", "provider", "depends_on", "lifecycle", "provisioner", "connection"];

/// Instances of one `count`/`for_each` and of one run: Terraform has no limit, but a
/// typo (`count = 4294967296`) must not grow memory without bound.
pub const MAX_INSTANCES_PER_BLOCK: usize = 10_000;
pub const MAX_INSTANCES_PER_RUN: usize = 200_000;

/// The declarations of the code in `dir`, as one declared input, and what could not be read.
pub fn declarations(dir: &Path, cli: &CommandLineVars) -> Result<(StateInput, Vec<Warning>)> {
    let code = evaluate(dir, cli)?;
    Ok((code.input, code.warnings))
}

/// A module tree evaluated.
pub struct Evaluated {
    pub input: StateInput,
    pub warnings: Vec<Warning>,
    /// Configuration addresses (`module.remote.`, `aws_instance.pool`) whose instances are
    /// not known: a module that was not fetched, a `count`/`for_each` known only after apply.
    pub unevaluated: Vec<String>,
    /// Module calls whose source was not available (a registry or git module before
    /// `terraform init`): their resources are not declared here.
    pub modules_not_evaluated: usize,
    /// Configuration addresses of blocks evaluated to no instance (`count = 0`, an empty
    /// `for_each`); a module call with none ends with `.` (`module.disabled.`).
    pub empty_blocks: Vec<String>,
}

impl Evaluated {
    /// Is this state address under something the code could not expand?
    pub fn covers(&self, address: &str) -> bool {
        let config = crate::terraform::files::config_address(address);
        !self.unevaluated.iter().any(|u| config == *u || (u.ends_with('.') && config.starts_with(u.as_str())))
    }
}

/// Evaluate the root module in `dir` and the modules it calls.
pub fn evaluate(dir: &Path, cli: &CommandLineVars) -> Result<Evaluated> {
    evaluate_with(dir, cli, &Arc::new(ParsedFiles::default()))
}

/// As [`evaluate`], with files parsed once for the whole check.
pub fn evaluate_with(dir: &Path, cli: &CommandLineVars, parsed: &Arc<ParsedFiles>) -> Result<Evaluated> {
    let root = crate::terraform::files::canonical(dir);
    let mut eval = Evaluator {
        resources: Vec::new(),
        warnings: Vec::new(),
        seen_causes: HashSet::new(),
        unevaluated: Vec::new(),
        modules_not_evaluated: 0,
        source: dir.display().to_string(),
        root: root.clone(),
        loaded: HashMap::new(),
        manifest: ModuleManifest::read(&root),
        instances: 0,
        empty_blocks: Vec::new(),
        parsed: parsed.clone(),
    };
    let mut root_vars = root_variables(dir, &root)?;
    for file in &cli.files {
        root_vars.extend(tfvars(file, &root)?);
    }
    for kv in &cli.values {
        let (name, value) = kv
            .split_once('=')
            .filter(|(n, _)| !n.is_empty())
            .ok_or_else(|| Error::input(format!("--var {kv}"), "expected NAME=VALUE"))?;
        root_vars.insert(name.to_string(), var_value(value));
    }
    eval.module(dir, &root, "", "", Some(root_vars), 0)?;
    // `import` blocks (root module only, as in Terraform) give their resources an id.
    let imports = imports(eval.loaded.get(dir).map(|f| f.as_slice()).unwrap_or_default(), &root);
    for d in &mut eval.resources {
        if let Some(id) = imports.get(&d.address) {
            d.id.clone_from(id);
        }
    }
    if eval.modules_not_evaluated > 0 {
        let n = eval.modules_not_evaluated;
        eval.warnings.push(Warning::new(
            WarningKind::NotCompared,
            format!(
                "{n} module call{} not evaluated: {} source is not on disk (run `terraform init` to fetch registry and git modules into .terraform/modules); {} resources are not declared here",
                if n == 1 { " was" } else { "s were" },
                if n == 1 { "its" } else { "their" },
                if n == 1 { "its" } else { "their" }
            ),
            Some(dir.display().to_string()),
        ));
    }
    Ok(Evaluated {
        input: StateInput {
            location: dir.display().to_string(),
            kind: DeclaredKind::Tf,
            resources: eval.resources,
            drift: vec![],
            root_module: None,
            modules_not_evaluated: eval.modules_not_evaluated,
            lineage: None,
        },
        warnings: eval.warnings,
        unevaluated: eval.unevaluated,
        modules_not_evaluated: eval.modules_not_evaluated,
        // Per block, however many module instances have it.
        empty_blocks: {
            let mut e = eval.empty_blocks;
            e.sort();
            e.dedup();
            e
        },
    })
}

struct Evaluator {
    resources: Vec<crate::model::DeclaredResource>,
    warnings: Vec<Warning>,
    /// Causes of unknown values already warned about (one warning per cause and place).
    seen_causes: HashSet<String>,
    /// Configuration addresses whose instances are unknown ([`Evaluated::unevaluated`]).
    unevaluated: Vec<String>,
    modules_not_evaluated: usize,
    source: String,
    /// The root module's directory, absolute: Terraform's working directory.
    root: PathBuf,
    /// Modules parsed once, however many instances call them.
    loaded: HashMap<PathBuf, Rc<Vec<File>>>,
    manifest: ModuleManifest,
    /// Resource instances so far, against [`MAX_INSTANCES_PER_RUN`].
    instances: usize,
    empty_blocks: Vec<String>,
    parsed: Arc<ParsedFiles>,
}

/// Replace function calls in an expression, wherever they are: `f` returns the
/// replacement of a call, or `None` to keep it (its arguments are then visited).
pub(crate) fn map_calls(e: &mut Expression, f: &mut dyn FnMut(&hcl::expr::FuncCall) -> Option<Expression>) {
    match e {
        Expression::FuncCall(call) => match f(call) {
            Some(replacement) => *e = replacement,
            None => call.args.iter_mut().for_each(|a| map_calls(a, f)),
        },
        Expression::Array(items) => items.iter_mut().for_each(|i| map_calls(i, f)),
        Expression::Object(o) => o.values_mut().for_each(|v| map_calls(v, f)),
        Expression::Parenthesis(p) => map_calls(p, f),
        Expression::Conditional(c) => {
            map_calls(&mut c.cond_expr, f);
            map_calls(&mut c.true_expr, f);
            map_calls(&mut c.false_expr, f);
        }
        Expression::Operation(op) => match op.as_mut() {
            hcl::expr::Operation::Unary(u) => map_calls(&mut u.expr, f),
            hcl::expr::Operation::Binary(b) => {
                map_calls(&mut b.lhs_expr, f);
                map_calls(&mut b.rhs_expr, f);
            }
        },
        Expression::TemplateExpr(t) => {
            // Interpolations are parsed out of the template, replaced, and written back.
            if let Ok(mut template) = hcl::Template::from_expr(t) {
                let mut changed = false;
                map_template(template.elements_mut(), f, &mut changed);
                if changed {
                    *e = Expression::from(hcl::expr::TemplateExpr::from(template.to_string()));
                }
            }
        }
        _ => {}
    }
}

fn map_template(
    elements: &mut [Element],
    f: &mut dyn FnMut(&hcl::expr::FuncCall) -> Option<Expression>,
    changed: &mut bool,
) {
    for el in elements {
        match el {
            Element::Interpolation(i) => {
                let before = i.expr.clone();
                map_calls(&mut i.expr, f);
                *changed |= i.expr != before;
            }
            Element::Directive(d) => match d.as_mut() {
                Directive::If(d) => {
                    map_template(d.true_template.elements_mut(), f, changed);
                    if let Some(t) = d.false_template.as_mut() {
                        map_template(t.elements_mut(), f, changed);
                    }
                }
                Directive::For(d) => map_template(d.template.elements_mut(), f, changed),
            },
            Element::Literal(_) => {}
        }
    }
}

/// A constant expression's value: tfvars files, variable defaults, `import` ids and
/// `optional()` defaults may use functions but no references.
pub(crate) fn constant(e: &Expression, dir: &Path) -> std::result::Result<Value, Fatal> {
    let mut r = expr::Detached { module: dir, root: dir, causes: vec![] };
    ExprEvaluator::new(&mut r).eval(e)
}

impl Evaluator {
    /// Evaluate one module instance; its outputs. `inputs`: the root's values from
    /// outside, or a call's arguments.
    fn module(
        &mut self,
        dir: &Path,
        abs_dir: &Path,
        prefix: &str,
        key: &str,
        inputs: Option<Map<String, Value>>,
        depth: usize,
    ) -> Result<Map<String, Value>> {
        if depth > 16 {
            return Err(Error::input(dir.display().to_string(), "module calls nest deeper than 16 (a cycle?)"));
        }
        let files = match self.loaded.get(dir) {
            Some(files) => files.clone(),
            None => {
                let files = Rc::new(load(dir, &self.parsed)?);
                self.loaded.insert(dir.to_path_buf(), files.clone());
                files
            }
        };
        let is_root = prefix.is_empty();
        let inputs = inputs.unwrap_or_default();
        let mut local_src = HashMap::new();
        let mut call_src = HashMap::new();
        for (fi, f) in files.iter().enumerate() {
            for (bi, b) in f.body.blocks().enumerate() {
                match b.identifier.as_str() {
                    "locals" => {
                        for (ai, a) in b.body.attributes().enumerate() {
                            local_src.insert(a.key.to_string(), (fi, bi, ai));
                        }
                    }
                    "module" => {
                        call_src.insert(label(b, 0), (fi, bi));
                    }
                    _ => {}
                }
            }
        }
        let mut m = ModuleEval {
            ev: self,
            files: files.clone(),
            dir: dir.to_path_buf(),
            abs_dir: abs_dir.to_path_buf(),
            prefix: prefix.to_string(),
            key: key.to_string(),
            depth,
            vars: HashMap::new(),
            local_src,
            locals: HashMap::new(),
            call_src,
            modules: HashMap::new(),
            evaluating: HashSet::new(),
            at: String::new(),
        };
        m.variables(&inputs, is_root)?;
        // Module calls in file order (each evaluates what it refers to first), then
        // resources, then outputs for the caller.
        let calls: Vec<String> = files
            .iter()
            .flat_map(|f| f.body.blocks().filter(|b| b.identifier.as_str() == "module").map(|b| label(b, 0)))
            .collect();
        for name in calls {
            m.module(&name).map_err(fatal_input)?;
        }
        for (fi, f) in files.iter().enumerate() {
            for (bi, b) in f.body.blocks().enumerate().filter(|(_, b)| b.identifier.as_str() == "resource") {
                m.resource(fi, bi, b)?;
            }
        }
        let mut outputs = Map::new();
        for f in files.iter() {
            for (bi, b) in f.body.blocks().enumerate().filter(|(_, b)| b.identifier.as_str() == "output") {
                if let Some(a) = b.body.attributes().find(|a| a.key.as_str() == "value") {
                    m.at = f.at(bi, Some("value"));
                    let v = ExprEvaluator::new(&mut m).eval(&a.expr).unwrap_or_else(|_| unknown());
                    outputs.insert(label(b, 0), v);
                }
            }
        }
        Ok(outputs)
    }
}

fn fatal_input(f: Fatal) -> Error {
    match f.0.split_once(": ") {
        Some((at, msg)) if at.contains(':') || at.ends_with(".tf") => Error::input(at, msg),
        _ => Error::input("terraform code", f.0),
    }
}

/// Evaluated declarations in address order, for tests and `BTreeMap` users.
pub fn by_address(input: &StateInput) -> BTreeMap<String, serde_json::Value> {
    input.resources.iter().map(|d| (d.address.clone(), d.to_resource().attributes)).collect()
}

#[cfg(test)]
mod tests;
