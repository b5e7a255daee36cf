//! Terraform code as a declared source (`--tf DIR` without `--state`): a root module and
//! the local modules it calls, evaluated with hcl-rs into resource instances with their
//! addresses (`module.gpu.aws_instance.trainer["a"]`) and attributes.
//!
//! Evaluated: variables (defaults, `terraform.tfvars`, `*.auto.tfvars`, `TF_VAR_*`),
//! locals, local module calls (`./`, `../`) with their inputs and outputs, `count`,
//! `for_each` (maps, sets, objects), nested and `dynamic` blocks, splats, `for`
//! expressions, conditionals, templates and the functions in `functions.rs`.
//!
//! What cannot be known before apply is unknown, never compared and never an error:
//! another resource's attributes, data sources, remote modules' outputs, provider-defined
//! functions. Unknown is a value ([`functions::UNKNOWN`]), so a map that holds one keeps
//! every key it knows; a string built from one is unknown whole, as in Terraform.

pub mod functions;
pub mod json;
pub mod live_match;
pub mod unapplied;

use crate::error::{Error, Result};
use crate::model::{DeclaredKind, SourceLoc, Warning, WarningKind};
use crate::tfstate::{self, StateInput};
use functions::{contains_unknown, UNKNOWN};
use hcl::eval::{Context, Evaluate};
use hcl::expr::{Expression, TemplateExpr, Traversal, TraversalOperator};
use hcl::template::{Directive, Element};
use hcl::{Block, Body, Map, Value};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// Roots an expression may name besides its own iterators: everything else (a resource
/// type, `data`, `self`) is another resource's and unknown before apply.
const KNOWN_ROOTS: &[&str] = &["var", "local", "module", "count", "each", "path", "terraform"];
const META_ARGUMENTS: &[&str] =
    &["count", "for_each", "provider", "depends_on", "lifecycle", "provisioner", "connection"];

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
    /// not known: a remote module's resources, a `count`/`for_each` known only after apply.
    pub unevaluated: Vec<String>,
}

impl Evaluated {
    /// Is this state address under something the code could not expand?
    pub fn covers(&self, address: &str) -> bool {
        let config = crate::tf::config_address(address);
        !self.unevaluated.iter().any(|u| config == *u || (u.ends_with('.') && config.starts_with(u.as_str())))
    }
}

/// Evaluate the root module in `dir` and the local modules it calls.
pub fn evaluate(dir: &Path, cli: &CommandLineVars) -> Result<Evaluated> {
    let mut eval = Evaluator {
        resources: Vec::new(),
        warnings: Vec::new(),
        unevaluated: Vec::new(),
        source: dir.display().to_string(),
        loaded: Default::default(),
    };
    let mut root_vars = root_variables(dir)?;
    for file in &cli.files {
        root_vars.extend(tfvars(file, dir)?);
    }
    for kv in &cli.values {
        let (name, value) = kv
            .split_once('=')
            .filter(|(n, _)| !n.is_empty())
            .ok_or_else(|| Error::input(format!("--var {kv}"), "expected NAME=VALUE"))?;
        root_vars.insert(name.to_string(), var_value(value));
    }
    eval.module(dir, "", root_vars, 0)?;
    // `import` blocks (root module only, as in Terraform) give their resources an id.
    let imports = imports(&eval.loaded.get(dir).cloned().unwrap_or_default());
    for d in &mut eval.resources {
        if let Some(id) = imports.get(&d.address) {
            d.id.clone_from(id);
        }
    }
    Ok(Evaluated {
        input: StateInput {
            location: dir.display().to_string(),
            kind: DeclaredKind::Tf,
            resources: eval.resources,
            drift: vec![],
            root_module: None,
        },
        warnings: eval.warnings,
        unevaluated: eval.unevaluated,
    })
}

struct Evaluator {
    resources: Vec<crate::model::DeclaredResource>,
    warnings: Vec<Warning>,
    /// Configuration addresses whose instances are unknown ([`Evaluated::unevaluated`]).
    unevaluated: Vec<String>,
    source: String,
    /// Modules parsed once, however many instances call them.
    loaded: std::collections::HashMap<PathBuf, std::rc::Rc<Vec<File>>>,
}

/// One `.tf` file's blocks and attributes.
struct File {
    shown: String,
    body: Body,
    /// The line of each top-level block, in `body.blocks()` order (none for JSON).
    block_lines: Vec<u32>,
}

fn load(dir: &Path) -> Result<Vec<File>> {
    let paths = crate::tf::tf_files(dir)?;
    if paths.is_empty() {
        return Err(crate::tf::no_tf_files(dir));
    }
    let mut files = Vec::new();
    for path in paths {
        let (body, block_lines) = parse_file_lines(&path)?;
        files.push(File { shown: path.display().to_string(), body, block_lines });
    }
    Ok(files)
}

