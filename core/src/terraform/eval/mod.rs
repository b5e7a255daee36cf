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

use crate::error::{Error, Result};
use crate::model::{DeclaredKind, SourceLoc, Warning, WarningKind};
use crate::tfstate::{self, StateInput};
use expr::{Evaluator as ExprEvaluator, Fatal, Resolver};
use functions::{contains_unknown, is_unknown, unknown, UNKNOWN};
use hcl::expr::{Expression, Traversal, TraversalOperator};
use hcl::template::{Directive, Element};
use hcl::{Block, Body, Map, Value};
use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::rc::Rc;

const META_ARGUMENTS: &[&str] =
    &["count", "for_each", "provider", "depends_on", "lifecycle", "provisioner", "connection"];

/// Instances of one `count`/`for_each` and of one run: Terraform has no limit, but a
/// typo (`count = 4294967296`) must not grow memory without bound.
pub const MAX_INSTANCES_PER_BLOCK: usize = 10_000;
pub const MAX_INSTANCES_PER_RUN: usize = 200_000;

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
}

/// One `.tf` file's blocks and attributes.
struct File {
    shown: String,
    body: Body,
    /// Where each top-level block is, in `body.blocks()` order (none for JSON).
    blocks: Vec<BlockLoc>,
}

/// Where a top-level block is, and the lines of its own attributes.
#[derive(Clone, Default)]
struct BlockLoc {
    line: u32,
    column: u32,
    end_line: u32,
    attributes: Vec<(String, u32)>,
}

impl File {
    fn loc(&self, block: usize) -> Option<&BlockLoc> {
        self.blocks.get(block)
    }

    /// `file:line` of a block's attribute (or of the block).
    fn at(&self, block: usize, attr: Option<&str>) -> String {
        let loc = self.loc(block);
        let line = loc
            .and_then(|l| attr.and_then(|a| l.attributes.iter().find(|(k, _)| k == a).map(|(_, line)| *line)))
            .or(loc.map(|l| l.line));
        match line {
            Some(line) => format!("{}:{line}", self.shown),
            None => self.shown.clone(),
        }
    }

    fn source_loc(&self, block: usize) -> SourceLoc {
        let loc = self.loc(block).cloned().unwrap_or_default();
        SourceLoc {
            file: self.shown.clone(),
            line: loc.line.max(1),
            column: Some(loc.column.max(1)),
            end_line: Some(loc.end_line.max(loc.line).max(1)),
        }
    }
}

fn load(dir: &Path) -> Result<Vec<File>> {
    let paths = crate::terraform::files::tf_files(dir)?;
    if paths.is_empty() {
        return Err(crate::terraform::files::no_tf_files(dir));
    }
    let mut files = Vec::new();
    for path in paths {
        let (body, blocks) = parse_file_locs(&path)?;
        files.push(File { shown: path.display().to_string(), body, blocks });
    }
    Ok(files)
}

/// One `.tf` file's body; a syntax error names `file:line:column` with a caret.
pub(crate) fn parse_file(path: &Path) -> Result<Body> {
    parse_file_locs(path).map(|(body, _)| body)
}

/// The body and where each top-level block is, from one parse.
fn parse_file_locs(path: &Path) -> Result<(Body, Vec<BlockLoc>)> {
    let text = crate::terraform::files::read_text(path)?;
    let shown = path.display().to_string();
    if crate::terraform::files::is_json(path) {
        return Ok((json::parse(&shown, &text)?, Vec::new()));
    }
    let mut edit = crate::terraform::files::parse_body(&shown, &text)?;
    hcl_edit::visit_mut::VisitMut::visit_body_mut(&mut NestedDedent, &mut edit);
    use hcl_edit::Span;
    let line_starts: Vec<usize> = std::iter::once(0).chain(text.match_indices('\n').map(|(i, _)| i + 1)).collect();
    let line_col = |offset: usize| -> (u32, u32) {
        let line = line_starts.partition_point(|&s| s <= offset);
        let start = line_starts[line.saturating_sub(1)];
        (line as u32, text[start..offset.min(text.len())].chars().count() as u32 + 1)
    };
    let locs = edit
        .blocks()
        .map(|b| {
            let span = b.span().unwrap_or(0..0);
            let (line, column) = line_col(span.start);
            let (end_line, _) = line_col(span.end.saturating_sub(1).max(span.start));
            let attributes = b
                .body
                .attributes()
                .map(|a| (a.key.as_str().to_string(), line_col(a.span().map_or(span.start, |s| s.start)).0))
                .collect();
            BlockLoc { line, column, end_line, attributes }
        })
        .collect();
    Ok((edit.into(), locs))
}

