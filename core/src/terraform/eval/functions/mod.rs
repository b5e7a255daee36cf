//! Terraform's built-in function library (every function that needs no provider), with
//! Terraform's semantics, for the evaluator in `expr.rs`. One file per category of
//! Terraform's documentation; [`FUNCTIONS`] is the registry.
//!
//! Unknown values ([`UNKNOWN`]) follow Terraform: a function of something unknown is
//! unknown ([`OnUnknown::Propagate`]), except the collection functions that carry unknown
//! elements through ([`OnUnknown::Handles`]: `merge(local.tags, {x = aws_instance.a.id})`
//! keeps the tags it knows), and the impure ones, which are always unknown before apply
//! ([`OnUnknown::Impure`]: `timestamp`, `uuid`, `bcrypt`).

mod collections;
mod conversion;
mod crypto;
mod encoding;
mod files;
mod network;
mod numeric;
mod strings;
mod time;

use hcl::{Map, Value};
use std::path::Path;

/// A value known only after apply (another resource's id, a data source).
pub const UNKNOWN: &str = "\u{0}(known after apply)\u{0}";

pub fn is_unknown(v: &Value) -> bool {
    matches!(v, Value::String(s) if s == UNKNOWN)
}

/// Anything unknown inside?
pub fn contains_unknown(v: &Value) -> bool {
    match v {
        Value::String(s) => s == UNKNOWN,
        Value::Array(a) => a.iter().any(contains_unknown),
        Value::Object(o) => o.values().any(contains_unknown),
        _ => false,
    }
}

pub fn unknown() -> Value {
    Value::String(UNKNOWN.to_string())
}

/// Evaluates a template's text with the given variables.
pub type TemplateFn<'a> = dyn Fn(&str, &Map<String, Value>) -> Result<Value, String> + 'a;

/// What a function call may use besides its arguments.
pub struct Env<'a> {
    /// The root module's directory, Terraform's working directory: relative paths of the
    /// file functions resolve against it.
    pub root: &'a Path,
    /// Evaluates a template with variables (for `templatefile` and `templatestring`).
    pub template: &'a TemplateFn<'a>,
}

pub type Call = fn(&[Value], &Env) -> Result<Value, String>;

/// How a function treats unknown arguments.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum OnUnknown {
    /// Unknown if any argument holds anything unknown.
    Propagate,
    /// The function carries unknown elements through itself.
    Handles,
    /// Always unknown before apply (a new value each run).
    Impure,
}

pub struct Function {
    pub name: &'static str,
    pub min: usize,
    /// `usize::MAX`: variadic.
    pub max: usize,
    pub unknown: OnUnknown,
    pub call: Call,
}

const V: usize = usize::MAX;
use OnUnknown::{Handles as H, Impure as I, Propagate as P};

macro_rules! functions {
    ($( $name:literal => $module:ident :: $func:ident, $min:expr, $max:expr, $unknown:expr; )*) => {
        /// Every built-in function, in Terraform's documentation order.
        pub static FUNCTIONS: &[Function] = &[
            $( Function { name: $name, min: $min, max: $max, unknown: $unknown, call: $module::$func }, )*
        ];
    };
}