/// One `.tf` file's body; a syntax error names `file:line:column` with a caret.
pub(crate) fn parse_file(path: &Path) -> Result<Body> {
    parse_file_lines(path).map(|(body, _)| body)
}

/// The body and the line of each top-level block, from one parse.
fn parse_file_lines(path: &Path) -> Result<(Body, Vec<u32>)> {
    let text = std::fs::read_to_string(path).map_err(|e| Error::io(path, &e))?;
    let shown = path.display().to_string();
    if crate::tf::is_json(path) {
        return Ok((json::parse(&shown, &text)?, Vec::new()));
    }
    let edit = crate::tf::parse_body(&shown, &text)?;
    use hcl_edit::Span;
    let lines = edit.blocks().map(|b| crate::tf::line_of(&text, b.span().map_or(0, |s| s.start))).collect();
    Ok((edit.into(), lines))
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

/// `import { to = ADDRESS, id = "..." }`: the id each address is imported from (ids that
/// are literal or evaluate without context; others are left to matching by name).
fn imports(files: &[File]) -> std::collections::HashMap<String, String> {
    let ctx = Context::new();
    let mut out = std::collections::HashMap::new();
    for b in files.iter().flat_map(|f| f.body.blocks()).filter(|b| b.identifier.as_str() == "import") {
        let attr = |k: &str| b.body.attributes().find(|a| a.key.as_str() == k).map(|a| &a.expr);
        let (Some(to), Some(id)) = (attr("to"), attr("id")) else { continue };
        if let Ok(Value::String(id)) = id.evaluate(&ctx) {
            out.insert(to.to_string().replace(' ', ""), id);
        }
    }
    out
}

/// Values of the root module's variables from outside: `terraform.tfvars`, then
/// `*.auto.tfvars` in name order, then `TF_VAR_name` (strings; HCL for lists and maps).
fn root_variables(dir: &Path) -> Result<Map<String, Value>> {
    let mut vars = Map::new();
    for path in crate::tf::tfvars_files(dir) {
        vars.extend(tfvars(&path, dir)?);
    }
    for (k, v) in std::env::vars() {
        if let Some(name) = k.strip_prefix("TF_VAR_") {
            vars.entry(name.to_string()).or_insert_with(|| var_value(&v));
        }
    }
    Ok(vars)
}

/// The assignments of one tfvars file.
fn tfvars(path: &Path, dir: &Path) -> Result<Map<String, Value>> {
    let text = std::fs::read_to_string(path).map_err(|e| Error::io(path, &e))?;
    let shown = path.display().to_string();
    crate::tf::parse_body(&shown, &text)?;
    let body: Body = hcl::parse(&text).map_err(|e| Error::input(&shown, format!("HCL: {e}")))?;
    let ctx = context(&Map::new(), &Map::new(), &Map::new(), dir);
    let mut vars = Map::new();
    for attr in body.attributes() {
        let v = attr.expr.evaluate(&ctx).map_err(|e| Error::input(&shown, format!("{}: {e}", attr.key)))?;
        vars.insert(attr.key.to_string(), v);
    }
    Ok(vars)
}

/// A value from the environment or `--var`: HCL for lists and maps, else the string as is.
fn var_value(v: &str) -> Value {
    let parsed =
        hcl::from_str::<Value>(&format!("v = {v}")).ok().and_then(|b| b.as_object().and_then(|o| o.get("v").cloned()));
    match parsed {
        Some(complex @ (Value::Array(_) | Value::Object(_))) => complex,
        _ => Value::from(v),
    }
}

/// `path.module`: the directory made absolute once (contexts are made per block).
fn absolute(dir: &Path) -> String {
    thread_local! {
        static SEEN: std::cell::RefCell<std::collections::HashMap<PathBuf, String>> = Default::default();
    }
    SEEN.with(|seen| {
        seen.borrow_mut()
            .entry(dir.to_path_buf())
            .or_insert_with(|| crate::tf::canonical(dir).display().to_string())
            .clone()
    })
}

/// The evaluation context: `var`, `local`, `module`, `path`, `terraform`, and the functions.
fn context<'a>(
    vars: &Map<String, Value>,
    locals: &Map<String, Value>,
    modules: &Map<String, Value>,
    dir: &Path,
) -> Context<'a> {
    let mut ctx = Context::new();
    ctx.declare_var("var", Value::Object(vars.clone()));
    ctx.declare_var("local", Value::Object(locals.clone()));
    ctx.declare_var("module", Value::Object(modules.clone()));
    let mut path = Map::new();
    let abs = absolute(dir);
    path.insert("module".into(), Value::from(abs.clone()));
    path.insert("root".into(), Value::from(abs.clone()));
    path.insert("cwd".into(), Value::from(abs));
    ctx.declare_var("path", Value::Object(path));
    let mut terraform = Map::new();
    terraform.insert("workspace".into(), Value::from("default"));
    ctx.declare_var("terraform", Value::Object(terraform));
    functions::declare(&mut ctx);
    ctx
}