/// `<<-EOT` heredocs: hcl-edit strips the common indentation from the literals at the
/// template's top level only; the lines inside `%{ for }` and `%{ if }` keep it. Strip
/// them by the same amount, as Terraform does.
struct NestedDedent;

impl hcl_edit::visit_mut::VisitMut for NestedDedent {
    fn visit_heredoc_template_mut(&mut self, node: &mut hcl_edit::template::HeredocTemplate) {
        if let Some(n) = node.indent() {
            for el in node.template.iter_mut() {
                dedent_directive(el, n);
            }
        }
    }
}

fn dedent_directive(el: &mut hcl_edit::template::Element, n: usize) {
    use hcl_edit::template::{Directive, Element};
    let Element::Directive(d) = el else { return };
    let templates: Vec<&mut hcl_edit::template::Template> = match d.as_mut() {
        Directive::If(i) => {
            let mut t = vec![&mut i.if_expr.template];
            if let Some(e) = i.else_expr.as_mut() {
                t.push(&mut e.template);
            }
            t
        }
        Directive::For(f) => vec![&mut f.for_expr.template],
    };
    for t in templates {
        // The first literal continues the directive's own line.
        let mut skip_first = true;
        for el in t.iter_mut() {
            match el {
                Element::Literal(lit) => {
                    let text: String = lit.to_string();
                    let mut out = String::with_capacity(text.len());
                    for (i, line) in text.split_inclusive('\n').enumerate() {
                        if i == 0 && skip_first {
                            out.push_str(line);
                        } else {
                            let strip = line.chars().take(n).take_while(|c| *c == ' ' || *c == '\t').count();
                            out.push_str(&line[strip..]);
                        }
                    }
                    skip_first = !text.ends_with('\n');
                    *lit = hcl_edit::Spanned::new(out);
                }
                Element::Directive(_) => {
                    dedent_directive(el, n);
                    skip_first = true;
                }
                Element::Interpolation(_) => skip_first = true,
            }
        }
    }
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

/// `.terraform/modules/modules.json`, as `terraform init` writes it: where each module
/// call's source was fetched, by its key (`vpc`, `eks.node_group`).
#[derive(Default)]
struct ModuleManifest {
    dirs: HashMap<String, PathBuf>,
}

impl ModuleManifest {
    fn read(root: &Path) -> ModuleManifest {
        #[derive(serde::Deserialize)]
        struct Manifest {
            #[serde(rename = "Modules", default)]
            modules: Vec<Entry>,
        }
        #[derive(serde::Deserialize)]
        struct Entry {
            #[serde(rename = "Key")]
            key: String,
            #[serde(rename = "Dir")]
            dir: String,
        }
        let path = root.join(".terraform/modules/modules.json");
        let Ok(text) = std::fs::read_to_string(&path) else { return ModuleManifest::default() };
        let Ok(m) = serde_json::from_str::<Manifest>(&text) else { return ModuleManifest::default() };
        ModuleManifest {
            dirs: m.modules.into_iter().filter(|e| !e.key.is_empty()).map(|e| (e.key, root.join(e.dir))).collect(),
        }
    }
}

/// A constant expression's value: tfvars files, variable defaults, `import` ids and
/// `optional()` defaults may use functions but no references.
pub(crate) fn constant(e: &Expression, dir: &Path) -> std::result::Result<Value, Fatal> {
    let mut r = expr::Detached { module: dir, root: dir, causes: vec![] };
    ExprEvaluator::new(&mut r).eval(e)
}

/// `import { to = ADDRESS, id = "..." }`: the id each address is imported from (ids that
/// are constant; others are left to matching by name).
fn imports(files: &[File], root: &Path) -> HashMap<String, String> {
    let mut out = HashMap::new();
    for b in files.iter().flat_map(|f| f.body.blocks()).filter(|b| b.identifier.as_str() == "import") {
        let attr = |k: &str| b.body.attributes().find(|a| a.key.as_str() == k).map(|a| &a.expr);
        let (Some(to), Some(id)) = (attr("to"), attr("id")) else { continue };
        if let Ok(Value::String(id)) = constant(id, root) {
            if id != UNKNOWN {
                out.insert(to.to_string().replace(' ', ""), id);
            }
        }
    }
    out
}

/// Values of the root module's variables from outside: its tfvars files in Terraform's
/// order ([`crate::terraform::files::tfvars_files`]), then `TF_VAR_name` (strings; HCL for lists and maps).
fn root_variables(dir: &Path, root: &Path) -> Result<Map<String, Value>> {
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
fn tfvars(path: &Path, root: &Path) -> Result<Map<String, Value>> {
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
fn var_value(v: &str) -> Value {
    let parsed =
        hcl::from_str::<Value>(&format!("v = {v}")).ok().and_then(|b| b.as_object().and_then(|o| o.get("v").cloned()));
    match parsed {
        Some(complex @ (Value::Array(_) | Value::Object(_))) => complex,
        _ => Value::from(v),
    }
}

/// One module instance being evaluated: its variables, and its locals and module calls
/// evaluated on first use (in dependency order, as Terraform's graph does).
struct ModuleEval<'e> {
    ev: &'e mut Evaluator,
    files: Rc<Vec<File>>,
    dir: PathBuf,
    /// `path.module`, absolute.
    abs_dir: PathBuf,
    prefix: String,
    /// The module's key in `modules.json` (`eks.node_group`), empty for the root.
    key: String,
    depth: usize,
    vars: HashMap<String, Rc<Value>>,
    /// `local.NAME`: (file, block, attribute) of its expression.
    local_src: HashMap<String, (usize, usize, usize)>,
    locals: HashMap<String, Rc<Value>>,
    /// `module.NAME`: (file, block).
    call_src: HashMap<String, (usize, usize)>,
    modules: HashMap<String, Rc<Value>>,
    /// `local.x`/`module.x` being evaluated: a name met again is a cycle.
    evaluating: HashSet<String>,
    /// `file:line` of what is being evaluated, for warnings.
    at: String,
}

impl Resolver for ModuleEval<'_> {
    fn var(&mut self, name: &str) -> Option<Rc<Value>> {
        self.vars.get(name).cloned()
    }

    fn local(&mut self, name: &str) -> std::result::Result<Option<Rc<Value>>, Fatal> {
        if let Some(v) = self.locals.get(name) {
            return Ok(Some(v.clone()));
        }
        let Some(&(fi, bi, ai)) = self.local_src.get(name) else { return Ok(None) };
        let files = self.files.clone();
        let expr = files[fi].body.blocks().nth(bi).and_then(|b| b.body.attributes().nth(ai)).map(|a| &a.expr);
        let Some(expr) = expr else { return Ok(None) };
        let key = format!("local.{name}");
        if !self.evaluating.insert(key.clone()) {
            self.unknown_because(format!("local.{name} refers to itself"));
            return Ok(Some(Rc::new(unknown())));
        }
        let at = std::mem::replace(&mut self.at, self.files[fi].at(bi, Some(name)));
        let v = ExprEvaluator::new(self).eval(expr);
        self.at = at;
        self.evaluating.remove(&key);
        let v = Rc::new(v.map_err(|f| Fatal(format!("{}: local.{name}: {f}", self.files[fi].at(bi, Some(name)))))?);
        self.locals.insert(name.to_string(), v.clone());
        Ok(Some(v))
    }

    fn module(&mut self, name: &str) -> std::result::Result<Option<Rc<Value>>, Fatal> {
        if let Some(v) = self.modules.get(name) {
            return Ok(Some(v.clone()));
        }
        let Some(&(fi, bi)) = self.call_src.get(name) else { return Ok(None) };
        let key = format!("module.{name}");
        if !self.evaluating.insert(key.clone()) {
            self.unknown_because(format!("module.{name} refers to itself"));
            return Ok(Some(Rc::new(unknown())));
        }
        let at = std::mem::replace(&mut self.at, self.files[fi].at(bi, None));
        let v = self.call(fi, bi);
        self.at = at;
        self.evaluating.remove(&key);
        let v = Rc::new(v.map_err(|e| Fatal(e.to_string()))?);
        self.modules.insert(name.to_string(), v.clone());
        Ok(Some(v))
    }

    fn dirs(&self) -> (&Path, &Path) {
        (&self.abs_dir, &self.ev.root)
    }

    fn set_at(&mut self, at: String) {
        self.at = at;
    }

    fn unknown_because(&mut self, cause: String) {
        let key = format!("{}\u{0}{cause}", self.at);
        if self.ev.seen_causes.insert(key) {
            self.ev.warnings.push(Warning::new(
                WarningKind::NotCompared,
                format!("{}: {cause}: the value is unknown here and not compared", self.at),
                Some(self.at.clone()),
            ));
        }
    }
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
                let files = Rc::new(load(dir)?);
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

impl ModuleEval<'_> {
    /// Variables from inputs, else defaults, converted to their `type`; a variable with no
    /// value is unknown, with a warning naming it.
    fn variables(&mut self, inputs: &Map<String, Value>, is_root: bool) -> Result<()> {
        let files = self.files.clone();
        for f in files.iter() {
            for (bi, b) in f.body.blocks().enumerate().filter(|(_, b)| b.identifier.as_str() == "variable") {
                let name = label(b, 0);
                let attr = |k: &str| b.body.attributes().find(|a| a.key.as_str() == k).map(|a| &a.expr);
                let at = f.at(bi, None);
                let ty = match attr("type") {
                    Some(t) => Some(
                        types::Type::parse(t)
                            .map_err(|e| Error::input(&at, format!("variable {name:?}: type: {e}")))?,
                    ),
                    None => None,
                };
                let default = match attr("default") {
                    Some(d) => Some(
                        constant(d, &self.abs_dir)
                            .map_err(|e| Error::input(&at, format!("variable {name:?}: default: {e}")))?,
                    ),
                    None => None,
                };
                let nullable = !matches!(attr("nullable"), Some(Expression::Bool(false)));
                let given = inputs.get(&name).cloned();
                let value = match (given, default) {
                    // `nullable = false`: a null input takes the default.
                    (Some(Value::Null), Some(d)) if !nullable => d,
                    (Some(v), _) => v,
                    (None, Some(d)) => d,
                    (None, None) => {
                        self.at = at.clone();
                        self.unknown_because(match is_root {
                            true => format!(
                                "variable {name:?} has no value (set it with --var, --var-file, terraform.tfvars, a *.auto.tfvars file or TF_VAR_{name})"
                            ),
                            false => format!(
                                "variable {name:?} has no value: the call of {} does not set it",
                                self.prefix.trim_end_matches('.')
                            ),
                        });
                        unknown()
                    }
                };
                let value = match ty {
                    Some(t) => t
                        .convert(value, &format!("var.{name}"))
                        .map_err(|e| Error::input(&at, format!("variable {name:?}: {e}")))?,
                    None => value,
                };
                self.vars.insert(name, Rc::new(value));
            }
        }
        Ok(())
    }

    /// One `module` block: the source on disk (a local path, or what `terraform init`
    /// fetched) is evaluated for each instance of `count` or `for_each`; otherwise its
    /// resources are not declared here and its outputs are unknown.
    fn call(&mut self, fi: usize, bi: usize) -> Result<Value> {
        let files = self.files.clone();
        let f = &files[fi];
        let call = f.body.blocks().nth(bi).expect("module block index");
        let name = label(call, 0);
        let source = call
            .body
            .attributes()
            .find(|a| a.key.as_str() == "source")
            .and_then(|a| constant(&a.expr, &self.abs_dir).ok())
            .and_then(|v| v.as_str().map(str::to_string))
            .unwrap_or_default();
        let key = if self.key.is_empty() { name.clone() } else { format!("{}.{name}", self.key) };
        let local = source.starts_with("./") || source.starts_with("../");
        let child_dir = match (local, self.ev.manifest.dirs.get(&key)) {
            (true, _) => Some(crate::terraform::files::clean_path(&self.dir.join(&source))),
            (false, Some(dir)) if dir.is_dir() => Some(dir.clone()),
            _ => None,
        };
        let Some(child_dir) = child_dir.filter(|d| !crate::terraform::files::has_no_tf_files(d)) else {
            self.ev.warnings.push(Warning::new(
                WarningKind::NotCompared,
                format!(
                    "{}: module {name:?} comes from {source:?}, which is not on disk{}: its resources are not declared here and its outputs are unknown",
                    f.at(bi, Some("source")),
                    if local { "" } else { " (run `terraform init` to fetch it)" }
                ),
                Some(f.at(bi, Some("source"))),
            ));
            self.ev.modules_not_evaluated += 1;
            self.ev
                .unevaluated
                .push(crate::terraform::files::config_address(&format!("{}module.{name}.", self.prefix)));
            return Ok(unknown());
        };
        let abs_child = crate::terraform::files::canonical(&child_dir);
        let what = format!("{}: module {name:?}", f.at(bi, None));
        let instances = match self.instances(call, fi, bi) {
            Ok(Some(i)) => i,
            Ok(None) => {
                self.ev
                    .unevaluated
                    .push(crate::terraform::files::config_address(&format!("{}module.{name}.", self.prefix)));
                return Ok(unknown());
            }
            Err(e) => return Err(Error::input(what, e)),
        };
        if instances.is_empty() {
            self.ev
                .empty_blocks
                .push(crate::terraform::files::config_address(&format!("{}module.{name}.", self.prefix)));
        }
        let mut outs: Vec<(String, Value)> = Vec::new();
        for (ikey, iter) in instances {
            let mut inputs = Map::new();
            let mut ev = ExprEvaluator::new(self);
            let n = bind_iter(&mut ev, &iter);
            for a in call.body.attributes().filter(|a| {
                !["source", "version", "count", "for_each", "providers", "depends_on"].contains(&a.key.as_str())
            }) {
                ev.resolver().set_at(f.at(bi, Some(a.key.as_str())));
                let v = ev.eval(&a.expr).map_err(|e| Error::input(format!("{what} input {}", a.key), e.0))?;
                inputs.insert(a.key.to_string(), v);
            }
            ev.unbind(n);
            let child_prefix = format!("{}module.{name}{ikey}.", self.prefix);
            let out = self.ev.module(&child_dir, &abs_child, &child_prefix, &key, Some(inputs), self.depth + 1)?;
            outs.push((ikey, Value::Object(out)));
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

    /// One `resource` block's instances.
    fn resource(&mut self, fi: usize, bi: usize, b: &Block) -> Result<()> {
        let files = self.files.clone();
        let f = &files[fi];
        let (tf_type, name) = (label(b, 0), label(b, 1));
        let what = format!("{}: resource {tf_type}.{name}", f.at(bi, None));
        let instances = match self.instances(b, fi, bi) {
            Ok(Some(i)) => i,
            Ok(None) => {
                self.ev.warnings.push(Warning::new(
                    WarningKind::NotCompared,
                    format!("{what}: count or for_each is known only after apply; its instances are not declared here"),
                    Some(f.at(bi, None)),
                ));
                self.ev
                    .unevaluated
                    .push(crate::terraform::files::config_address(&format!("{}{tf_type}.{name}", self.prefix)));
                return Ok(());
            }
            Err(e) => return Err(Error::input(what, e)),
        };
        if instances.is_empty() {
            self.ev
                .empty_blocks
                .push(crate::terraform::files::config_address(&format!("{}{tf_type}.{name}", self.prefix)));
        }
        if self.ev.instances + instances.len() > MAX_INSTANCES_PER_RUN {
            return Err(Error::input(
                what,
                format!("more than {MAX_INSTANCES_PER_RUN} resource instances in one run: driftd stops here"),
            ));
        }
        self.ev.instances += instances.len();
        let lifecycle = Lifecycle::of(b);
        let at = f.source_loc(bi);
        for (key, iter) in instances {
            let mut ev = ExprEvaluator::new(self);
            let n = bind_iter(&mut ev, &iter);
            let attrs = body_value(&mut ev, &b.body, f, bi, true).map_err(|e| Error::input(&what, e.0));
            ev.unbind(n);
            let attrs = attrs?;
            let mut json = serde_json::to_value(&attrs).unwrap_or(serde_json::Value::Null);
            let mut unknown_paths = Vec::new();
            take_unknowns(&mut json, &mut Vec::new(), &mut unknown_paths);
            let address = format!("{}{tf_type}.{name}{key}", self.prefix);
            let mut d = tfstate::declared_from_value(&self.ev.source, &address, &tf_type, &json);
            d.unknown = unknown_paths;
            d.from_code = true;
            d.declared_at = Some(at.clone());
            d.ignore_changes.clone_from(&lifecycle.ignore_changes);
            d.prevent_destroy = lifecycle.prevent_destroy;
            d.create_before_destroy = lifecycle.create_before_destroy;
            // Ids exist only after apply: the address names the resource in findings and
            // fleet policies until then.
            if d.id.is_empty() {
                d.id = address.clone();
            }
            self.ev.resources.push(d);
        }
        Ok(())
    }

    /// The instances of a block with `count` or `for_each`: (address key, iterator).
    /// `None`: unknown before apply.
    fn instances(
        &mut self,
        b: &Block,
        fi: usize,
        bi: usize,
    ) -> std::result::Result<Option<Vec<(String, Iter)>>, String> {
        let files = self.files.clone();
        let f = &files[fi];
        if let Some(a) = b.body.attributes().find(|a| a.key.as_str() == "count") {
            self.at = f.at(bi, Some("count"));
            let v = ExprEvaluator::new(self).eval(&a.expr).map_err(|e| e.0)?;
            if contains_unknown(&v) {
                return Ok(None);
            }
            if v == Value::Null {
                return Err("count: null is not a number".into());
            }
            // Strings convert, as Terraform converts `-var count=2` to the number it needs.
            let n = functions::number(&v, "count")?;
            if n < 0.0 || n.fract() != 0.0 {
                return Err(format!("count: {n} is not a whole number of instances"));
            }
            if n > MAX_INSTANCES_PER_BLOCK as f64 {
                return Err(format!(
                    "count = {n}: more than {MAX_INSTANCES_PER_BLOCK} instances of one block is more than driftd evaluates"
                ));
            }
            return Ok(Some((0..n as i64).map(|i| (format!("[{i}]"), Iter::Count(i))).collect()));
        }
        if let Some(a) = b.body.attributes().find(|a| a.key.as_str() == "for_each") {
            self.at = f.at(bi, Some("for_each"));
            let v = ExprEvaluator::new(self).eval(&a.expr).map_err(|e| e.0)?;
            if is_unknown(&v) {
                return Ok(None);
            }
            let out: Vec<(String, Iter)> = match v {
                Value::Object(o) => functions::sorted(&o)
                    .into_iter()
                    .map(|(k, v)| (format!("[{}]", quote(k)), Iter::Each(k.clone(), v.clone())))
                    .collect(),
                Value::Array(items) => {
                    let mut out = Vec::new();
                    for i in functions::set_of(items) {
                        match i {
                            Value::String(s) if s == UNKNOWN => return Ok(None),
                            Value::String(s) => {
                                out.push((format!("[{}]", quote(&s)), Iter::Each(s.clone(), Value::from(s))))
                            }
                            Value::Number(n) => {
                                let s = functions::number_text(&n);
                                out.push((format!("[{}]", quote(&s)), Iter::Each(s.clone(), Value::from(s))))
                            }
                            _ => return Err("for_each: a set of strings or a map is required".into()),
                        }
                    }
                    out
                }
                Value::Null => return Err("for_each: null is not a set or map".into()),
                _ => return Err("for_each: a set of strings or a map is required".into()),
            };
            if out.len() > MAX_INSTANCES_PER_BLOCK {
                return Err(format!(
                    "for_each: {} instances of one block is more than driftd evaluates ({MAX_INSTANCES_PER_BLOCK})",
                    out.len()
                ));
            }
            return Ok(Some(out));
        }
        Ok(Some(vec![(String::new(), Iter::Single)]))
    }
}

/// `lifecycle { ignore_changes = [...], prevent_destroy, create_before_destroy }`.
#[derive(Default)]
struct Lifecycle {
    /// Attribute paths (dotted, list indexes as numbers), or `*` for `all`.
    ignore_changes: Vec<String>,
    prevent_destroy: bool,
    create_before_destroy: bool,
}

impl Lifecycle {
    fn of(b: &Block) -> Lifecycle {
        let mut out = Lifecycle::default();
        for l in b.body.blocks().filter(|l| l.identifier.as_str() == "lifecycle") {
            for a in l.body.attributes() {
                match a.key.as_str() {
                    "ignore_changes" => match &a.expr {
                        Expression::Variable(v) if v.as_str() == "all" => out.ignore_changes = vec!["*".into()],
                        Expression::String(s) if s == "all" => out.ignore_changes = vec!["*".into()],
                        Expression::Array(items) => {
                            out.ignore_changes.extend(items.iter().filter_map(ignore_path));
                        }
                        _ => {}
                    },
                    "prevent_destroy" => out.prevent_destroy = matches!(a.expr, Expression::Bool(true)),
                    "create_before_destroy" => out.create_before_destroy = matches!(a.expr, Expression::Bool(true)),
                    _ => {}
                }
            }
        }
        out
    }
}

/// `tags["team"]`, `scaling_config[0].desired_size` -> `tags.team`, `scaling_config.0.desired_size`.
fn ignore_path(e: &Expression) -> Option<String> {
    match e {
        Expression::Variable(v) => Some(v.to_string()),
        // Terraform 0.11 wrote them as strings.
        Expression::String(s) => Some(s.replace('[', ".").replace([']', '"'], "")),
        Expression::Traversal(t) => {
            let Traversal { expr, operators } = t.as_ref();
            let Expression::Variable(root) = expr else { return None };
            let mut segs = vec![root.to_string()];
            for op in operators {
                segs.push(match op {
                    TraversalOperator::GetAttr(a) => a.to_string(),
                    TraversalOperator::Index(Expression::Number(n)) => n.to_string(),
                    TraversalOperator::Index(Expression::String(s)) => s.clone(),
                    TraversalOperator::LegacyIndex(n) => n.to_string(),
                    _ => return Some(segs.join(".")),
                });
            }
            Some(segs.join("."))
        }
        _ => None,
    }
}

/// An instance's iterator values: nothing, `count.index`, or `each.key`/`each.value`.
enum Iter {
    Single,
    Count(i64),
    Each(String, Value),
}

/// Bind an instance's iterator; how many bindings to drop after.
fn bind_iter(ev: &mut ExprEvaluator, iter: &Iter) -> usize {
    match iter {
        Iter::Single => 0,
        Iter::Count(i) => {
            let mut m = Map::new();
            m.insert("index".into(), Value::from(*i));
            ev.bind("count", Value::Object(m));
            1
        }
        Iter::Each(k, v) => {
            let mut m = Map::new();
            m.insert("key".into(), Value::from(k.clone()));
            m.insert("value".into(), v.clone());
            ev.bind("each", Value::Object(m));
            1
        }
    }
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
fn body_value(
    ev: &mut ExprEvaluator,
    body: &Body,
    f: &File,
    bi: usize,
    top: bool,
) -> std::result::Result<Value, Fatal> {
    let mut out = Map::new();
    for a in body.attributes() {
        if top && META_ARGUMENTS.contains(&a.key.as_str()) {
            continue;
        }
        if top {
            ev.resolver().set_at(f.at(bi, Some(a.key.as_str())));
        }
        let v = ev.eval(&a.expr).map_err(|e| Fatal(format!("{}: {e}", a.key)))?;
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
                .ok_or(Fatal(format!("dynamic {name:?}: no for_each")))?;
            let coll = ev.eval(&each.expr).map_err(|e| Fatal(format!("dynamic {name:?}: {e}")))?;
            let pairs: Vec<(Value, Value)> = match coll {
                v if is_unknown(&v) => {
                    out.insert(name, unknown());
                    continue;
                }
                Value::Object(o) => {
                    functions::sorted(&o).into_iter().map(|(k, v)| (Value::from(k.clone()), v.clone())).collect()
                }
                Value::Array(a) => a.into_iter().enumerate().map(|(i, v)| (Value::from(i as i64), v)).collect(),
                Value::Null => vec![],
                _ => return Err(Fatal(format!("dynamic {name:?}: for_each needs a list, set or map"))),
            };
            let content = b
                .body
                .blocks()
                .find(|c| c.identifier.as_str() == "content")
                .ok_or(Fatal(format!("dynamic {name:?}: no content")))?;
            let mut items = match out.swap_remove(&name) {
                Some(Value::Array(items)) => items,
                _ => vec![],
            };
            for (k, v) in pairs {
                let mut m = Map::new();
                m.insert("key".into(), k);
                m.insert("value".into(), v);
                ev.bind(&iterator, Value::Object(m));
                let item = body_value(ev, &content.body, f, bi, false);
                ev.unbind(1);
                items.push(item?);
            }
            out.insert(name, Value::Array(items));
            continue;
        }
        let item = body_value(ev, &b.body, f, bi, false)?;
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