functions! {
    // Numeric
    "abs" => numeric::abs, 1, 1, P;
    "ceil" => numeric::ceil, 1, 1, P;
    "floor" => numeric::floor, 1, 1, P;
    "log" => numeric::log, 2, 2, P;
    "max" => numeric::max, 1, V, P;
    "min" => numeric::min, 1, V, P;
    "parseint" => numeric::parseint, 2, 2, P;
    "pow" => numeric::pow, 2, 2, P;
    "signum" => numeric::signum, 1, 1, P;
    // String
    "chomp" => strings::chomp, 1, 1, P;
    "endswith" => strings::endswith, 2, 2, P;
    "format" => strings::format, 1, V, P;
    "formatlist" => strings::formatlist, 1, V, P;
    "indent" => strings::indent, 2, 2, P;
    "join" => strings::join, 2, V, P;
    "lower" => strings::lower, 1, 1, P;
    "regex" => strings::regex, 2, 2, P;
    "regexall" => strings::regexall, 2, 2, P;
    "replace" => strings::replace, 3, 3, P;
    "split" => strings::split, 2, 2, P;
    "startswith" => strings::startswith, 2, 2, P;
    "strcontains" => strings::strcontains, 2, 2, P;
    "strrev" => strings::strrev, 1, 1, P;
    "substr" => strings::substr, 3, 3, P;
    "templatestring" => strings::templatestring, 2, 2, P;
    "title" => strings::title, 1, 1, P;
    "trim" => strings::trim, 2, 2, P;
    "trimprefix" => strings::trimprefix, 2, 2, P;
    "trimsuffix" => strings::trimsuffix, 2, 2, P;
    "trimspace" => strings::trimspace, 1, 1, P;
    "upper" => strings::upper, 1, 1, P;
    // Collection
    "alltrue" => collections::alltrue, 1, 1, P;
    "anytrue" => collections::anytrue, 1, 1, P;
    "chunklist" => collections::chunklist, 2, 2, H;
    "coalesce" => collections::coalesce, 1, V, H;
    "coalescelist" => collections::coalescelist, 1, V, H;
    "compact" => collections::compact, 1, 1, P;
    "concat" => collections::concat, 1, V, H;
    "contains" => collections::contains, 2, 2, P;
    "distinct" => collections::distinct, 1, 1, P;
    "element" => collections::element, 2, 2, H;
    "flatten" => collections::flatten, 1, 1, H;
    "index" => collections::index, 2, 2, P;
    "keys" => collections::keys, 1, 1, H;
    "length" => collections::length, 1, 1, H;
    "list" => collections::list_, 0, V, H;
    "lookup" => collections::lookup, 2, 3, H;
    "map" => collections::map_, 0, V, H;
    "matchkeys" => collections::matchkeys, 3, 3, P;
    "merge" => collections::merge, 0, V, H;
    "one" => collections::one, 1, 1, H;
    "range" => collections::range, 1, 3, P;
    "reverse" => collections::reverse, 1, 1, H;
    "setintersection" => collections::setintersection, 1, V, P;
    "setproduct" => collections::setproduct, 1, V, P;
    "setsubtract" => collections::setsubtract, 2, 2, P;
    "setunion" => collections::setunion, 1, V, P;
    "slice" => collections::slice, 3, 3, H;
    "sort" => collections::sort, 1, 1, P;
    "sum" => collections::sum, 1, 1, P;
    "transpose" => collections::transpose, 1, 1, P;
    "values" => collections::values, 1, 1, H;
    "zipmap" => collections::zipmap, 2, 2, H;
    // Encoding
    "base64decode" => encoding::base64decode, 1, 1, P;
    "base64encode" => encoding::base64encode, 1, 1, P;
    "base64gzip" => encoding::base64gzip, 1, 1, P;
    "csvdecode" => encoding::csvdecode, 1, 1, P;
    "jsondecode" => encoding::jsondecode, 1, 1, P;
    "jsonencode" => encoding::jsonencode, 1, 1, P;
    "textdecodebase64" => encoding::textdecodebase64, 2, 2, P;
    "textencodebase64" => encoding::textencodebase64, 2, 2, P;
    "urlencode" => encoding::urlencode, 1, 1, P;
    "yamldecode" => encoding::yamldecode, 1, 1, P;
    "yamlencode" => encoding::yamlencode, 1, 1, P;
    // Filesystem
    "abspath" => files::abspath, 1, 1, P;
    "dirname" => files::dirname, 1, 1, P;
    "pathexpand" => files::pathexpand, 1, 1, P;
    "basename" => files::basename, 1, 1, P;
    "file" => files::file, 1, 1, P;
    "fileexists" => files::fileexists, 1, 1, P;
    "fileset" => files::fileset, 2, 2, P;
    "filebase64" => files::filebase64, 1, 1, P;
    "templatefile" => files::templatefile, 2, 2, P;
    // Date and time
    "formatdate" => time::formatdate, 2, 2, P;
    "plantimestamp" => time::impure, 0, 0, I;
    "timeadd" => time::timeadd, 2, 2, P;
    "timecmp" => time::timecmp, 2, 2, P;
    "timestamp" => time::impure, 0, 0, I;
    // Hash and crypto
    "base64sha256" => crypto::base64sha256, 1, 1, P;
    "base64sha512" => crypto::base64sha512, 1, 1, P;
    "bcrypt" => crypto::impure, 1, 2, I;
    "filebase64sha256" => crypto::filebase64sha256, 1, 1, P;
    "filebase64sha512" => crypto::filebase64sha512, 1, 1, P;
    "filemd5" => crypto::filemd5, 1, 1, P;
    "filesha1" => crypto::filesha1, 1, 1, P;
    "filesha256" => crypto::filesha256, 1, 1, P;
    "filesha512" => crypto::filesha512, 1, 1, P;
    "md5" => crypto::md5, 1, 1, P;
    "rsadecrypt" => crypto::rsadecrypt, 2, 2, P;
    "sha1" => crypto::sha1, 1, 1, P;
    "sha256" => crypto::sha256, 1, 1, P;
    "sha512" => crypto::sha512, 1, 1, P;
    "uuid" => crypto::impure, 0, 0, I;
    "uuidv5" => crypto::uuidv5, 2, 2, P;
    // IP network
    "cidrhost" => network::cidrhost, 2, 2, P;
    "cidrnetmask" => network::cidrnetmask, 1, 1, P;
    "cidrsubnet" => network::cidrsubnet, 3, 3, P;
    "cidrsubnets" => network::cidrsubnets, 1, V, P;
    // Type conversion (`try`, `can` and `convert` take expressions: the evaluator runs them)
    "can" => conversion::unreachable, 1, 1, H;
    "convert" => conversion::unreachable, 2, 2, H;
    "ephemeralasnull" => conversion::identity, 1, 1, H;
    "issensitive" => conversion::issensitive, 1, 1, H;
    "nonsensitive" => conversion::identity, 1, 1, H;
    "sensitive" => conversion::identity, 1, 1, H;
    "tobool" => conversion::tobool, 1, 1, P;
    "tolist" => conversion::tolist, 1, 1, H;
    "tomap" => conversion::tomap, 1, 1, H;
    "tonumber" => conversion::tonumber, 1, 1, P;
    "toset" => conversion::toset, 1, 1, H;
    "tostring" => conversion::tostring, 1, 1, P;
    "try" => conversion::unreachable, 1, V, H;
    "type" => conversion::type_, 1, 1, H;
}