/// Replace what is unknown before apply with [`UNKNOWN`]: references to roots outside
/// `known` (and not bound by an enclosing `for`), `local.x`/`module.x` not (yet) in
/// `available`, provider-defined functions, and templates that use any of these.
struct Unknowns<'a> {
    available_locals: &'a Map<String, Value>,
    available_modules: &'a Map<String, Value>,
    bound: Vec<String>,
    /// Iterator roots of the block being evaluated (`each`, `count`, a dynamic block's).
    extra_roots: &'a [String],
}

impl<'a> Unknowns<'a> {
    fn new(locals: &'a Map<String, Value>, modules: &'a Map<String, Value>, extra_roots: &'a [String]) -> Unknowns<'a> {
        Unknowns { available_locals: locals, available_modules: modules, bound: vec![], extra_roots }
    }

    fn root_unknown(&self, root: &str, first_attr: Option<&str>) -> bool {
        if self.bound.iter().any(|b| b == root) || self.extra_roots.iter().any(|r| r == root) {
            return false;
        }
        match root {
            "local" => first_attr.is_some_and(|a| !self.available_locals.contains_key(a)),
            "module" => first_attr.is_some_and(|a| !self.available_modules.contains_key(a)),
            r => !KNOWN_ROOTS.contains(&r),
        }
    }

    fn traversal_unknown(&self, t: &Traversal) -> bool {
        let first = t.operators.first().and_then(|op| match op {
            TraversalOperator::GetAttr(a) => Some(a.as_str()),
            _ => None,
        });
        match &t.expr {
            Expression::Variable(v) => self.root_unknown(v.as_str(), first),
            _ => false,
        }
    }

    fn rewrite(&mut self, e: &mut Expression) {
        let unknown = match e {
            Expression::Variable(v) => self.root_unknown(v.as_str(), None),
            Expression::Traversal(t) => self.traversal_unknown(t),
            Expression::TemplateExpr(t) => self.template_unknown(t),
            Expression::FuncCall(f) => !f.name.namespace.is_empty(),
            _ => false,
        };
        if unknown {
            *e = Expression::String(UNKNOWN.to_string());
            return;
        }
        match e {
            Expression::Array(items) => items.iter_mut().for_each(|i| self.rewrite(i)),
            // Keys that are expressions are evaluated as they are.
            Expression::Object(o) => o.values_mut().for_each(|v| self.rewrite(v)),
            Expression::Traversal(t) => {
                self.rewrite(&mut t.expr);
                for op in t.operators.iter_mut() {
                    if let TraversalOperator::Index(i) = op {
                        self.rewrite(i);
                    }
                }
            }
            Expression::FuncCall(f) => f.args.iter_mut().for_each(|a| self.rewrite(a)),
            Expression::Parenthesis(p) => self.rewrite(p),
            Expression::Conditional(c) => {
                self.rewrite(&mut c.cond_expr);
                self.rewrite(&mut c.true_expr);
                self.rewrite(&mut c.false_expr);
            }
            Expression::Operation(op) => match op.as_mut() {
                hcl::expr::Operation::Unary(u) => self.rewrite(&mut u.expr),
                hcl::expr::Operation::Binary(b) => {
                    self.rewrite(&mut b.lhs_expr);
                    self.rewrite(&mut b.rhs_expr);
                }
            },
            Expression::ForExpr(f) => {
                self.rewrite(&mut f.collection_expr);
                let n = self.bound.len();
                self.bound.push(f.value_var.to_string());
                if let Some(k) = &f.key_var {
                    self.bound.push(k.to_string());
                }
                if let Some(k) = f.key_expr.as_mut() {
                    self.rewrite(k);
                }
                self.rewrite(&mut f.value_expr);
                if let Some(c) = f.cond_expr.as_mut() {
                    self.rewrite(c);
                }
                self.bound.truncate(n);
            }
            _ => {}
        }
    }

    /// Does a template use anything unknown? (A string with an unknown part is unknown.)
    fn template_unknown(&mut self, t: &TemplateExpr) -> bool {
        let Ok(template) = hcl::Template::from_expr(t) else { return false };
        self.elements_unknown(template.elements())
    }

    fn elements_unknown(&mut self, elements: &[Element]) -> bool {
        elements.iter().any(|el| match el {
            Element::Literal(_) => false,
            Element::Interpolation(i) => self.expr_unknown(&i.expr),
            Element::Directive(d) => match d.as_ref() {
                Directive::If(d) => {
                    self.expr_unknown(&d.cond_expr)
                        || self.elements_unknown(d.true_template.elements())
                        || d.false_template.as_ref().is_some_and(|f| self.elements_unknown(f.elements()))
                }
                Directive::For(d) => {
                    if self.expr_unknown(&d.collection_expr) {
                        return true;
                    }
                    let n = self.bound.len();
                    self.bound.push(d.value_var.to_string());
                    if let Some(k) = &d.key_var {
                        self.bound.push(k.to_string());
                    }
                    let u = self.elements_unknown(d.template.elements());
                    self.bound.truncate(n);
                    u
                }
            },
        })
    }

    fn expr_unknown(&mut self, e: &Expression) -> bool {
        let mut copy = e.clone();
        self.rewrite(&mut copy);
        contains_unknown_expr(&copy)
    }
}

fn contains_unknown_expr(e: &Expression) -> bool {
    match e {
        Expression::String(s) => s == UNKNOWN,
        Expression::Array(a) => a.iter().any(contains_unknown_expr),
        Expression::Object(o) => o.values().any(contains_unknown_expr),
        Expression::Traversal(t) => contains_unknown_expr(&t.expr),
        Expression::FuncCall(f) => f.args.iter().any(contains_unknown_expr),
        Expression::Parenthesis(p) => contains_unknown_expr(p),
        Expression::Conditional(c) => {
            contains_unknown_expr(&c.cond_expr)
                || contains_unknown_expr(&c.true_expr)
                || contains_unknown_expr(&c.false_expr)
        }
        Expression::Operation(op) => match op.as_ref() {
            hcl::expr::Operation::Unary(u) => contains_unknown_expr(&u.expr),
            hcl::expr::Operation::Binary(b) => contains_unknown_expr(&b.lhs_expr) || contains_unknown_expr(&b.rhs_expr),
        },
        Expression::ForExpr(f) => contains_unknown_expr(&f.collection_expr) || contains_unknown_expr(&f.value_expr),
        _ => false,
    }
}

/// `try(a, b, ...)` and `can(a)` evaluated lazily, before the rest: the first argument
/// that evaluates, and whether it does.
fn resolve_try(e: &mut Expression, ctx: &Context) {
    if let Expression::FuncCall(f) = e {
        if f.name.namespace.is_empty() && matches!(f.name.name.as_str(), "try" | "can") {
            let is_try = f.name.name.as_str() == "try";
            let first_ok = f.args.iter_mut().find_map(|a| {
                resolve_try(a, ctx);
                a.evaluate(ctx).ok()
            });
            *e = match (is_try, first_ok) {
                (true, Some(v)) => value_expr(v),
                (true, None) => Expression::Null,
                (false, ok) => Expression::Bool(ok.is_some()),
            };
            return;
        }
    }
    match e {
        Expression::Array(items) => items.iter_mut().for_each(|i| resolve_try(i, ctx)),
        Expression::Object(o) => o.values_mut().for_each(|v| resolve_try(v, ctx)),
        Expression::FuncCall(f) => f.args.iter_mut().for_each(|a| resolve_try(a, ctx)),
        Expression::Parenthesis(p) => resolve_try(p, ctx),
        Expression::Conditional(c) => {
            resolve_try(&mut c.cond_expr, ctx);
            resolve_try(&mut c.true_expr, ctx);
            resolve_try(&mut c.false_expr, ctx);
        }
        _ => {}
    }
}

fn value_expr(v: Value) -> Expression {
    Expression::from(v)
}

/// Evaluate one expression with unknowns replaced: `Ok(None)` when it could not be
/// evaluated because of something unknown (the whole value is then unknown).
fn eval(expr: &Expression, ctx: &Context, unknowns: &mut Unknowns) -> std::result::Result<Value, String> {
    let mut e = expr.clone();
    unknowns.rewrite(&mut e);
    resolve_try(&mut e, ctx);
    match e.evaluate(ctx) {
        Ok(v) => Ok(v),
        // An operation on an unknown (`x + 1`, a condition, an index into a module output
        // that is unknown): unknown, not an error. hcl-rs names the value it could not use.
        Err(err) if contains_unknown_expr(&e) || err.to_string().contains("(known after apply)") => {
            Ok(Value::from(UNKNOWN))
        }
        Err(err) => Err(explain(&err.to_string())),
    }
}

fn explain(err: &str) -> String {
    if err.contains("undefined func") || err.contains("unknown function") {
        format!("{err} (driftd evaluates: {})", functions::NAMES.join(", "))
    } else {
        err.to_string()
    }
}

impl Evaluator {
    fn module(
        &mut self,
        dir: &Path,
        prefix: &str,
        inputs: Map<String, Value>,
        depth: usize,
    ) -> Result<Map<String, Value>> {
        if depth > 16 {
            return Err(Error::input(dir.display().to_string(), "module calls nest deeper than 16 (a cycle?)"));
        }
        let files = match self.loaded.get(dir) {
            Some(files) => files.clone(),
            None => {
                let files = std::rc::Rc::new(load(dir)?);
                self.loaded.insert(dir.to_path_buf(), files.clone());
                files
            }
        };
        let where_ = |shown: &str, what: &str| format!("{shown}: {what}");
        // Variables: inputs (or root values), else defaults; none: an error naming it.
        let mut vars = Map::new();
        for f in files.iter() {
            for b in f.body.blocks().filter(|b| b.identifier.as_str() == "variable") {
                let name = label(b, 0);
                let value = match inputs.get(&name) {
                    Some(v) => v.clone(),
                    None => match b.body.attributes().find(|a| a.key.as_str() == "default") {
                        Some(a) => {
                            a.expr.evaluate(&context(&Map::new(), &Map::new(), &Map::new(), dir)).map_err(|e| {
                                Error::input(where_(&f.shown, &format!("variable {name:?}")), format!("default: {e}"))
                            })?
                        }
                        None => {
                            return Err(Error::input(
                                where_(&f.shown, &format!("variable {name:?}")),
                                if prefix.is_empty() {
                                    "no value: set it in terraform.tfvars, a *.auto.tfvars file or TF_VAR_".to_string()
                                        + &name
                                } else {
                                    format!("no value: the call of {} does not set it", prefix.trim_end_matches('.'))
                                },
                            ))
                        }
                    },
                };
                vars.insert(name, value);
            }
        }
        // Locals and module calls until nothing more resolves; then what is left is unknown.
        // Each with its source text, to see what it waits for without printing it every pass.
        let locals_src: Vec<(String, &Expression, &str, String)> = files
            .iter()
            .flat_map(|f| {
                f.body.blocks().filter(|b| b.identifier.as_str() == "locals").flat_map(move |b| {
                    b.body
                        .attributes()
                        .map(move |a| (a.key.to_string(), &a.expr, f.shown.as_str(), format!("{}", a.expr)))
                })
            })
            .collect();
        let calls: Vec<(&Block, &str, String)> = files
            .iter()
            .flat_map(|f| {
                f.body.blocks().filter(|b| b.identifier.as_str() == "module").map(move |b| {
                    let text: Vec<String> = b.body.attributes().map(|a| format!("{}", a.expr)).collect();
                    (b, f.shown.as_str(), text.join("\n"))
                })
            })
            .collect();
        let mut locals = Map::new();
        let mut modules = Map::new();
        let mut final_pass = false;
        let mut ctx = context(&vars, &locals, &modules, dir);
        loop {
            let before = (locals.len(), modules.len());
            for (name, expr, shown, text) in &locals_src {
                if locals.contains_key(name) {
                    continue;
                }
                // Wait for locals and modules not evaluated yet rather than call them unknown.
                if !final_pass && references_pending(text, &locals, &modules) {
                    continue;
                }
                let mut unknowns = Unknowns::new(&locals, &modules, &[]);
                match eval(expr, &ctx, &mut unknowns) {
                    Ok(v) => {
                        locals.insert(name.clone(), v);
                        ctx.declare_var("local", Value::Object(locals.clone()));
                    }
                    Err(e) if final_pass => return Err(Error::input(where_(shown, &format!("local.{name}")), e)),
                    Err(_) => {}
                }
            }
            for (call, shown, text) in &calls {
                let name = label(call, 0);
                if modules.contains_key(&name) {
                    continue;
                }
                if !final_pass && references_pending(text, &locals, &modules) {
                    continue;
                }
                let out = self.call(call, shown, dir, prefix, &ctx, &locals, &modules, depth)?;
                modules.insert(name, out);
                ctx.declare_var("module", Value::Object(modules.clone()));
            }
            if final_pass {
                break;
            }
            if (locals.len(), modules.len()) == before {
                final_pass = true;
            }
        }
        // Resources.
        let module_ctx = ctx;
        for f in files.iter() {
            for (i, b) in f.body.blocks().enumerate().filter(|(_, b)| b.identifier.as_str() == "resource") {
                let at = f.block_lines.get(i).map(|&line| SourceLoc { file: f.shown.clone(), line });
                self.resource(b, &f.shown, at, &module_ctx, prefix, &locals, &modules)?;
            }
        }
        // Outputs, for the caller.
        let mut outputs = Map::new();
        for f in files.iter() {
            for b in f.body.blocks().filter(|b| b.identifier.as_str() == "output") {
                if let Some(a) = b.body.attributes().find(|a| a.key.as_str() == "value") {
                    let mut unknowns = Unknowns::new(&locals, &modules, &[]);
                    let v = eval(&a.expr, &module_ctx, &mut unknowns).unwrap_or_else(|_| Value::from(UNKNOWN));
                    outputs.insert(label(b, 0), v);
                }
            }
        }
        Ok(outputs)
    }

