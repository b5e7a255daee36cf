//! Terraform's expression language over hcl-rs's syntax tree, with unknown values.
//!
//! What only plan or apply could know is [`UNKNOWN`], never an error: another resource's
//! attribute, a data source, an impure function. What Terraform would evaluate but this
//! code cannot (a variable with no value, an undeclared reference, a missing key, a
//! function that fails on the values it got) becomes unknown too, and the [`Resolver`] is
//! told why, once per cause. Inside `try` and `can` those failures are failures, as in
//! Terraform. Errors that Terraform's `validate` would also raise (an unknown function, a
//! wrong number of arguments, arithmetic on values of the wrong type) are [`Fatal`].

use super::functions::{self, contains_unknown, is_unknown, sorted, unknown, OnUnknown, UNKNOWN};
use hcl::expr::{BinaryOperator, Expression, ObjectKey, Operation, TraversalOperator, UnaryOperator};
use hcl::template::{Directive, Element, Strip, Template};
use hcl::{Map, Value};
use std::path::Path;
use std::rc::Rc;

/// An error Terraform would also raise before plan: the run stops with exit 2.
#[derive(Debug, Clone, PartialEq)]
pub struct Fatal(pub String);

impl std::fmt::Display for Fatal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// What an expression may name outside itself.
pub trait Resolver {
    /// `var.NAME`: `None` when the module declares no such variable.
    fn var(&mut self, name: &str) -> Option<Rc<Value>>;
    /// `local.NAME`, evaluated on first use: `None` when not declared.
    fn local(&mut self, name: &str) -> Result<Option<Rc<Value>>, Fatal>;
    /// `module.NAME`'s outputs, the call evaluated on first use: `None` when not declared.
    fn module(&mut self, name: &str) -> Result<Option<Rc<Value>>, Fatal>;
    /// `path.module` and the root module's directory (Terraform's working directory).
    fn dirs(&self) -> (&Path, &Path);
    /// A value became unknown for `cause`, which Terraform would have known.
    fn unknown_because(&mut self, cause: String);
    /// What follows is evaluated for `file:line` (where its warnings point).
    fn set_at(&mut self, _at: String) {}
}

/// An evaluation failure: fatal, or a dynamic failure that `try` catches and that is
/// otherwise an unknown value with its cause reported.
enum Failure {
    Fatal(Fatal),
    Dynamic(String),
}

type Eval = Result<Value, Failure>;

impl From<Fatal> for Failure {
    fn from(f: Fatal) -> Self {
        Failure::Fatal(f)
    }
}

/// Most nested expressions evaluated at once; deeper ones are unknown (no stack overflow
/// on generated code).
const MAX_DEPTH: usize = 256;

pub struct Evaluator<'r> {
    resolver: &'r mut dyn Resolver,
    /// Names bound by the block or expression being evaluated (`each`, `count`, a `for`'s
    /// variables, a dynamic block's iterator), innermost last.
    bindings: Vec<(String, Rc<Value>)>,
    /// Inside `try`/`can`: dynamic failures propagate instead of becoming unknown.
    in_try: usize,
    depth: usize,
}

