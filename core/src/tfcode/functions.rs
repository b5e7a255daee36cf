//! The Terraform functions fleet code uses, for hcl-rs's evaluator. Values unknown before
//! apply are the [`UNKNOWN`] string: a function of an unknown scalar is unknown, and
//! collection functions carry unknown elements through (`merge(local.tags, {x =
//! aws_instance.a.id})` keeps the tags it knows).

use hcl::eval::{Context, FuncArgs, FuncDef, ParamType};
use hcl::Value;

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

fn unknown() -> Value {
    Value::String(UNKNOWN.to_string())
}

fn string(v: &Value, what: &str) -> Result<String, String> {
    match v {
        Value::String(s) => Ok(s.clone()),
        Value::Number(n) => Ok(n.to_string()),
        Value::Bool(b) => Ok(b.to_string()),
        _ => Err(format!("{what}: a string is required")),
    }
}

fn number(v: &Value, what: &str) -> Result<f64, String> {
    match v {
        Value::Number(n) => n.as_f64().ok_or_else(|| format!("{what}: not a number")),
        Value::String(s) => s.parse().map_err(|_| format!("{what}: {s:?} is not a number")),
        _ => Err(format!("{what}: a number is required")),
    }
}

fn num(f: f64) -> Value {
    if f.fract() == 0.0 && f.abs() < 9.0e15 {
        Value::from(f as i64)
    } else {
        hcl::Number::from_f64(f).map(Value::Number).unwrap_or(Value::Null)
    }
}

fn list(v: &Value, what: &str) -> Result<Vec<Value>, String> {
    match v {
        Value::Array(a) => Ok(a.clone()),
        Value::Object(o) => Ok(o.values().cloned().collect()),
        _ => Err(format!("{what}: a list is required")),
    }
}

macro_rules! scalar {
    ($args:ident) => {
        if $args.iter().any(is_unknown) {
            return Ok(unknown());
        }
    };
}

fn merge(args: FuncArgs) -> Result<Value, String> {
    let mut out = hcl::Map::new();
    for a in args.iter() {
        match a {
            Value::Object(o) => out.extend(o.clone()),
            Value::Null => {}
            v if is_unknown(v) => return Ok(unknown()),
            _ => return Err("merge: arguments must be maps or objects".into()),
        }
    }
    Ok(Value::Object(out))
}

fn lookup(args: FuncArgs) -> Result<Value, String> {
    if is_unknown(&args[0]) || is_unknown(&args[1]) {
        return Ok(unknown());
    }
    let key = string(&args[1], "lookup")?;
    match (&args[0], args.get(2)) {
        (Value::Object(o), default) => match (o.get(&key), default) {
            (Some(v), _) => Ok(v.clone()),
            (None, Some(d)) => Ok(d.clone()),
            (None, None) => Err(format!("lookup: no key {key:?} and no default")),
        },
        _ => Err("lookup: a map is required".into()),
    }
}

fn concat(args: FuncArgs) -> Result<Value, String> {
    let mut out = Vec::new();
    for a in args.iter() {
        if is_unknown(a) {
            return Ok(unknown());
        }
        out.extend(list(a, "concat")?);
    }
    Ok(Value::Array(out))
}

fn flatten_into(v: &Value, out: &mut Vec<Value>) {
    match v {
        Value::Array(a) => a.iter().for_each(|x| flatten_into(x, out)),
        other => out.push(other.clone()),
    }
}

fn flatten(args: FuncArgs) -> Result<Value, String> {
    scalar!(args);
    let mut out = Vec::new();
    flatten_into(&args[0], &mut out);
    Ok(Value::Array(out))
}