    /// One `module` block: a local source is evaluated (each instance of `count` or
    /// `for_each`); any other source is named in a warning and its outputs are unknown.
    #[allow(clippy::too_many_arguments)]
    fn call(
        &mut self,
        call: &Block,
        shown: &str,
        dir: &Path,
        prefix: &str,
        ctx: &Context,
        locals: &Map<String, Value>,
        modules: &Map<String, Value>,
        depth: usize,
    ) -> Result<Value> {
        let name = label(call, 0);
        let mut unknowns = Unknowns::new(locals, modules, &[]);
        let source =
            call.body.attributes().find(|a| a.key.as_str() == "source").and_then(|a| a.expr.evaluate(ctx).ok());
        let source = source.as_ref().and_then(Value::as_str).unwrap_or_default().to_string();
        if !(source.starts_with("./") || source.starts_with("../")) {
            self.warnings.push(Warning::new(
                WarningKind::NotCompared,
                format!("{shown}: module {name:?} comes from {source:?}, which driftd does not fetch: its resources are not declared here and its outputs are unknown"),
                None,
            ));
            self.unevaluated.push(crate::tf::config_address(&format!("{prefix}module.{name}.")));
            return Ok(Value::from(UNKNOWN));
        }
        let child_dir = crate::tf::clean_path(&dir.join(&source));
        let instances =
            instances(call, ctx, &mut unknowns).map_err(|e| Error::input(format!("{shown}: module {name:?}"), e))?;
        let mut outs: Vec<(String, Value)> = Vec::new();
        for (key, iter) in instances {
            let ictx = iter_context(ctx, &iter);
            let roots = iter_roots(&iter);
            let mut unknowns = Unknowns::new(locals, modules, &roots);
            let mut inputs = Map::new();
            for a in call.body.attributes().filter(|a| {
                !["source", "version", "count", "for_each", "providers", "depends_on"].contains(&a.key.as_str())
            }) {
                let v = eval(&a.expr, &ictx, &mut unknowns)
                    .map_err(|e| Error::input(format!("{shown}: module {name:?} input {}", a.key), e))?;
                inputs.insert(a.key.to_string(), v);
            }
            let child_prefix = format!("{prefix}module.{name}{key}.");
            let out = self.module(&child_dir, &child_prefix, inputs, depth + 1)?;
            outs.push((key, Value::Object(out)));
        }
        // `module.x.out` for a single call; a list or map of them for count / for_each.
        Ok(match outs.as_slice() {
            [(k, v)] if k.is_empty() => v.clone(),
            _ if call.body.attributes().any(|a| a.key.as_str() == "count") => {
                Value::Array(outs.into_iter().map(|(_, v)| v).collect())
            }
            _ => Value::Object(outs.into_iter().map(|(k, v)| (instance_key_text(&k), v)).collect()),
        })
    }