impl<'r> Evaluator<'r> {
    pub fn new(resolver: &'r mut dyn Resolver) -> Evaluator<'r> {
        Evaluator { resolver, bindings: Vec::new(), in_try: 0, depth: 0 }
    }

    pub fn bind(&mut self, name: &str, value: Value) {
        self.bindings.push((name.to_string(), Rc::new(value)));
    }

    pub fn unbind(&mut self, n: usize) {
        self.bindings.truncate(self.bindings.len().saturating_sub(n));
    }

    pub fn resolver(&mut self) -> &mut dyn Resolver {
        self.resolver
    }

    /// The value of `e`; what cannot be known is [`UNKNOWN`] inside it.
    pub fn eval(&mut self, e: &Expression) -> Result<Value, Fatal> {
        match self.expr(e) {
            Ok(v) => Ok(v),
            Err(Failure::Fatal(f)) => Err(f),
            Err(Failure::Dynamic(cause)) => {
                self.resolver.unknown_because(cause);
                Ok(unknown())
            }
        }
    }

    /// A dynamic failure: an error inside `try`, else unknown with its cause reported.
    fn dynamic(&mut self, cause: String) -> Eval {
        if self.in_try > 0 {
            return Err(Failure::Dynamic(cause));
        }
        self.resolver.unknown_because(cause);
        Ok(unknown())
    }

    fn expr(&mut self, e: &Expression) -> Eval {
        if self.depth >= MAX_DEPTH {
            return self.dynamic(format!("expressions nest deeper than {MAX_DEPTH}"));
        }
        self.depth += 1;
        let v = self.expr_inner(e);
        self.depth -= 1;
        v
    }

    fn expr_inner(&mut self, e: &Expression) -> Eval {
        Ok(match e {
            Expression::Null => Value::Null,
            Expression::Bool(b) => Value::Bool(*b),
            Expression::Number(n) => Value::Number(*n),
            Expression::String(s) => Value::String(s.clone()),
            Expression::Array(items) => {
                let mut out = Vec::with_capacity(items.len());
                for i in items {
                    out.push(self.expr(i)?);
                }
                Value::Array(out)
            }
            Expression::Object(o) => {
                let mut out = Map::new();
                for (k, v) in o {
                    let key = match k {
                        ObjectKey::Identifier(id) => id.to_string(),
                        ObjectKey::Expression(Expression::Variable(v)) => v.to_string(),
                        ObjectKey::Expression(k) => {
                            let kv = self.expr(k)?;
                            if is_unknown(&kv) {
                                return Ok(unknown());
                            }
                            match functions::string(&kv, "object key") {
                                Ok(s) => s,
                                Err(e) => return self.dynamic(e),
                            }
                        }
                        _ => return Err(Fatal("an object key driftd does not evaluate".into()).into()),
                    };
                    let value = self.expr(v)?;
                    // The earlier of a key written twice, renamed by the parser's retry
                    // (`crate::terraform::files::parse_body`): the later value wins, as in Terraform.
                    if crate::terraform::files::is_renamed_duplicate(&key) {
                        continue;
                    }
                    out.insert(key, value);
                }
                Value::Object(out)
            }
            Expression::TemplateExpr(t) => {
                let template = Template::from_expr(t).map_err(|e| Fatal(format!("template: {e}")))?;
                return self.template(&template);
            }
            Expression::Variable(v) => return self.root(v.as_str()),
            Expression::Traversal(t) => return self.traversal(&t.expr, &t.operators),
            Expression::FuncCall(f) => return self.call(f),
            Expression::Parenthesis(p) => return self.expr(p),
            Expression::Conditional(c) => {
                let cond = self.expr(&c.cond_expr)?;
                if contains_unknown(&cond) {
                    return Ok(unknown());
                }
                return match functions::boolean(&cond, "condition") {
                    Ok(true) => self.expr(&c.true_expr),
                    Ok(false) => self.expr(&c.false_expr),
                    Err(_) if cond == Value::Null => self.dynamic("the condition is null".into()),
                    Err(e) => Err(Fatal(e).into()),
                };
            }
            Expression::Operation(op) => return self.operation(op),
            Expression::ForExpr(f) => return self.for_expr(f),
            // hcl-rs marks its expression kinds non-exhaustive.
            _ => return Err(Fatal(format!("an expression driftd does not evaluate: {e}")).into()),
        })
    }

    /// A template: one interpolation alone is its value unconverted, as in HCL.
    fn template(&mut self, t: &Template) -> Eval {
        if let [Element::Interpolation(i)] = t.elements() {
            return self.expr(&i.expr);
        }
        let mut out = String::new();
        match self.elements(t, Strip::None, Strip::None, &mut out)? {
            true => Ok(Value::from(out)),
            false => Ok(unknown()),
        }
    }

    /// Appends a template's text; `false` when something in it is unknown.
    fn elements(&mut self, t: &Template, prev: Strip, next: Strip, out: &mut String) -> Result<bool, Failure> {
        let elems = t.elements();
        let n = elems.len();
        for (i, el) in elems.iter().enumerate() {
            let before = if i == 0 { prev } else { element_strip(&elems[i - 1]) };
            let after = if i + 1 == n { next } else { element_strip(&elems[i + 1]) };
            match el {
                Element::Literal(l) => out.push_str(strip_literal(l, before, after)),
                Element::Interpolation(interp) => {
                    let v = self.expr(&interp.expr)?;
                    if contains_unknown(&v) {
                        return Ok(false);
                    }
                    match v {
                        Value::Null => {
                            self.dynamic("a template interpolates a null value".into())?;
                            return Ok(false);
                        }
                        Value::Array(_) | Value::Object(_) => {
                            self.dynamic("a template interpolates a list or object, not a string".into())?;
                            return Ok(false);
                        }
                        v => out.push_str(&functions::string(&v, "template").unwrap_or_default()),
                    }
                }
                Element::Directive(d) => match d.as_ref() {
                    Directive::If(d) => {
                        let cond = self.expr(&d.cond_expr)?;
                        if contains_unknown(&cond) {
                            return Ok(false);
                        }
                        let yes = functions::boolean(&cond, "template if").map_err(Fatal)?;
                        if yes {
                            let next = if d.false_template.is_some() { d.else_strip } else { d.endif_strip };
                            if !self.elements(&d.true_template, d.if_strip, next, out)? {
                                return Ok(false);
                            }
                        } else if let Some(f) = &d.false_template {
                            if !self.elements(f, d.else_strip, d.endif_strip, out)? {
                                return Ok(false);
                            }
                        }
                    }
                    Directive::For(d) => {
                        let coll = self.expr(&d.collection_expr)?;
                        let Some(pairs) = self.pairs(&coll)? else { return Ok(false) };
                        for (k, v) in pairs {
                            let mut n = 1;
                            if let Some(kv) = &d.key_var {
                                self.bind(kv.as_str(), k);
                                n += 1;
                            }
                            self.bind(d.value_var.as_str(), v);
                            let ok = self.elements(&d.template, d.for_strip, d.endfor_strip, out);
                            self.unbind(n);
                            if !ok? {
                                return Ok(false);
                            }
                        }
                    }
                },
            }
        }
        Ok(true)
    }

    /// A collection's (key, value) pairs for `for`: lists by index, maps by sorted key.
    /// `None`: unknown.
    fn pairs(&mut self, coll: &Value) -> Result<Option<Vec<(Value, Value)>>, Failure> {
        Ok(Some(match coll {
            v if is_unknown(v) => return Ok(None),
            Value::Array(items) => items.iter().enumerate().map(|(i, v)| (Value::from(i as i64), v.clone())).collect(),
            Value::Object(o) => sorted(o).into_iter().map(|(k, v)| (Value::from(k.clone()), v.clone())).collect(),
            Value::Null => {
                self.dynamic("a for expression iterates over null".into())?;
                return Ok(None);
            }
            other => {
                return Err(
                    Fatal(format!("a for expression needs a collection, got {}", functions::type_name(other))).into()
                )
            }
        }))
    }

    fn root(&mut self, name: &str) -> Eval {
        if let Some((_, v)) = self.bindings.iter().rev().find(|(n, _)| n == name) {
            return Ok(Value::clone(v));
        }
        match name {
            "path" => {
                let (module, root) = self.resolver.dirs();
                let mut p = Map::new();
                p.insert("module".into(), Value::from(module.display().to_string()));
                p.insert("root".into(), Value::from(root.display().to_string()));
                p.insert("cwd".into(), Value::from(root.display().to_string()));
                Ok(Value::Object(p))
            }
            "terraform" => {
                let mut t = Map::new();
                t.insert("workspace".into(), Value::from("default"));
                Ok(Value::Object(t))
            }
            // `count` or `each` outside a block that has them, `var`/`local`/`module` used
            // whole, a resource or data source: not known before apply.
            _ => Ok(unknown()),
        }
    }

    fn traversal(&mut self, base: &Expression, ops: &[TraversalOperator]) -> Eval {
        if let Expression::Variable(root) = base {
            // A bound name (`each.value.size`): walked by reference, not copied whole.
            if let Some((_, v)) = self.bindings.iter().rev().find(|(n, _)| n == root.as_str()) {
                let v = v.clone();
                return self.apply_shared(v, ops);
            }
            // `var.x`, `local.x`, `module.x`: resolved by name (lazily for locals and modules).
            if let Some(TraversalOperator::GetAttr(name)) = ops.first() {
                let resolved = match root.as_str() {
                    "var" => Some(match self.resolver.var(name) {
                        Some(v) => v,
                        None => return self.dynamic(format!("var.{name} is not declared")),
                    }),
                    "local" => Some(match self.resolver.local(name)? {
                        Some(v) => v,
                        None => return self.dynamic(format!("local.{name} is not declared")),
                    }),
                    "module" => Some(match self.resolver.module(name)? {
                        Some(v) => v,
                        None => return self.dynamic(format!("module.{name} is not declared")),
                    }),
                    _ => None,
                };
                if let Some(v) = resolved {
                    return self.apply_shared(v, &ops[1..]);
                }
            }
        }
        let v = self.expr(base)?;
        self.apply(v, ops)
    }

    /// [`Self::apply`] on a shared value: attributes and indexes are followed by reference,
    /// and only what they reach is copied (`local.pools[each.key]` on a map of thousands).
    fn apply_shared(&mut self, v: Rc<Value>, ops: &[TraversalOperator]) -> Eval {
        let mut cur: &Value = &v;
        let mut i = 0;
        while i < ops.len() && !is_unknown(cur) {
            let next = match &ops[i] {
                TraversalOperator::GetAttr(name) => match cur {
                    Value::Object(o) => o.get(name.as_str()),
                    _ => None,
                },
                TraversalOperator::Index(ix)
                    if !matches!(
                        ix,
                        Expression::Variable(_)
                            | Expression::Traversal(_)
                            | Expression::String(_)
                            | Expression::Number(_)
                    ) =>
                {
                    None
                }
                TraversalOperator::Index(ix) => {
                    let key = self.expr(ix)?;
                    match (cur, &key) {
                        (Value::Object(o), Value::String(k)) if k != UNKNOWN => o.get(k.as_str()),
                        (Value::Array(a), Value::Number(n)) => n.as_u64().and_then(|n| a.get(n as usize)),
                        _ => None,
                    }
                }
                TraversalOperator::LegacyIndex(n) => match cur {
                    Value::Array(a) => a.get(*n as usize),
                    _ => None,
                },
                _ => None,
            };
            match next {
                Some(x) => {
                    cur = x;
                    i += 1;
                }
                None => break,
            }
        }
        // The rest (a splat, a missing key, an unknown) as an owned value.
        let cur = cur.clone();
        self.apply(cur, &ops[i..])
    }

    fn apply(&mut self, mut v: Value, ops: &[TraversalOperator]) -> Eval {
        for (i, op) in ops.iter().enumerate() {
            if is_unknown(&v) {
                return Ok(unknown());
            }
            match op {
                TraversalOperator::GetAttr(name) => {
                    v = match v {
                        Value::Object(mut o) => match o.swap_remove(name.as_str()) {
                            Some(x) => x,
                            None => return self.dynamic(format!("no attribute {:?}", name.as_str())),
                        },
                        Value::Null => return self.dynamic(format!("attribute {:?} of a null value", name.as_str())),
                        other => {
                            return self.dynamic(format!(
                                "attribute {:?} of a {}, which has none",
                                name.as_str(),
                                functions::type_name(&other)
                            ))
                        }
                    };
                }
                TraversalOperator::Index(ix) => {
                    let key = self.expr(ix)?;
                    v = self.index(v, &key)?;
                }
                TraversalOperator::LegacyIndex(n) => v = self.index(v, &Value::from(*n))?,
                TraversalOperator::AttrSplat | TraversalOperator::FullSplat => {
                    let full = matches!(op, TraversalOperator::FullSplat);
                    // The splat applies to the operators after it (only attributes for `.*`).
                    let rest = &ops[i + 1..];
                    let take = if full {
                        rest.len()
                    } else {
                        rest.iter().take_while(|o| matches!(o, TraversalOperator::GetAttr(_))).count()
                    };
                    let items = match v {
                        Value::Array(items) => items,
                        Value::Null => vec![],
                        other => vec![other],
                    };
                    let mut out = Vec::with_capacity(items.len());
                    for item in items {
                        out.push(self.apply(item, &rest[..take])?);
                    }
                    return self.apply(Value::Array(out), &rest[take..]);
                }
            }
        }
        Ok(v)
    }

    fn index(&mut self, v: Value, key: &Value) -> Eval {
        if is_unknown(&v) || contains_unknown(key) {
            return Ok(unknown());
        }
        match v {
            Value::Array(mut items) => {
                let i = match functions::integer(key, "index") {
                    Ok(i) => i,
                    Err(e) => return Err(Fatal(e).into()),
                };
                if i < 0 || i as usize >= items.len() {
                    return self.dynamic(format!("index {i} is out of range for a list of {}", items.len()));
                }
                Ok(items.swap_remove(i as usize))
            }
            Value::Object(mut o) => {
                let k = functions::string(key, "key").map_err(Fatal)?;
                match o.swap_remove(&k) {
                    Some(x) => Ok(x),
                    None => self.dynamic(format!("no key {k:?}")),
                }
            }
            Value::Null => self.dynamic("an index into a null value".into()),
            other => self.dynamic(format!("an index into a {}", functions::type_name(&other))),
        }
    }

    fn call(&mut self, f: &hcl::expr::FuncCall) -> Eval {
        if !f.name.namespace.is_empty() {
            // `provider::aws::arn_parse(...)`: a provider's function, known after init.
            return Ok(unknown());
        }
        let name = f.name.name.as_str();
        match name {
            "try" | "can" => return self.try_can(name == "try", &f.args),
            "convert" => {
                let [value, ty] = f.args.as_slice() else {
                    return Err(Fatal(format!("convert: {} arguments given, 2 expected", f.args.len())).into());
                };
                let ty = super::types::Type::parse(ty).map_err(|e| Fatal(format!("convert: {e}")))?;
                let v = self.expr(value)?;
                return match ty.convert(v, "convert") {
                    Ok(v) => Ok(v),
                    Err(e) => self.dynamic(e),
                };
            }
            _ => {}
        }
        let func = functions::lookup(name).ok_or_else(|| {
            Fatal(format!("there is no function named `{name}` in Terraform (driftd evaluates every built-in one)"))
        })?;
        let mut args = Vec::with_capacity(f.args.len());
        for a in &f.args {
            args.push(self.expr(a)?);
        }
        if f.expand_final {
            match args.pop() {
                Some(v) if is_unknown(&v) => return Ok(unknown()),
                Some(Value::Array(items)) => args.extend(items),
                Some(Value::Null) | None => {}
                Some(other) => {
                    return Err(
                        Fatal(format!("{name}: `...` expands a list, got {}", functions::type_name(&other))).into()
                    )
                }
            }
        }
        if args.len() < func.min || args.len() > func.max {
            let want = match (func.min, func.max) {
                (a, b) if a == b => format!("{a}"),
                (a, usize::MAX) => format!("at least {a}"),
                (a, b) => format!("{a} to {b}"),
            };
            return Err(Fatal(format!("{name}: {} arguments given, {want} expected", args.len())).into());
        }
        match func.unknown {
            OnUnknown::Impure => return Ok(unknown()),
            OnUnknown::Propagate if args.iter().any(contains_unknown) => return Ok(unknown()),
            _ => {}
        }
        let (module, root) = self.resolver.dirs();
        let (module, root) = (module.to_path_buf(), root.to_path_buf());
        let template = |text: &str, vars: &Map<String, Value>| -> Result<Value, String> {
            template_with(text, vars, &module, &root)
        };
        let env = functions::Env { root: &root, template: &template };
        match (func.call)(&args, &env) {
            Ok(v) => Ok(v),
            Err(e) => self.dynamic(e),
        }
    }

    /// `try(a, b, ...)`: the first argument that evaluates without error (unknown if that
    /// one is unknown); `can(a)`: whether it does.
    fn try_can(&mut self, is_try: bool, args: &[Expression]) -> Eval {
        if args.is_empty() || (!is_try && args.len() != 1) {
            return Err(Fatal(format!("{}: wrong number of arguments", if is_try { "try" } else { "can" })).into());
        }
        self.in_try += 1;
        let mut result = None;
        for a in args {
            match self.expr(a) {
                Ok(v) => {
                    result = Some(v);
                    break;
                }
                Err(Failure::Fatal(f))
                    if f.0.starts_with("there is no function") || f.0.contains("arguments given") =>
                {
                    self.in_try -= 1;
                    return Err(Failure::Fatal(f));
                }
                Err(_) => {}
            }
        }
        self.in_try -= 1;
        match (is_try, result) {
            (_, Some(v)) if is_unknown(&v) => Ok(unknown()),
            (true, Some(v)) => Ok(v),
            (true, None) => self.dynamic("no argument of try() evaluates".into()),
            (false, r) => Ok(Value::Bool(r.is_some())),
        }
    }

    fn operation(&mut self, op: &Operation) -> Eval {
        match op {
            Operation::Unary(u) => {
                let v = self.expr(&u.expr)?;
                if contains_unknown(&v) {
                    return Ok(unknown());
                }
                match u.operator {
                    UnaryOperator::Not => {
                        Ok(Value::Bool(!functions::boolean(&v, "!").map_err(|e| Failure::Fatal(Fatal(e)))?))
                    }
                    UnaryOperator::Neg => {
                        Ok(functions::num(-functions::number(&v, "-").map_err(|e| Failure::Fatal(Fatal(e)))?))
                    }
                }
            }
            Operation::Binary(b) => {
                let l = self.expr(&b.lhs_expr)?;
                use BinaryOperator::*;
                // Known short circuits: `false && x`, `true || x`.
                match (b.operator, &l) {
                    (And, Value::Bool(false)) => return Ok(Value::Bool(false)),
                    (Or, Value::Bool(true)) => return Ok(Value::Bool(true)),
                    _ => {}
                }
                let r = self.expr(&b.rhs_expr)?;
                // `x == null` is known whenever `x` itself is (its elements may not be), as
                // in cty: `var.volumes != null` with an unknown KMS key inside is true.
                if matches!(b.operator, Eq | NotEq)
                    && (l == Value::Null || r == Value::Null)
                    && !is_unknown(&l)
                    && !is_unknown(&r)
                {
                    return Ok(Value::Bool((l == r) == (b.operator == Eq)));
                }
                if contains_unknown(&l) || contains_unknown(&r) {
                    return Ok(unknown());
                }
                let fatal = |e: String| Failure::Fatal(Fatal(e));
                let sym = operator_text(b.operator);
                match b.operator {
                    Eq => Ok(Value::Bool(equal(&l, &r))),
                    NotEq => Ok(Value::Bool(!equal(&l, &r))),
                    And | Or => {
                        if l == Value::Null || r == Value::Null {
                            return self.dynamic(format!("a null operand of {sym}"));
                        }
                        let (x, y) =
                            (functions::boolean(&l, sym).map_err(fatal)?, functions::boolean(&r, sym).map_err(fatal)?);
                        Ok(Value::Bool(if b.operator == And { x && y } else { x || y }))
                    }
                    _ => {
                        if l == Value::Null || r == Value::Null {
                            return self.dynamic(format!("a null operand of {sym}"));
                        }
                        let x = functions::number(&l, sym).map_err(fatal)?;
                        let y = functions::number(&r, sym).map_err(fatal)?;
                        Ok(match b.operator {
                            Plus => functions::num(x + y),
                            Minus => functions::num(x - y),
                            Mul => functions::num(x * y),
                            Div if y == 0.0 => return self.dynamic("division by zero".into()),
                            Div => functions::num(x / y),
                            Mod if y == 0.0 => return self.dynamic("modulo by zero".into()),
                            Mod => functions::num(x % y),
                            Less => Value::Bool(x < y),
                            LessEq => Value::Bool(x <= y),
                            Greater => Value::Bool(x > y),
                            GreaterEq => Value::Bool(x >= y),
                            Eq | NotEq | And | Or => unreachable!("handled above"),
                        })
                    }
                }
            }
        }
    }

    fn for_expr(&mut self, f: &hcl::expr::ForExpr) -> Eval {
        let coll = self.expr(&f.collection_expr)?;
        let Some(pairs) = self.pairs(&coll)? else { return Ok(unknown()) };
        let mut list = Vec::new();
        let mut map: Map<String, Value> = Map::new();
        for (k, v) in pairs {
            let mut n = 1;
            if let Some(kv) = &f.key_var {
                self.bind(kv.as_str(), k);
                n += 1;
            }
            self.bind(f.value_var.as_str(), v);
            let step = self.for_step(f, &mut list, &mut map);
            self.unbind(n);
            if !step? {
                return Ok(unknown());
            }
        }
        Ok(match f.key_expr {
            Some(_) => Value::Object(map),
            None => Value::Array(list),
        })
    }

    /// One element of a `for`; `false` when its condition or key is unknown.
    fn for_step(
        &mut self,
        f: &hcl::expr::ForExpr,
        list: &mut Vec<Value>,
        map: &mut Map<String, Value>,
    ) -> Result<bool, Failure> {
        if let Some(c) = &f.cond_expr {
            let cond = self.expr(c)?;
            if contains_unknown(&cond) {
                return Ok(false);
            }
            if !functions::boolean(&cond, "for condition").map_err(|e| Failure::Fatal(Fatal(e)))? {
                return Ok(true);
            }
        }
        let value = self.expr(&f.value_expr)?;
        match &f.key_expr {
            None => list.push(value),
            Some(k) => {
                let key = self.expr(k)?;
                if contains_unknown(&key) {
                    return Ok(false);
                }
                let key = functions::string(&key, "for key").map_err(|e| Failure::Fatal(Fatal(e)))?;
                if f.grouping {
                    match map.entry(key).or_insert_with(|| Value::Array(vec![])) {
                        Value::Array(items) => items.push(value),
                        _ => unreachable!("grouped values are lists"),
                    }
                } else if map.contains_key(&key) {
                    self.dynamic(format!("duplicate key {key:?} in a for expression (use ... to group)"))?;
                    return Ok(false);
                } else {
                    map.insert(key, value);
                }
            }
        }
        Ok(true)
    }
}

/// Terraform's `==`: numbers by value, everything else structurally.
fn equal(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => x.as_f64() == y.as_f64(),
        (Value::Array(x), Value::Array(y)) => x.len() == y.len() && x.iter().zip(y).all(|(a, b)| equal(a, b)),
        (Value::Object(x), Value::Object(y)) => {
            x.len() == y.len() && x.iter().all(|(k, v)| y.get(k).is_some_and(|w| equal(v, w)))
        }
        _ => a == b,
    }
}