fn format(args: FuncArgs) -> Result<Value, String> {
    scalar!(args);
    let spec = string(&args[0], "format")?;
    let mut out = String::new();
    let mut rest = args.iter().skip(1);
    let mut chars = spec.chars().peekable();
    while let Some(c) = chars.next() {
        if c != '%' {
            out.push(c);
            continue;
        }
        // Flags and width are kept simple: %s, %d, %v, %q, %f, %%, with an optional width.
        let mut width = String::new();
        while let Some(d) = chars.peek().filter(|d| d.is_ascii_digit() || **d == '.' || **d == '-' || **d == '0') {
            width.push(*d);
            chars.next();
        }
        match chars.next() {
            Some('%') => out.push('%'),
            Some(verb @ ('s' | 'd' | 'v' | 'q' | 'f')) => {
                let v = rest.next().ok_or("format: not enough arguments")?;
                let text = match verb {
                    'd' => format!("{}", number(v, "format %d")? as i64),
                    'f' => {
                        let prec = width.split('.').nth(1).and_then(|p| p.parse().ok()).unwrap_or(6);
                        format!("{:.*}", prec, number(v, "format %f")?)
                    }
                    'q' => format!("{:?}", string(v, "format %q")?),
                    _ => match v {
                        Value::String(s) => s.clone(),
                        other => other.to_string(),
                    },
                };
                let pad: usize =
                    width.trim_start_matches('-').split('.').next().and_then(|w| w.parse().ok()).unwrap_or(0);
                let zero = width.starts_with('0') && verb == 'd';
                if text.len() < pad {
                    let fill = if zero { "0" } else { " " }.repeat(pad - text.len());
                    if width.starts_with('-') {
                        out.push_str(&text);
                        out.push_str(&fill);
                    } else {
                        out.push_str(&fill);
                        out.push_str(&text);
                    }
                } else {
                    out.push_str(&text);
                }
            }
            other => return Err(format!("format: unsupported verb %{}", other.map(String::from).unwrap_or_default())),
        }
    }
    Ok(Value::from(out))
}

fn join(args: FuncArgs) -> Result<Value, String> {
    scalar!(args);
    let sep = string(&args[0], "join")?;
    let mut parts = Vec::new();
    for l in args.iter().skip(1) {
        for v in list(l, "join")? {
            if is_unknown(&v) {
                return Ok(unknown());
            }
            parts.push(string(&v, "join")?);
        }
    }
    Ok(Value::from(parts.join(&sep)))
}

fn split(args: FuncArgs) -> Result<Value, String> {
    scalar!(args);
    let (sep, s) = (string(&args[0], "split")?, string(&args[1], "split")?);
    Ok(Value::Array(s.split(sep.as_str()).map(Value::from).collect()))
}

fn replace(args: FuncArgs) -> Result<Value, String> {
    scalar!(args);
    let (s, from, to) = (string(&args[0], "replace")?, string(&args[1], "replace")?, string(&args[2], "replace")?);
    if from.len() > 2 && from.starts_with('/') && from.ends_with('/') {
        return Err("replace: regular expressions are not supported".into());
    }
    Ok(Value::from(s.replace(&from, &to)))
}

fn lower(args: FuncArgs) -> Result<Value, String> {
    scalar!(args);
    Ok(Value::from(string(&args[0], "lower")?.to_lowercase()))
}

fn upper(args: FuncArgs) -> Result<Value, String> {
    scalar!(args);
    Ok(Value::from(string(&args[0], "upper")?.to_uppercase()))
}

fn dedup(mut items: Vec<Value>) -> Vec<Value> {
    let mut seen = Vec::new();
    items.retain(|v| {
        let key = v.to_string();
        if seen.contains(&key) {
            false
        } else {
            seen.push(key);
            true
        }
    });
    items
}

fn toset(args: FuncArgs) -> Result<Value, String> {
    scalar!(args);
    let mut items = dedup(list(&args[0], "toset")?);
    // Terraform orders sets of strings lexically.
    if items.iter().all(|v| matches!(v, Value::String(_))) {
        items.sort_by_key(|v| v.to_string());
    }
    Ok(Value::Array(items))
}

fn tolist(args: FuncArgs) -> Result<Value, String> {
    scalar!(args);
    Ok(Value::Array(list(&args[0], "tolist")?))
}

fn tomap(args: FuncArgs) -> Result<Value, String> {
    scalar!(args);
    match &args[0] {
        Value::Object(_) => Ok(args[0].clone()),
        _ => Err("tomap: a map or object is required".into()),
    }
}

fn length(args: FuncArgs) -> Result<Value, String> {
    scalar!(args);
    Ok(Value::from(match &args[0] {
        Value::Array(a) => a.len(),
        Value::Object(o) => o.len(),
        Value::String(s) => s.chars().count(),
        _ => return Err("length: a list, map or string is required".into()),
    } as i64))
}

fn coalesce(args: FuncArgs) -> Result<Value, String> {
    for a in args.iter() {
        if is_unknown(a) {
            return Ok(unknown());
        }
        if !matches!(a, Value::Null) && !matches!(a, Value::String(s) if s.is_empty()) {
            return Ok(a.clone());
        }
    }
    Err("coalesce: no non-null, non-empty argument".into())
}

fn contains(args: FuncArgs) -> Result<Value, String> {
    scalar!(args);
    Ok(Value::Bool(list(&args[0], "contains")?.contains(&args[1])))
}