    /// One `resource` block's instances, in `ctx`: the module's context once its locals
    /// and module calls are final.
    #[allow(clippy::too_many_arguments)]
    fn resource(
        &mut self,
        b: &Block,
        shown: &str,
        at: Option<SourceLoc>,
        ctx: &Context,
        prefix: &str,
        locals: &Map<String, Value>,
        modules: &Map<String, Value>,
    ) -> Result<()> {
        let (tf_type, name) = (label(b, 0), label(b, 1));
        let what = format!("{shown}: resource {tf_type}.{name}");
        let mut unknowns = Unknowns::new(locals, modules, &[]);
        let instances = match instances(b, ctx, &mut unknowns) {
            Ok(i) => i,
            Err(e) if e == UNKNOWN => {
                self.warnings.push(Warning::new(
                    WarningKind::NotCompared,
                    format!("{what}: count or for_each is known only after apply; its instances are not declared here"),
                    None,
                ));
                self.unevaluated.push(crate::tf::config_address(&format!("{prefix}{tf_type}.{name}")));
                return Ok(());
            }
            Err(e) => return Err(Error::input(what, e)),
        };
        for (key, iter) in instances {
            let ictx = iter_context(ctx, &iter);
            let roots = iter_roots(&iter);
            let mut unknowns = Unknowns::new(locals, modules, &roots);
            let attrs = body_value(&b.body, &ictx, &mut unknowns, true).map_err(|e| Error::input(&what, e))?;
            let mut json = serde_json::to_value(&attrs).unwrap_or(serde_json::Value::Null);
            let mut unknown_paths = Vec::new();
            take_unknowns(&mut json, &mut Vec::new(), &mut unknown_paths);
            let address = format!("{prefix}{tf_type}.{name}{key}");
            let mut d = tfstate::declared_from_value(&self.source, &address, &tf_type, &json);
            d.unknown = unknown_paths;
            d.from_code = true;
            d.declared_at.clone_from(&at);
            // Ids exist only after apply: the address names the resource in findings and
            // fleet policies until then.
            if d.id.is_empty() {
                d.id = address.clone();
            }
            self.resources.push(d);
        }
        Ok(())
    }
}

/// Does an expression (its source text) name a `local.x` or `module.x` not evaluated yet?
fn references_pending(text: &str, locals: &Map<String, Value>, modules: &Map<String, Value>) -> bool {
    let pending = |root: &str, have: &Map<String, Value>| {
        text.match_indices(&format!("{root}.")).any(|(i, m)| {
            let before_ok = i == 0 || !text[..i].ends_with(|c: char| c.is_alphanumeric() || c == '_' || c == '.');
            let name: String =
                text[i + m.len()..].chars().take_while(|c| c.is_alphanumeric() || *c == '_' || *c == '-').collect();
            before_ok && !name.is_empty() && !have.contains_key(&name)
        })
    };
    pending("local", locals) || pending("module", modules)
}

/// An instance's iterator values: nothing, `count.index`, or `each.key`/`each.value`.
enum Iter {
    Single,
    Count(i64),
    Each(String, Value),
}

fn iter_roots(iter: &Iter) -> Vec<String> {
    match iter {
        Iter::Single => vec![],
        Iter::Count(_) => vec!["count".into()],
        Iter::Each(..) => vec!["each".into()],
    }
}

/// The context of one instance: the module's, plus its iterator.
fn iter_context<'a>(parent: &Context<'a>, iter: &Iter) -> Context<'a> {
    let mut ctx = parent.clone();
    match iter {
        Iter::Single => {}
        Iter::Count(i) => {
            let mut m = Map::new();
            m.insert("index".into(), Value::from(*i));
            ctx.declare_var("count", Value::Object(m));
        }
        Iter::Each(k, v) => {
            let mut m = Map::new();
            m.insert("key".into(), Value::from(k.clone()));
            m.insert("value".into(), v.clone());
            ctx.declare_var("each", Value::Object(m));
        }
    }
    ctx
}

