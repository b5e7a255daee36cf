//! Type conversion functions. `try` and `can` take expressions, not values: the evaluator
//! handles them before arguments are evaluated.

use super::{boolean, is_unknown, list, num, number, number_text, object, set_of, type_name, unknown, Env};
use hcl::Value;

pub fn unreachable(_: &[Value], _: &Env) -> Result<Value, String> {
    Err("try and can are evaluated by the evaluator".into())
}

/// `sensitive`, `nonsensitive`, `ephemeralasnull`: the value itself (driftd keeps no marks;
/// reports never print declared secrets as such).
pub fn identity(a: &[Value], _: &Env) -> Result<Value, String> {
    Ok(a[0].clone())
}

/// Marks are not tracked, so whether a value is sensitive is not known here.
pub fn issensitive(_: &[Value], _: &Env) -> Result<Value, String> {
    Ok(unknown())
}

/// `type()` exists only in `terraform console`.
pub fn type_(_: &[Value], _: &Env) -> Result<Value, String> {
    Ok(unknown())
}

pub fn tostring(a: &[Value], _: &Env) -> Result<Value, String> {
    match &a[0] {
        Value::Null => Ok(Value::Null),
        Value::String(_) => Ok(a[0].clone()),
        Value::Number(n) => Ok(Value::from(number_text(n))),
        Value::Bool(b) => Ok(Value::from(b.to_string())),
        other => Err(format!("tostring: cannot convert {} to string", type_name(other))),
    }
}

pub fn tonumber(a: &[Value], _: &Env) -> Result<Value, String> {
    match &a[0] {
        Value::Null => Ok(Value::Null),
        v => Ok(num(number(v, "tonumber")?)),
    }
}

pub fn tobool(a: &[Value], _: &Env) -> Result<Value, String> {
    match &a[0] {
        Value::Null => Ok(Value::Null),
        v => Ok(Value::Bool(boolean(v, "tobool")?)),
    }
}

pub fn tolist(a: &[Value], _: &Env) -> Result<Value, String> {
    match &a[0] {
        v if is_unknown(v) => Ok(unknown()),
        Value::Null => Ok(Value::Null),
        v => Ok(Value::Array(list(v, "tolist")?)),
    }
}

pub fn toset(a: &[Value], _: &Env) -> Result<Value, String> {
    match &a[0] {
        v if is_unknown(v) => Ok(unknown()),
        Value::Null => Ok(Value::Null),
        // A set with an unknown element has an unknown length.
        Value::Array(items) if items.iter().any(is_unknown) => Ok(unknown()),
        v => Ok(Value::Array(set_of(list(v, "toset")?))),
    }
}

pub fn tomap(a: &[Value], _: &Env) -> Result<Value, String> {
    match &a[0] {
        v if is_unknown(v) => Ok(unknown()),
        Value::Null => Ok(Value::Null),
        v => Ok(Value::Object(object(v, "tomap")?.clone())),
    }
}
