//! Evaluating one module instance: its locals, variables and module calls in dependency
//! order, its resource blocks expanded by `count` and `for_each` into instances with
//! their attributes, `lifecycle`, and what is unknown.

use super::*;

/// One module instance being evaluated: its variables, and its locals and module calls
/// evaluated on first use (in dependency order, as Terraform's graph does).
pub(super) struct ModuleEval<'e> {
    pub(super) ev: &'e mut Evaluator,
    pub(super) files: Rc<Vec<File>>,
    pub(super) dir: PathBuf,
    /// `path.module`, absolute.
    pub(super) abs_dir: PathBuf,
    pub(super) prefix: String,
    /// The module's key in `modules.json` (`eks.node_group`), empty for the root.
    pub(super) key: String,
    pub(super) depth: usize,
    pub(super) vars: HashMap<String, Rc<Value>>,
    /// `local.NAME`: (file, block, attribute) of its expression.
    pub(super) local_src: HashMap<String, (usize, usize, usize)>,
    pub(super) locals: HashMap<String, Rc<Value>>,
    /// `module.NAME`: (file, block).
    pub(super) call_src: HashMap<String, (usize, usize)>,
    pub(super) modules: HashMap<String, Rc<Value>>,
    /// `local.x`/`module.x` being evaluated: a name met again is a cycle.
    pub(super) evaluating: HashSet<String>,
    /// `file:line` of what is being evaluated, for warnings.
    pub(super) at: String,
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

impl ModuleEval<'_> {
    /// Variables from inputs, else defaults, converted to their `type`; a variable with no
    /// value is unknown, with a warning naming it.
    pub(super) fn variables(&mut self, inputs: &Map<String, Value>, is_root: bool) -> Result<()> {
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
    pub(super) fn call(&mut self, fi: usize, bi: usize) -> Result<Value> {
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
    pub(super) fn resource(&mut self, fi: usize, bi: usize, b: &Block) -> Result<()> {
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
    pub(super) fn instances(
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
pub(super) struct Lifecycle {
    /// Attribute paths (dotted, list indexes as numbers), or `*` for `all`.
    pub(super) ignore_changes: Vec<String>,
    pub(super) prevent_destroy: bool,
    pub(super) create_before_destroy: bool,
}

impl Lifecycle {
    pub(super) fn of(b: &Block) -> Lifecycle {
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
pub(super) fn ignore_path(e: &Expression) -> Option<String> {
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
pub(super) enum Iter {
    Single,
    Count(i64),
    Each(String, Value),
}

/// Bind an instance's iterator; how many bindings to drop after.
pub(super) fn bind_iter(ev: &mut ExprEvaluator, iter: &Iter) -> usize {
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

pub(super) fn quote(s: &str) -> String {
    serde_json::to_string(s).unwrap_or_default()
}

/// `["a"]` -> `a`, `[0]` -> `0`.
pub(super) fn instance_key_text(k: &str) -> String {
    let inner = k.trim_start_matches('[').trim_end_matches(']');
    serde_json::from_str::<String>(inner).unwrap_or_else(|_| inner.to_string())
}

/// A block body as Terraform stores it: attributes, and nested blocks as lists of objects
/// (`dynamic` ones expanded). `top`: the resource body, whose meta-arguments are skipped.
pub(super) fn body_value(
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

pub(super) fn label(b: &Block, i: usize) -> String {
    b.labels.get(i).map(|l| l.as_str().to_string()).unwrap_or_default()
}

/// Replace unknown leaves with null and collect their dotted paths.
pub(super) fn take_unknowns(v: &mut serde_json::Value, path: &mut Vec<String>, out: &mut Vec<String>) {
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