/// The instances of a block with `count` or `for_each`: (address key, iterator). An
/// unknown count or set is `Err(UNKNOWN)`.
fn instances(b: &Block, ctx: &Context, unknowns: &mut Unknowns) -> std::result::Result<Vec<(String, Iter)>, String> {
    if let Some(a) = b.body.attributes().find(|a| a.key.as_str() == "count") {
        let v = eval(&a.expr, ctx, unknowns)?;
        if contains_unknown(&v) {
            return Err(UNKNOWN.into());
        }
        // Strings convert, as Terraform converts `-var count=2` to the number it needs.
        let n = v
            .as_u64()
            .or_else(|| v.as_f64().map(|f| f as u64))
            .or_else(|| v.as_str().and_then(|s| s.trim().parse().ok()))
            .ok_or("count: a whole number is required")?;
        return Ok((0..n as i64).map(|i| (format!("[{i}]"), Iter::Count(i))).collect());
    }
    if let Some(a) = b.body.attributes().find(|a| a.key.as_str() == "for_each") {
        let v = eval(&a.expr, ctx, unknowns)?;
        if functions::is_unknown(&v) {
            return Err(UNKNOWN.into());
        }
        return match v {
            Value::Object(o) => {
                Ok(o.into_iter().map(|(k, v)| (format!("[{}]", quote(&k)), Iter::Each(k, v))).collect())
            }
            Value::Array(items) => items
                .into_iter()
                .map(|i| match i {
                    Value::String(s) if s != UNKNOWN => {
                        Ok((format!("[{}]", quote(&s)), Iter::Each(s.clone(), Value::from(s))))
                    }
                    Value::String(_) => Err(UNKNOWN.to_string()),
                    _ => Err("for_each: a set of strings or a map is required".to_string()),
                })
                .collect(),
            _ => Err("for_each: a set of strings or a map is required".into()),
        };
    }
    Ok(vec![(String::new(), Iter::Single)])
}

