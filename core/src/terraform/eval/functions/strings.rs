//! String functions, with Go's `fmt` verbs for `format` and RE2 syntax for `regex`.

use super::{integer, list, number, number_text, object, string, type_name, Env};
use hcl::{Map, Value};

pub fn chomp(a: &[Value], _: &Env) -> Result<Value, String> {
    let s = string(&a[0], "chomp")?;
    let mut t = s.as_str();
    while let Some(rest) = t.strip_suffix("\r\n").or_else(|| t.strip_suffix('\n')) {
        t = rest;
    }
    Ok(Value::from(t))
}

pub fn endswith(a: &[Value], _: &Env) -> Result<Value, String> {
    Ok(Value::Bool(string(&a[0], "endswith")?.ends_with(&string(&a[1], "endswith")?)))
}

pub fn startswith(a: &[Value], _: &Env) -> Result<Value, String> {
    Ok(Value::Bool(string(&a[0], "startswith")?.starts_with(&string(&a[1], "startswith")?)))
}

pub fn strcontains(a: &[Value], _: &Env) -> Result<Value, String> {
    Ok(Value::Bool(string(&a[0], "strcontains")?.contains(&string(&a[1], "strcontains")?)))
}

pub fn lower(a: &[Value], _: &Env) -> Result<Value, String> {
    Ok(Value::from(string(&a[0], "lower")?.to_lowercase()))
}

pub fn upper(a: &[Value], _: &Env) -> Result<Value, String> {
    Ok(Value::from(string(&a[0], "upper")?.to_uppercase()))
}

pub fn strrev(a: &[Value], _: &Env) -> Result<Value, String> {
    Ok(Value::from(string(&a[0], "strrev")?.chars().rev().collect::<String>()))
}

pub fn trimspace(a: &[Value], _: &Env) -> Result<Value, String> {
    Ok(Value::from(string(&a[0], "trimspace")?.trim()))
}

pub fn trim(a: &[Value], _: &Env) -> Result<Value, String> {
    let cut = string(&a[1], "trim")?;
    Ok(Value::from(string(&a[0], "trim")?.trim_matches(|c| cut.contains(c))))
}

pub fn trimprefix(a: &[Value], _: &Env) -> Result<Value, String> {
    let s = string(&a[0], "trimprefix")?;
    let p = string(&a[1], "trimprefix")?;
    Ok(Value::from(s.strip_prefix(p.as_str()).unwrap_or(&s)))
}

pub fn trimsuffix(a: &[Value], _: &Env) -> Result<Value, String> {
    let s = string(&a[0], "trimsuffix")?;
    let p = string(&a[1], "trimsuffix")?;
    Ok(Value::from(s.strip_suffix(p.as_str()).unwrap_or(&s)))
}

/// Go's `strings.Title`: the first letter of each word upper-cased.
pub fn title(a: &[Value], _: &Env) -> Result<Value, String> {
    let s = string(&a[0], "title")?;
    let mut out = String::with_capacity(s.len());
    let mut prev_sep = true;
    for c in s.chars() {
        out.extend(if prev_sep { c.to_uppercase().collect::<Vec<_>>() } else { vec![c] });
        prev_sep = !(c.is_alphanumeric() || c == '_');
    }
    Ok(Value::from(out))
}

pub fn indent(a: &[Value], _: &Env) -> Result<Value, String> {
    let n = integer(&a[0], "indent")?.max(0) as usize;
    let s = string(&a[1], "indent")?;
    let pad = " ".repeat(n);
    Ok(Value::from(s.replace('\n', &format!("\n{pad}"))))
}

pub fn join(a: &[Value], _: &Env) -> Result<Value, String> {
    let sep = string(&a[0], "join")?;
    let mut parts = Vec::new();
    for l in &a[1..] {
        for v in list(l, "join")? {
            parts.push(string(&v, "join")?);
        }
    }
    Ok(Value::from(parts.join(&sep)))
}

pub fn split(a: &[Value], _: &Env) -> Result<Value, String> {
    let (sep, s) = (string(&a[0], "split")?, string(&a[1], "split")?);
    if sep.is_empty() {
        return Ok(Value::Array(s.chars().map(|c| Value::from(c.to_string())).collect()));
    }
    Ok(Value::Array(s.split(sep.as_str()).map(Value::from).collect()))
}

/// Characters from `offset` (negative: from the end), `length` of them (-1: to the end).
pub fn substr(a: &[Value], _: &Env) -> Result<Value, String> {
    let chars: Vec<char> = string(&a[0], "substr")?.chars().collect();
    let (mut offset, length) = (integer(&a[1], "substr")?, integer(&a[2], "substr")?);
    let n = chars.len() as i64;
    if offset < 0 {
        offset += n;
    }
    if offset < 0 || offset > n {
        return Err(format!("substr: offset {offset} is out of range for a string of {n} characters"));
    }
    let end = if length < 0 { n } else { (offset + length).min(n) };
    Ok(Value::from(chars[offset as usize..end as usize].iter().collect::<String>()))
}

