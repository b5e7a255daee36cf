//! Encoding functions.

use super::{string, Env};
use base64::Engine;
use hcl::{Map, Value};
use std::io::Write;

const B64: base64::engine::GeneralPurpose = base64::engine::general_purpose::STANDARD;

pub fn base64encode(a: &[Value], _: &Env) -> Result<Value, String> {
    Ok(Value::from(B64.encode(string(&a[0], "base64encode")?)))
}

pub fn base64decode(a: &[Value], _: &Env) -> Result<Value, String> {
    let bytes = B64.decode(string(&a[0], "base64decode")?).map_err(|e| format!("base64decode: {e}"))?;
    String::from_utf8(bytes).map(Value::from).map_err(|_| "base64decode: the result is not valid UTF-8".into())
}

pub fn base64gzip(a: &[Value], _: &Env) -> Result<Value, String> {
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    gz.write_all(string(&a[0], "base64gzip")?.as_bytes()).map_err(|e| format!("base64gzip: {e}"))?;
    Ok(Value::from(B64.encode(gz.finish().map_err(|e| format!("base64gzip: {e}"))?)))
}

/// Go's `url.QueryEscape`.
pub fn urlencode(a: &[Value], _: &Env) -> Result<Value, String> {
    let mut out = String::new();
    for b in string(&a[0], "urlencode")?.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => out.push(b as char),
            b' ' => out.push('+'),
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    Ok(Value::from(out))
}

/// Terraform's encodings for `textencodebase64`: UTF-8 and UTF-16 (what Windows user data
/// needs); others are refused by name.
fn encode_text(s: &str, encoding: &str) -> Result<Vec<u8>, String> {
    match encoding.to_ascii_uppercase().replace('_', "-").as_str() {
        "UTF-8" | "UTF8" => Ok(s.as_bytes().to_vec()),
        "UTF-16LE" => Ok(s.encode_utf16().flat_map(u16::to_le_bytes).collect()),
        "UTF-16BE" | "UTF-16" => Ok(s.encode_utf16().flat_map(u16::to_be_bytes).collect()),
        other => Err(format!("encoding {other:?} is not one driftd evaluates (UTF-8, UTF-16LE, UTF-16BE)")),
    }
}

pub fn textencodebase64(a: &[Value], _: &Env) -> Result<Value, String> {
    let bytes = encode_text(&string(&a[0], "textencodebase64")?, &string(&a[1], "textencodebase64")?)
        .map_err(|e| format!("textencodebase64: {e}"))?;
    Ok(Value::from(B64.encode(bytes)))
}

pub fn textdecodebase64(a: &[Value], _: &Env) -> Result<Value, String> {
    let bytes = B64.decode(string(&a[0], "textdecodebase64")?).map_err(|e| format!("textdecodebase64: {e}"))?;
    let encoding = string(&a[1], "textdecodebase64")?;
    let units = |be: bool| -> Vec<u16> {
        bytes
            .chunks(2)
            .map(|c| {
                if be {
                    u16::from_be_bytes([c[0], *c.get(1).unwrap_or(&0)])
                } else {
                    u16::from_le_bytes([c[0], *c.get(1).unwrap_or(&0)])
                }
            })
            .collect()
    };
    let text = match encoding.to_ascii_uppercase().replace('_', "-").as_str() {
        "UTF-8" | "UTF8" => String::from_utf8(bytes).map_err(|_| "textdecodebase64: not valid UTF-8".to_string())?,
        "UTF-16LE" => String::from_utf16_lossy(&units(false)),
        "UTF-16BE" | "UTF-16" => String::from_utf16_lossy(&units(true)),
        other => return Err(format!("textdecodebase64: encoding {other:?} is not one driftd evaluates")),
    };
    Ok(Value::from(text))
}

/// JSON with keys sorted and `<`, `>`, `&` escaped, as Go's `json.Marshal` writes it.
pub(crate) fn json_text(v: &Value) -> Result<String, String> {
    let text = serde_json::to_string(&to_json(v)).map_err(|e| format!("jsonencode: {e}"))?;
    Ok(text.replace('<', "\\u003c").replace('>', "\\u003e").replace('&', "\\u0026"))
}

fn to_json(v: &Value) -> serde_json::Value {
    match v {
        Value::Null => serde_json::Value::Null,
        Value::Bool(b) => serde_json::Value::Bool(*b),
        Value::Number(n) => match (n.as_i64(), n.as_f64()) {
            (Some(i), _) => serde_json::Value::from(i),
            (None, Some(f)) if f.fract() == 0.0 && f.abs() < 9e15 => serde_json::Value::from(f as i64),
            (None, Some(f)) => {
                serde_json::Number::from_f64(f).map_or(serde_json::Value::Null, serde_json::Value::Number)
            }
            _ => serde_json::Value::Null,
        },
        Value::String(s) => serde_json::Value::String(s.clone()),
        Value::Array(a) => serde_json::Value::Array(a.iter().map(to_json).collect()),
        Value::Object(o) => {
            let sorted: std::collections::BTreeMap<&String, serde_json::Value> =
                o.iter().map(|(k, v)| (k, to_json(v))).collect();
            serde_json::Value::Object(sorted.into_iter().map(|(k, v)| (k.clone(), v)).collect())
        }
    }
}

pub(crate) fn from_json(v: serde_json::Value) -> Value {
    match v {
        serde_json::Value::Null => Value::Null,
        serde_json::Value::Bool(b) => Value::Bool(b),
        serde_json::Value::Number(n) => match n.as_i64() {
            Some(i) => Value::from(i),
            None => super::num(n.as_f64().unwrap_or(0.0)),
        },
        serde_json::Value::String(s) => Value::String(s),
        serde_json::Value::Array(a) => Value::Array(a.into_iter().map(from_json).collect()),
        serde_json::Value::Object(o) => Value::Object(o.into_iter().map(|(k, v)| (k, from_json(v))).collect()),
    }
}

pub fn jsonencode(a: &[Value], _: &Env) -> Result<Value, String> {
    Ok(Value::from(json_text(&a[0])?))
}

pub fn jsondecode(a: &[Value], _: &Env) -> Result<Value, String> {
    let text = string(&a[0], "jsondecode")?;
    serde_json::from_str(&text).map(from_json).map_err(|e| format!("jsondecode: {e}"))
}

pub fn yamldecode(a: &[Value], _: &Env) -> Result<Value, String> {
    let text = string(&a[0], "yamldecode")?;
    let v: serde_json::Value = serde_yaml_ng::from_str(&text).map_err(|e| format!("yamldecode: {e}"))?;
    Ok(from_json(v))
}

pub fn yamlencode(a: &[Value], _: &Env) -> Result<Value, String> {
    serde_yaml_ng::to_string(&to_json(&a[0])).map(Value::from).map_err(|e| format!("yamlencode: {e}"))
}

/// RFC 4180 with a header row; every value a string, as Terraform's `csvdecode`.
pub fn csvdecode(a: &[Value], _: &Env) -> Result<Value, String> {
    let text = string(&a[0], "csvdecode")?;
    let mut reader = csv::ReaderBuilder::new().has_headers(true).from_reader(text.as_bytes());
    let headers = reader.headers().map_err(|e| format!("csvdecode: {e}"))?.clone();
    let mut rows = Vec::new();
    for record in reader.records() {
        let record = record.map_err(|e| format!("csvdecode: {e}"))?;
        let mut row = Map::new();
        for (h, v) in headers.iter().zip(record.iter()) {
            row.insert(h.to_string(), Value::from(v));
        }
        rows.push(Value::Object(row));
    }
    Ok(Value::Array(rows))
}