fn quote(s: &str) -> String {
    serde_json::to_string(s).unwrap_or_default()
}

/// `["a"]` -> `a`, `[0]` -> `0`.
fn instance_key_text(k: &str) -> String {
    let inner = k.trim_start_matches('[').trim_end_matches(']');
    serde_json::from_str::<String>(inner).unwrap_or_else(|_| inner.to_string())
}

/// A block body as Terraform stores it: attributes, and nested blocks as lists of objects
/// (`dynamic` ones expanded). `top`: the resource body, whose meta-arguments are skipped.
fn body_value(body: &Body, ctx: &Context, unknowns: &mut Unknowns, top: bool) -> std::result::Result<Value, String> {
    let mut out = Map::new();
    for a in body.attributes() {
        if top && META_ARGUMENTS.contains(&a.key.as_str()) {
            continue;
        }
        let v = eval(&a.expr, ctx, unknowns).map_err(|e| format!("{}: {e}", a.key))?;
        out.insert(a.key.to_string(), v);
    }
    for b in body.blocks() {
        let ident = b.identifier.as_str();
        if top && META_ARGUMENTS.contains(&ident) {
            continue;
        }
        if ident == "dynamic" {
            let name = label(b, 0);
            let iterator = b
                .body
                .attributes()
                .find(|a| a.key.as_str() == "iterator")
                .and_then(|a| match &a.expr {
                    Expression::Variable(v) => Some(v.to_string()),
                    _ => None,
                })
                .unwrap_or_else(|| name.clone());
            let each = b
                .body
                .attributes()
                .find(|a| a.key.as_str() == "for_each")
                .ok_or(format!("dynamic {name:?}: no for_each"))?;
            let coll = eval(&each.expr, ctx, unknowns).map_err(|e| format!("dynamic {name:?}: {e}"))?;
            if functions::is_unknown(&coll) {
                out.insert(name, Value::from(UNKNOWN));
                continue;
            }
            let content = b
                .body
                .blocks()
                .find(|c| c.identifier.as_str() == "content")
                .ok_or(format!("dynamic {name:?}: no content"))?;
            let pairs: Vec<(Value, Value)> = match coll {
                Value::Object(o) => o.into_iter().map(|(k, v)| (Value::from(k), v)).collect(),
                Value::Array(a) => a.into_iter().enumerate().map(|(i, v)| (Value::from(i as i64), v)).collect(),
                _ => return Err(format!("dynamic {name:?}: for_each needs a list, set or map")),
            };
            let entry = out.entry(name.clone()).or_insert_with(|| Value::Array(vec![]));
            for (k, v) in pairs {
                let mut ictx = ctx.clone();
                let mut m = Map::new();
                m.insert("key".into(), k);
                m.insert("value".into(), v);
                ictx.declare_var(iterator.as_str(), Value::Object(m));
                let mut roots: Vec<String> = unknowns.extra_roots.to_vec();
                roots.push(iterator.clone());
                let mut inner = Unknowns {
                    available_locals: unknowns.available_locals,
                    available_modules: unknowns.available_modules,
                    bound: unknowns.bound.clone(),
                    extra_roots: &roots,
                };
                let item = body_value(&content.body, &ictx, &mut inner, false)?;
                if let Value::Array(items) = entry {
                    items.push(item);
                }
            }
            continue;
        }
        let item = body_value(&b.body, ctx, unknowns, false)?;
        match out.entry(ident.to_string()).or_insert_with(|| Value::Array(vec![])) {
            Value::Array(items) => items.push(item),
            other => *other = Value::Array(vec![item]),
        }
    }
    Ok(Value::Object(out))
}

fn label(b: &Block, i: usize) -> String {
    b.labels.get(i).map(|l| l.as_str().to_string()).unwrap_or_default()
}

/// Replace unknown leaves with null and collect their dotted paths.
fn take_unknowns(v: &mut serde_json::Value, path: &mut Vec<String>, out: &mut Vec<String>) {
    match v {
        serde_json::Value::String(s) if s == UNKNOWN => {
            out.push(path.join("."));
            *v = serde_json::Value::Null;
        }
        serde_json::Value::Array(items) => {
            for (i, item) in items.iter_mut().enumerate() {
                path.push(i.to_string());
                take_unknowns(item, path, out);
                path.pop();
            }
        }
        serde_json::Value::Object(map) => {
            for (k, item) in map.iter_mut() {
                path.push(k.clone());
                take_unknowns(item, path, out);
                path.pop();
            }
        }
        _ => {}
    }
}

/// Evaluated declarations in address order, for tests and `BTreeMap` users.
pub fn by_address(input: &StateInput) -> BTreeMap<String, serde_json::Value> {
    input.resources.iter().map(|d| (d.address.clone(), d.to_resource().attributes)).collect()
}

#[cfg(test)]
mod tests;