/// A JSON value as an HCL value (numbers whole where they are).
pub fn from_json(v: serde_json::Value) -> Value {
    encoding::from_json(v)
}

/// A built-in function by name.
pub fn lookup(name: &str) -> Option<&'static Function> {
    FUNCTIONS.iter().find(|f| f.name == name)
}

// Conversions shared by the categories, with Terraform's automatic conversions between
// strings, numbers and bools.

pub(crate) fn string(v: &Value, what: &str) -> Result<String, String> {
    match v {
        Value::String(s) => Ok(s.clone()),
        Value::Number(n) => Ok(number_text(n)),
        Value::Bool(b) => Ok(b.to_string()),
        Value::Null => Err(format!("{what}: a string is required, got null")),
        _ => Err(format!("{what}: a string is required, got {}", type_name(v))),
    }
}

pub(crate) fn number_text(n: &hcl::Number) -> String {
    match (n.as_i64(), n.as_f64()) {
        (Some(i), _) => i.to_string(),
        (None, Some(f)) if f.fract() == 0.0 && f.abs() < 1e15 => format!("{}", f as i64),
        _ => n.to_string(),
    }
}

pub(crate) fn number(v: &Value, what: &str) -> Result<f64, String> {
    match v {
        Value::Number(n) => n.as_f64().ok_or_else(|| format!("{what}: not a number")),
        Value::String(s) => s.trim().parse().map_err(|_| format!("{what}: {s:?} is not a number")),
        _ => Err(format!("{what}: a number is required, got {}", type_name(v))),
    }
}

pub(crate) fn integer(v: &Value, what: &str) -> Result<i64, String> {
    let f = number(v, what)?;
    if f.fract() != 0.0 {
        return Err(format!("{what}: a whole number is required, got {f}"));
    }
    Ok(f as i64)
}

pub(crate) fn boolean(v: &Value, what: &str) -> Result<bool, String> {
    match v {
        Value::Bool(b) => Ok(*b),
        Value::String(s) if s == "true" => Ok(true),
        Value::String(s) if s == "false" => Ok(false),
        _ => Err(format!("{what}: a bool is required, got {}", type_name(v))),
    }
}

pub(crate) fn num(f: f64) -> Value {
    if f.fract() == 0.0 && f.abs() < 9.0e15 {
        Value::from(f as i64)
    } else {
        hcl::Number::from_f64(f).map(Value::Number).unwrap_or(Value::Null)
    }
}

/// A list, set or tuple's elements.
pub(crate) fn list(v: &Value, what: &str) -> Result<Vec<Value>, String> {
    match v {
        Value::Array(a) => Ok(a.clone()),
        _ => Err(format!("{what}: a list is required, got {}", type_name(v))),
    }
}

pub(crate) fn object<'v>(v: &'v Value, what: &str) -> Result<&'v Map<String, Value>, String> {
    match v {
        Value::Object(o) => Ok(o),
        _ => Err(format!("{what}: a map is required, got {}", type_name(v))),
    }
}

/// A map's entries in Terraform's order: by key.
pub fn sorted(o: &Map<String, Value>) -> Vec<(&String, &Value)> {
    let mut entries: Vec<_> = o.iter().collect();
    entries.sort_by(|a, b| a.0.cmp(b.0));
    entries
}

pub(crate) fn type_name(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "bool",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "list",
        Value::Object(_) => "object",
    }
}

/// Elements without duplicates, first occurrence kept.
pub(crate) fn dedup(items: Vec<Value>) -> Vec<Value> {
    let mut seen = std::collections::HashSet::new();
    items.into_iter().filter(|v| seen.insert(v.to_string())).collect()
}

/// A set's elements in Terraform's order (strings and numbers sorted, others as given).
pub(crate) fn set_of(items: Vec<Value>) -> Vec<Value> {
    let mut items = dedup(items);
    if items.iter().all(|v| matches!(v, Value::String(_))) {
        items.sort_by(|a, b| a.as_str().cmp(&b.as_str()));
    } else if items.iter().all(|v| matches!(v, Value::Number(_))) {
        items.sort_by(|a, b| {
            let (x, y) = (a.as_f64().unwrap_or(0.0), b.as_f64().unwrap_or(0.0));
            x.partial_cmp(&y).unwrap_or(std::cmp::Ordering::Equal)
        });
    }
    items
}

/// The names [`FUNCTIONS`] knows, for messages.
pub fn names() -> Vec<&'static str> {
    FUNCTIONS.iter().map(|f| f.name).collect()
}

#[cfg(test)]
mod tests;