pub fn templatestring(a: &[Value], env: &Env) -> Result<Value, String> {
    let template = string(&a[0], "templatestring")?;
    let vars = object(&a[1], "templatestring")?;
    (env.template)(&template, vars)
}

/// A `/.../` pattern's regular expression (RE2 syntax, as Terraform's).
fn compile(pattern: &str, what: &str) -> Result<regex::Regex, String> {
    regex::RegexBuilder::new(pattern)
        .size_limit(1 << 22)
        .build()
        .map_err(|e| format!("{what}: invalid regular expression {pattern:?}: {e}"))
}

/// One match as Terraform returns it: the string, a list of captures or an object of
/// named captures.
fn match_value(re: &regex::Regex, caps: &regex::Captures) -> Value {
    let named: Vec<&str> = re.capture_names().flatten().collect();
    if !named.is_empty() {
        let mut m = Map::new();
        for name in named {
            m.insert(name.to_string(), caps.name(name).map_or(Value::Null, |c| Value::from(c.as_str())));
        }
        return Value::Object(m);
    }
    if re.captures_len() > 1 {
        return Value::Array(
            (1..re.captures_len()).map(|i| caps.get(i).map_or(Value::Null, |c| Value::from(c.as_str()))).collect(),
        );
    }
    Value::from(caps.get(0).map_or("", |m| m.as_str()))
}

pub fn regex(a: &[Value], _: &Env) -> Result<Value, String> {
    let re = compile(&string(&a[0], "regex")?, "regex")?;
    let s = string(&a[1], "regex")?;
    let caps = re.captures(&s).ok_or_else(|| format!("regex: pattern {:?} does not match {s:?}", re.as_str()))?;
    Ok(match_value(&re, &caps))
}

pub fn regexall(a: &[Value], _: &Env) -> Result<Value, String> {
    let re = compile(&string(&a[0], "regexall")?, "regexall")?;
    let s = string(&a[1], "regexall")?;
    Ok(Value::Array(re.captures_iter(&s).map(|c| match_value(&re, &c)).collect()))
}

/// `replace(s, "x", "y")`, or with a `/regex/` and `$1` references in the replacement.
pub fn replace(a: &[Value], _: &Env) -> Result<Value, String> {
    let (s, from, to) = (string(&a[0], "replace")?, string(&a[1], "replace")?, string(&a[2], "replace")?);
    if from.len() > 1 && from.starts_with('/') && from.ends_with('/') {
        let re = compile(&from[1..from.len() - 1], "replace")?;
        return Ok(Value::from(re.replace_all(&s, to.as_str()).into_owned()));
    }
    Ok(Value::from(s.replace(&from, &to)))
}

pub fn format(a: &[Value], _: &Env) -> Result<Value, String> {
    Ok(Value::from(go_format(&string(&a[0], "format")?, &a[1..])?))
}

/// `formatlist(spec, ...)`: lists are iterated together, scalars repeated.
pub fn formatlist(a: &[Value], _: &Env) -> Result<Value, String> {
    let spec = string(&a[0], "formatlist")?;
    let mut n: Option<usize> = None;
    for v in &a[1..] {
        if let Value::Array(items) = v {
            match n {
                Some(m) if m != items.len() => return Err("formatlist: the lists differ in length".into()),
                _ => n = Some(items.len()),
            }
        }
    }
    let n = n.unwrap_or(1);
    let mut out = Vec::with_capacity(n);
    for i in 0..n {
        let args: Vec<Value> = a[1..]
            .iter()
            .map(|v| match v {
                Value::Array(items) => items[i].clone(),
                other => other.clone(),
            })
            .collect();
        out.push(Value::from(go_format(&spec, &args)?));
    }
    Ok(Value::Array(out))
}

