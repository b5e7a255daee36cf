//! Numeric functions.

use super::{integer, num, number, string, Env};
use hcl::Value;

pub fn abs(a: &[Value], _: &Env) -> Result<Value, String> {
    Ok(num(number(&a[0], "abs")?.abs()))
}

pub fn ceil(a: &[Value], _: &Env) -> Result<Value, String> {
    Ok(num(number(&a[0], "ceil")?.ceil()))
}

pub fn floor(a: &[Value], _: &Env) -> Result<Value, String> {
    Ok(num(number(&a[0], "floor")?.floor()))
}

pub fn log(a: &[Value], _: &Env) -> Result<Value, String> {
    Ok(num(number(&a[0], "log")?.ln() / number(&a[1], "log")?.ln()))
}

/// `max(1, 2)` or `max(var.list...)`.
fn numbers(a: &[Value], what: &str) -> Result<Vec<f64>, String> {
    a.iter().map(|v| number(v, what)).collect()
}

pub fn max(a: &[Value], _: &Env) -> Result<Value, String> {
    Ok(num(numbers(a, "max")?.into_iter().fold(f64::NEG_INFINITY, f64::max)))
}

pub fn min(a: &[Value], _: &Env) -> Result<Value, String> {
    Ok(num(numbers(a, "min")?.into_iter().fold(f64::INFINITY, f64::min)))
}

pub fn parseint(a: &[Value], _: &Env) -> Result<Value, String> {
    let s = string(&a[0], "parseint")?;
    let base = integer(&a[1], "parseint")?;
    if !(2..=62).contains(&base) {
        return Err(format!("parseint: base {base} is not between 2 and 62"));
    }
    let (neg, digits) = match s.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, s.strip_prefix('+').unwrap_or(&s)),
    };
    if digits.is_empty() {
        return Err(format!("parseint: cannot parse {s:?} as a base {base} integer"));
    }
    let mut n: i128 = 0;
    for c in digits.chars() {
        // Go's big.Int SetString digits: 0-9, a-z, then A-Z above base 36.
        let d = match c {
            '0'..='9' => c as i128 - '0' as i128,
            'a'..='z' => c as i128 - 'a' as i128 + 10,
            'A'..='Z' if base <= 36 => c as i128 - 'A' as i128 + 10,
            'A'..='Z' => c as i128 - 'A' as i128 + 36,
            _ => return Err(format!("parseint: cannot parse {s:?} as a base {base} integer")),
        };
        if d >= base as i128 {
            return Err(format!("parseint: cannot parse {s:?} as a base {base} integer"));
        }
        n = n.checked_mul(base as i128).and_then(|n| n.checked_add(d)).ok_or("parseint: number too large")?;
    }
    Ok(num(if neg { -(n as f64) } else { n as f64 }))
}

pub fn pow(a: &[Value], _: &Env) -> Result<Value, String> {
    Ok(num(number(&a[0], "pow")?.powf(number(&a[1], "pow")?)))
}

pub fn signum(a: &[Value], _: &Env) -> Result<Value, String> {
    let n = number(&a[0], "signum")?;
    Ok(num(if n > 0.0 {
        1.0
    } else if n < 0.0 {
        -1.0
    } else {
        0.0
    }))
}