fn operator_text(op: BinaryOperator) -> &'static str {
    use BinaryOperator::*;
    match op {
        Eq => "==",
        NotEq => "!=",
        LessEq => "<=",
        GreaterEq => ">=",
        Less => "<",
        Greater => ">",
        Plus => "+",
        Minus => "-",
        Mul => "*",
        Div => "/",
        Mod => "%",
        And => "&&",
        Or => "||",
    }
}

/// An element's strip markers, as hcl-rs computes them (its own method is private).
fn element_strip(el: &Element) -> Strip {
    match el {
        Element::Literal(_) => Strip::None,
        Element::Interpolation(i) => i.strip,
        Element::Directive(d) => {
            let (start, end) = match d.as_ref() {
                Directive::If(d) => (d.if_strip, d.endif_strip),
                Directive::For(d) => (d.for_strip, d.endfor_strip),
            };
            Strip::from((start.strip_start(), end.strip_end()))
        }
    }
}

/// `~` strip markers: spaces and one newline next to the marker go.
fn strip_literal(mut s: &str, before: Strip, after: Strip) -> &str {
    let is_space = |c: char| c.is_whitespace() && c != '\r' && c != '\n';
    if before.strip_end() {
        s = s.trim_start_matches(is_space);
        s = s.strip_prefix("\r\n").or_else(|| s.strip_prefix('\n')).unwrap_or(s);
    }
    if after.strip_start() {
        s = s.trim_end_matches(is_space);
        s = s.strip_suffix("\r\n").or_else(|| s.strip_suffix('\n')).unwrap_or(s);
    }
    s
}