/// Go's `fmt` as cty's `format` uses it: flags `+ - # 0 space`, width, precision, `%[n]`
/// argument indexes, and the verbs `v t b d o x X e E f g G s q %`.
pub(crate) fn go_format(spec: &str, args: &[Value]) -> Result<String, String> {
    let chars: Vec<char> = spec.chars().collect();
    let mut out = String::new();
    let mut next = 0usize;
    let mut i = 0;
    while i < chars.len() {
        if chars[i] != '%' {
            out.push(chars[i]);
            i += 1;
            continue;
        }
        i += 1;
        let (mut plus, mut minus, mut sharp, mut zero, mut space) = (false, false, false, false, false);
        while i < chars.len() {
            match chars[i] {
                '+' => plus = true,
                '-' => minus = true,
                '#' => sharp = true,
                '0' => zero = true,
                ' ' => space = true,
                _ => break,
            }
            i += 1;
        }
        if i < chars.len() && chars[i] == '[' {
            let end = chars[i..].iter().position(|&c| c == ']').ok_or("format: unterminated argument index")?;
            let n: usize = chars[i + 1..i + end]
                .iter()
                .collect::<String>()
                .parse()
                .map_err(|_| "format: bad argument index".to_string())?;
            next = n.checked_sub(1).ok_or("format: argument indexes start at 1")?;
            i += end + 1;
        }
        let mut width = None;
        let start = i;
        while i < chars.len() && chars[i].is_ascii_digit() {
            i += 1;
        }
        if i > start {
            width = chars[start..i].iter().collect::<String>().parse::<usize>().ok();
        }
        let mut precision = None;
        if i < chars.len() && chars[i] == '.' {
            i += 1;
            let start = i;
            while i < chars.len() && chars[i].is_ascii_digit() {
                i += 1;
            }
            precision = Some(chars[start..i].iter().collect::<String>().parse::<usize>().unwrap_or(0));
        }
        let verb = *chars.get(i).ok_or("format: the spec ends with an unfinished verb")?;
        i += 1;
        if verb == '%' {
            out.push('%');
            continue;
        }
        let v = args.get(next).ok_or_else(|| format!("format: not enough arguments for %{verb}"))?;
        next += 1;
        let num_sign = |f: f64, text: String| -> String {
            if f >= 0.0 && plus {
                format!("+{text}")
            } else if f >= 0.0 && space {
                format!(" {text}")
            } else {
                text
            }
        };
        let text = match verb {
            'v' if sharp => encode_json(v)?,
            'v' => match v {
                Value::String(s) => s.clone(),
                Value::Number(n) => number_text(n),
                Value::Bool(b) => b.to_string(),
                Value::Null => "null".into(),
                other => encode_json(other)?,
            },
            's' => {
                let s = string(v, "format %s")?;
                match precision {
                    Some(p) => s.chars().take(p).collect(),
                    None => s,
                }
            }
            'q' => serde_json::to_string(&string(v, "format %q")?).unwrap_or_default(),
            't' => super::boolean(v, "format %t")?.to_string(),
            'd' | 'b' | 'o' | 'x' | 'X' if matches!(v, Value::String(_)) && verb != 'd' => {
                // %x of a string: its bytes in hex.
                let s = string(v, "format")?;
                match verb {
                    'x' => s.bytes().map(|b| format!("{b:02x}")).collect(),
                    'X' => s.bytes().map(|b| format!("{b:02X}")).collect(),
                    _ => return Err(format!("format: %{verb} needs a number, got string")),
                }
            }
            'd' | 'b' | 'o' | 'x' | 'X' => {
                let f = number(v, &format!("format %{verb}"))?;
                if f.fract() != 0.0 {
                    return Err(format!("format: %{verb} needs a whole number, got {f}"));
                }
                let n = f as i64;
                let mag = n.unsigned_abs();
                let body = match verb {
                    'd' => mag.to_string(),
                    'b' => format!("{mag:b}"),
                    'o' => format!("{}{mag:o}", if sharp { "0" } else { "" }),
                    'x' => format!("{}{mag:x}", if sharp { "0x" } else { "" }),
                    _ => format!("{}{mag:X}", if sharp { "0X" } else { "" }),
                };
                num_sign(f, if n < 0 { format!("-{body}") } else { body })
            }
            'e' | 'E' | 'f' | 'F' | 'g' | 'G' => {
                let f = number(v, &format!("format %{verb}"))?;
                let text = match verb {
                    'f' | 'F' => format!("{:.*}", precision.unwrap_or(6), f),
                    'e' | 'E' => {
                        let t = go_exp(f, precision.unwrap_or(6));
                        if verb == 'E' {
                            t.to_uppercase()
                        } else {
                            t
                        }
                    }
                    _ => {
                        let t = match precision {
                            Some(p) => format!("{}", (f * 10f64.powi(p as i32)).round() / 10f64.powi(p as i32)),
                            None => format!("{f}"),
                        };
                        if verb == 'G' {
                            t.to_uppercase()
                        } else {
                            t
                        }
                    }
                };
                num_sign(f, text)
            }
            other => return Err(format!("format: unsupported verb %{other} for {}", type_name(v))),
        };
        let len = text.chars().count();
        match width {
            Some(w) if len < w => {
                let fill = w - len;
                if minus {
                    out.push_str(&text);
                    out.push_str(&" ".repeat(fill));
                } else if zero && !matches!(verb, 's' | 'q' | 'v' | 't') {
                    let (sign, digits) = match text.strip_prefix(['-', '+']) {
                        Some(d) => (&text[..1], d),
                        None => ("", text.as_str()),
                    };
                    out.push_str(sign);
                    out.push_str(&"0".repeat(fill));
                    out.push_str(digits);
                } else {
                    out.push_str(&" ".repeat(fill));
                    out.push_str(&text);
                }
            }
            _ => out.push_str(&text),
        }
    }
    Ok(out)
}

/// Go's `%e`: `1.234560e+03`.
fn go_exp(f: f64, precision: usize) -> String {
    let t = format!("{:.*e}", precision, f);
    match t.split_once('e') {
        Some((m, e)) => {
            let exp: i32 = e.parse().unwrap_or(0);
            format!("{m}e{}{:02}", if exp < 0 { '-' } else { '+' }, exp.abs())
        }
        None => t,
    }
}

fn encode_json(v: &Value) -> Result<String, String> {
    super::encoding::json_text(v)
}
