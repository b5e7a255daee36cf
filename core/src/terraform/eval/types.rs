//! Variable type constraints (`type = object({ name = string, size = optional(number, 1) })`),
//! applied to a variable's value as Terraform converts it: numbers and bools to strings and
//! back, attributes an object type does not name dropped, `optional` attributes filled in
//! with their defaults.

use super::functions::{self, is_unknown};
use hcl::expr::{Expression, ObjectKey};
use hcl::{Map, Value};

#[derive(Debug, Clone, PartialEq)]
pub enum Type {
    Any,
    String,
    Number,
    Bool,
    List(Box<Type>),
    Set(Box<Type>),
    Map(Box<Type>),
    Tuple(Vec<Type>),
    Object(Vec<Attribute>),
}

#[derive(Debug, Clone, PartialEq)]
pub struct Attribute {
    pub name: String,
    pub ty: Type,
    pub optional: bool,
    pub default: Option<Value>,
}

impl Type {
    /// A `type` argument's expression. The 0.11 strings (`"string"`, `"list"`, `"map"`) too.
    pub fn parse(e: &Expression) -> Result<Type, String> {
        Ok(match e {
            Expression::Variable(v) => match v.as_str() {
                "any" => Type::Any,
                "string" => Type::String,
                "number" => Type::Number,
                "bool" => Type::Bool,
                // `list` alone: `list(any)`, as Terraform reads it.
                "list" => Type::List(Box::new(Type::Any)),
                "map" => Type::Map(Box::new(Type::Any)),
                "set" => Type::Set(Box::new(Type::Any)),
                other => return Err(format!("{other:?} is not a type")),
            },
            Expression::String(s) => match s.as_str() {
                "string" => Type::String,
                "list" => Type::List(Box::new(Type::Any)),
                "map" => Type::Map(Box::new(Type::Any)),
                other => return Err(format!("{other:?} is not a type")),
            },
            Expression::Parenthesis(p) => Type::parse(p)?,
            Expression::FuncCall(f) if f.name.namespace.is_empty() => {
                let arg =
                    |i: usize| f.args.get(i).ok_or_else(|| format!("{}(): a type argument is required", f.name.name));
                match f.name.name.as_str() {
                    "list" => Type::List(Box::new(Type::parse(arg(0)?)?)),
                    "set" => Type::Set(Box::new(Type::parse(arg(0)?)?)),
                    "map" => Type::Map(Box::new(Type::parse(arg(0)?)?)),
                    "tuple" => match arg(0)? {
                        Expression::Array(items) => {
                            Type::Tuple(items.iter().map(Type::parse).collect::<Result<_, _>>()?)
                        }
                        _ => return Err("tuple(): a list of types is required".into()),
                    },
                    "object" => match arg(0)? {
                        Expression::Object(o) => {
                            let mut attrs = Vec::new();
                            for (k, v) in o {
                                let name = match k {
                                    ObjectKey::Identifier(i) => i.to_string(),
                                    ObjectKey::Expression(Expression::String(s)) => s.clone(),
                                    ObjectKey::Expression(Expression::Variable(v)) => v.to_string(),
                                    _ => return Err("object(): attribute names must be names".into()),
                                };
                                attrs.push(Attribute::parse(name, v)?);
                            }
                            Type::Object(attrs)
                        }
                        _ => return Err("object(): an object of attribute types is required".into()),
                    },
                    "optional" => return Err("optional() is allowed only for an object type's attributes".into()),
                    other => return Err(format!("{other}() is not a type")),
                }
            }
            _ => return Err(format!("{e} is not a type")),
        })
    }