fn keys(args: FuncArgs) -> Result<Value, String> {
    scalar!(args);
    match &args[0] {
        Value::Object(o) => {
            let mut k: Vec<String> = o.keys().cloned().collect();
            k.sort();
            Ok(Value::Array(k.into_iter().map(Value::from).collect()))
        }
        _ => Err("keys: a map is required".into()),
    }
}

fn values(args: FuncArgs) -> Result<Value, String> {
    scalar!(args);
    match &args[0] {
        Value::Object(o) => {
            let mut k: Vec<(&String, &Value)> = o.iter().collect();
            k.sort_by_key(|(k, _)| (*k).clone());
            Ok(Value::Array(k.into_iter().map(|(_, v)| v.clone()).collect()))
        }
        _ => Err("values: a map is required".into()),
    }
}

fn zipmap(args: FuncArgs) -> Result<Value, String> {
    scalar!(args);
    let (k, v) = (list(&args[0], "zipmap")?, list(&args[1], "zipmap")?);
    if k.len() != v.len() {
        return Err("zipmap: the lists differ in length".into());
    }
    let mut out = hcl::Map::new();
    for (k, v) in k.iter().zip(v) {
        out.insert(string(k, "zipmap")?, v);
    }
    Ok(Value::Object(out))
}

fn range(args: FuncArgs) -> Result<Value, String> {
    scalar!(args);
    let n: Vec<f64> = args.iter().map(|a| number(a, "range")).collect::<Result<_, _>>()?;
    let (start, end, step) = match n.as_slice() {
        [end] => (0.0, *end, 1.0),
        [start, end] => (*start, *end, if end >= start { 1.0 } else { -1.0 }),
        [start, end, step] => (*start, *end, *step),
        _ => return Err("range: one to three numbers".into()),
    };
    if step == 0.0 {
        return Err("range: step must not be 0".into());
    }
    let mut out = Vec::new();
    let mut x = start;
    while (step > 0.0 && x < end) || (step < 0.0 && x > end) {
        out.push(num(x));
        x += step;
        if out.len() > 1024 {
            return Err("range: more than 1024 elements".into());
        }
    }
    Ok(Value::Array(out))
}

fn element(args: FuncArgs) -> Result<Value, String> {
    scalar!(args);
    let items = list(&args[0], "element")?;
    if items.is_empty() {
        return Err("element: the list is empty".into());
    }
    let i = number(&args[1], "element")? as usize;
    Ok(items[i % items.len()].clone())
}

fn cidrsubnet(args: FuncArgs) -> Result<Value, String> {
    scalar!(args);
    let prefix = string(&args[0], "cidrsubnet")?;
    let (newbits, netnum) = (number(&args[1], "cidrsubnet")? as u32, number(&args[2], "cidrsubnet")? as u64);
    let (addr, len) = prefix.split_once('/').ok_or("cidrsubnet: not a CIDR prefix")?;
    let len: u32 = len.parse().map_err(|_| "cidrsubnet: bad prefix length")?;
    let octets: Vec<u32> =
        addr.split('.').map(|o| o.parse::<u32>()).collect::<Result<_, _>>().map_err(|_| "cidrsubnet: IPv4 only")?;
    if octets.len() != 4 || len + newbits > 32 {
        return Err("cidrsubnet: IPv4 only, and the new prefix must fit 32 bits".into());
    }
    let base = octets.iter().fold(0u32, |acc, o| (acc << 8) | o) & if len == 0 { 0 } else { u32::MAX << (32 - len) };
    let new_len = len + newbits;
    if netnum >= 1u64 << newbits {
        return Err(format!("cidrsubnet: {netnum} does not fit in {newbits} bits"));
    }
    let net = base | ((netnum as u32) << (32 - new_len));
    Ok(Value::from(format!("{}.{}.{}.{}/{new_len}", net >> 24, (net >> 16) & 255, (net >> 8) & 255, net & 255)))
}

fn to_json(v: &Value) -> serde_json::Value {
    serde_json::to_value(v).unwrap_or(serde_json::Value::Null)
}

fn jsonencode(args: FuncArgs) -> Result<Value, String> {
    if contains_unknown(&args[0]) {
        return Ok(unknown());
    }
    Ok(Value::from(to_json(&args[0]).to_string()))
}

fn yamlencode(args: FuncArgs) -> Result<Value, String> {
    if contains_unknown(&args[0]) {
        return Ok(unknown());
    }
    // JSON is YAML; Terraform's own output differs only in layout, which no attribute compares.
    Ok(Value::from(to_json(&args[0]).to_string()))
}

fn base64encode(args: FuncArgs) -> Result<Value, String> {
    scalar!(args);
    use base64::Engine;
    Ok(Value::from(base64::engine::general_purpose::STANDARD.encode(string(&args[0], "base64encode")?)))
}