/// Resolves no reference: what is evaluated outside a module (tfvars files, variable
/// defaults, `import` ids, templates) has only its own values and the functions. Why a
/// value became unknown is kept in `causes`.
pub struct Detached<'a> {
    pub module: &'a Path,
    pub root: &'a Path,
    pub causes: Vec<String>,
}

impl Resolver for Detached<'_> {
    fn var(&mut self, _: &str) -> Option<Rc<Value>> {
        None
    }
    fn local(&mut self, _: &str) -> Result<Option<Rc<Value>>, Fatal> {
        Ok(None)
    }
    fn module(&mut self, _: &str) -> Result<Option<Rc<Value>>, Fatal> {
        Ok(None)
    }
    fn dirs(&self) -> (&Path, &Path) {
        (self.module, self.root)
    }
    fn unknown_because(&mut self, cause: String) {
        self.causes.push(cause);
    }
}

/// A template file or string evaluated with only the given variables and the functions,
/// as `templatefile` does (no `var`, `local` or resources).
pub fn template_with(text: &str, vars: &Map<String, Value>, module: &Path, root: &Path) -> Result<Value, String> {
    let template = text.parse::<Template>().map_err(|e| format!("template: {e}"))?;
    let mut r = Detached { module, root, causes: vec![] };
    let mut ev = Evaluator::new(&mut r);
    for (k, v) in vars {
        ev.bind(k, v.clone());
    }
    // A template may only name its variables: anything else is an error of the template.
    let v = match ev.template(&template) {
        Ok(v) => v,
        Err(Failure::Fatal(f)) => return Err(f.0),
        Err(Failure::Dynamic(d)) => return Err(d),
    };
    match r.causes.first() {
        Some(c) if v.as_str() == Some(UNKNOWN) => Err(format!("template: {c}")),
        _ => Ok(v),
    }
}