    /// `value` converted to this type; `path` names where, for messages.
    pub fn convert(&self, value: Value, path: &str) -> Result<Value, String> {
        if is_unknown(&value) || value == Value::Null {
            return Ok(value);
        }
        let mismatch = |want: &str, v: &Value| format!("{path}: {want} required, got {}", functions::type_name(v));
        Ok(match self {
            Type::Any => value,
            Type::String => match value {
                Value::String(_) => value,
                Value::Number(n) => Value::from(functions::number_text(&n)),
                Value::Bool(b) => Value::from(b.to_string()),
                v => return Err(mismatch("a string is", &v)),
            },
            Type::Number => match &value {
                Value::Number(_) => value,
                Value::String(s) => match s.trim().parse::<f64>() {
                    Ok(f) => functions::num(f),
                    Err(_) => return Err(format!("{path}: a number is required, got {s:?}")),
                },
                v => return Err(mismatch("a number is", v)),
            },
            Type::Bool => match &value {
                Value::Bool(_) => value,
                Value::String(s) if s == "true" || s == "false" => Value::Bool(s == "true"),
                v => return Err(mismatch("a bool is", v)),
            },
            Type::List(t) | Type::Set(t) => match value {
                Value::Array(items) => {
                    let items: Vec<Value> = items
                        .into_iter()
                        .enumerate()
                        .map(|(i, v)| t.convert(v, &format!("{path}[{i}]")))
                        .collect::<Result<_, _>>()?;
                    match self {
                        Type::Set(_) if !items.iter().any(is_unknown) => Value::Array(functions::set_of(items)),
                        _ => Value::Array(items),
                    }
                }
                v => return Err(mismatch("a list is", &v)),
            },
            Type::Map(t) => match value {
                Value::Object(o) => Value::Object(
                    o.into_iter()
                        .map(|(k, v)| t.convert(v, &format!("{path}[{k:?}]")).map(|v| (k, v)))
                        .collect::<Result<_, _>>()?,
                ),
                v => return Err(mismatch("a map is", &v)),
            },
            Type::Tuple(types) => match value {
                Value::Array(items) if items.len() == types.len() => Value::Array(
                    items
                        .into_iter()
                        .zip(types)
                        .enumerate()
                        .map(|(i, (v, t))| t.convert(v, &format!("{path}[{i}]")))
                        .collect::<Result<_, _>>()?,
                ),
                v => return Err(mismatch(&format!("a tuple of {} elements is", types.len()), &v)),
            },
            Type::Object(attrs) => match value {
                Value::Object(mut o) => {
                    let mut out = Map::new();
                    for a in attrs {
                        // A required attribute may be null, but not absent; an optional
                        // one that is absent or null takes its default.
                        let v = match (o.swap_remove(&a.name), a.optional, &a.default) {
                            (Some(Value::Null) | None, true, Some(d)) => d.clone(),
                            (Some(v), _, _) => v,
                            (None, true, None) => Value::Null,
                            (None, false, _) => {
                                return Err(format!("{path}: attribute {:?} is required", a.name));
                            }
                        };
                        out.insert(a.name.clone(), a.ty.convert(v, &format!("{path}.{}", a.name))?);
                    }
                    Value::Object(out)
                }
                v => return Err(mismatch("an object is", &v)),
            },
        })
    }
}

impl Attribute {
    fn parse(name: String, e: &Expression) -> Result<Attribute, String> {
        if let Expression::FuncCall(f) = e {
            if f.name.namespace.is_empty() && f.name.name.as_str() == "optional" {
                let ty = Type::parse(f.args.first().ok_or("optional(): a type is required")?)?;
                let default = match f.args.get(1) {
                    Some(d) => Some(ty.convert(literal(d)?, &name)?),
                    None => None,
                };
                return Ok(Attribute { name, ty, optional: true, default });
            }
        }
        Ok(Attribute { name, ty: Type::parse(e)?, optional: false, default: None })
    }
}

/// An `optional` default: a constant expression.
fn literal(e: &Expression) -> Result<Value, String> {
    super::constant(e, std::path::Path::new(".")).map_err(|f| f.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ty(src: &str) -> Type {
        let body: hcl::Body = hcl::from_str(&format!("t = {src}")).unwrap();
        Type::parse(&body.attributes().next().unwrap().expr).unwrap()
    }

    fn val(src: &str) -> Value {
        let body: hcl::Body = hcl::from_str(&format!("v = {src}")).unwrap();
        let e = body.attributes().next().unwrap().expr.clone();
        literal(&e).unwrap()
    }

    #[test]
    fn optional_attributes_get_their_defaults_and_unknown_attributes_go() {
        let t = ty(
            r#"object({ name = string, location = optional(string, "eastus"), size = optional(number), tags = optional(map(string), {}) })"#,
        );
        let v = t.convert(val(r#"{ name = "gpu", extra = 1 }"#), "var.cfg").unwrap();
        assert_eq!(v, val(r#"{ name = "gpu", location = "eastus", size = null, tags = {} }"#));
    }

    #[test]
    fn nested_optional_defaults_apply_inside_lists_and_maps() {
        let t = ty(r#"map(object({ count = optional(number, 1), zones = optional(list(string), ["a"]) }))"#);
        let v = t.convert(val(r#"{ p5 = { count = "2" }, g6 = {} }"#), "var.pools").unwrap();
        assert_eq!(v, val(r#"{ p5 = { count = 2, zones = ["a"] }, g6 = { count = 1, zones = ["a"] } }"#));
    }

    #[test]
    fn conversions_follow_terraform_and_mismatches_name_the_path() {
        assert_eq!(ty("string").convert(Value::from(5), "v").unwrap(), Value::from("5"));
        assert_eq!(ty("bool").convert(Value::from("true"), "v").unwrap(), Value::Bool(true));
        assert_eq!(ty("set(string)").convert(val(r#"["b", "a", "b"]"#), "v").unwrap(), val(r#"["a", "b"]"#));
        let null_ok = ty("object({ name = string })").convert(val("{ name = null }"), "var.cfg").unwrap();
        assert_eq!(null_ok, val("{ name = null }"));
        let err = ty("object({ name = string })").convert(val("{}"), "var.cfg").unwrap_err();
        assert_eq!(err, "var.cfg: attribute \"name\" is required");
        let err = ty("list(number)").convert(val(r#"["x"]"#), "var.sizes").unwrap_err();
        assert_eq!(err, "var.sizes[0]: a number is required, got \"x\"");
    }
}