fn file(args: FuncArgs) -> Result<Value, String> {
    scalar!(args);
    let path = string(&args[0], "file")?;
    std::fs::read_to_string(&path).map(Value::from).map_err(|e| format!("file({path:?}): {e}"))
}

fn templatefile(args: FuncArgs) -> Result<Value, String> {
    scalar!(args);
    use hcl::eval::Evaluate;
    let path = string(&args[0], "templatefile")?;
    let text = std::fs::read_to_string(&path).map_err(|e| format!("templatefile({path:?}): {e}"))?;
    let template: hcl::Template = text.parse().map_err(|e| format!("templatefile({path:?}): {e}"))?;
    let mut ctx = Context::new();
    if let Some(Value::Object(vars)) = args.get(1) {
        for (k, v) in vars {
            ctx.declare_var(k.as_str(), v.clone());
        }
    }
    template.evaluate(&ctx).map(Value::from).map_err(|e| format!("templatefile({path:?}): {e}"))
}

fn max(args: FuncArgs) -> Result<Value, String> {
    scalar!(args);
    let n: Vec<f64> = args.iter().map(|a| number(a, "max")).collect::<Result<_, _>>()?;
    n.into_iter().reduce(f64::max).map(num).ok_or_else(|| "max: no arguments".into())
}

fn min(args: FuncArgs) -> Result<Value, String> {
    scalar!(args);
    let n: Vec<f64> = args.iter().map(|a| number(a, "min")).collect::<Result<_, _>>()?;
    n.into_iter().reduce(f64::min).map(num).ok_or_else(|| "min: no arguments".into())
}

/// `try` and `can` need their arguments unevaluated; the evaluator rewrites them before
/// evaluation (`mod.rs`), so these see only values that did evaluate.
fn try_(args: FuncArgs) -> Result<Value, String> {
    args.iter().find(|a| !matches!(a, Value::Null)).cloned().ok_or_else(|| "try: no argument evaluated".into())
}

fn can(args: FuncArgs) -> Result<Value, String> {
    Ok(Value::Bool(!matches!(args[0], Value::Null)))
}

/// Every function, declared into `ctx`.
pub fn declare(ctx: &mut Context) {
    use ParamType::Any;
    let f = |func, fixed: usize, variadic: bool| {
        let mut b = FuncDef::builder();
        for _ in 0..fixed {
            b = b.param(Any);
        }
        if variadic {
            b = b.variadic_param(Any);
        }
        b.build(func)
    };
    let table: &[(&str, hcl::eval::Func, usize, bool)] = &[
        ("merge", merge, 0, true),
        ("lookup", lookup, 2, true),
        ("concat", concat, 0, true),
        ("flatten", flatten, 1, false),
        ("format", format, 1, true),
        ("join", join, 1, true),
        ("split", split, 2, false),
        ("replace", replace, 3, false),
        ("lower", lower, 1, false),
        ("upper", upper, 1, false),
        ("toset", toset, 1, false),
        ("tolist", tolist, 1, false),
        ("tomap", tomap, 1, false),
        ("length", length, 1, false),
        ("coalesce", coalesce, 0, true),
        ("contains", contains, 2, false),
        ("keys", keys, 1, false),
        ("values", values, 1, false),
        ("zipmap", zipmap, 2, false),
        ("range", range, 0, true),
        ("element", element, 2, false),
        ("cidrsubnet", cidrsubnet, 3, false),
        ("jsonencode", jsonencode, 1, false),
        ("yamlencode", yamlencode, 1, false),
        ("base64encode", base64encode, 1, false),
        ("file", file, 1, false),
        ("templatefile", templatefile, 1, true),
        ("max", max, 0, true),
        ("min", min, 0, true),
        ("try", try_, 0, true),
        ("can", can, 1, false),
    ];
    for (name, func, fixed, variadic) in table {
        ctx.declare_func(*name, f(*func, *fixed, *variadic));
    }
}

/// The names [`declare`] knows, for messages.
pub const NAMES: &[&str] = &[
    "merge",
    "lookup",
    "concat",
    "flatten",
    "format",
    "join",
    "split",
    "replace",
    "lower",
    "upper",
    "toset",
    "tolist",
    "tomap",
    "length",
    "coalesce",
    "contains",
    "keys",
    "values",
    "zipmap",
    "range",
    "element",
    "cidrsubnet",
    "jsonencode",
    "yamlencode",
    "base64encode",
    "file",
    "templatefile",
    "max",
    "min",
    "try",
    "can",
];
