//! Date and time functions. `timestamp` and `plantimestamp` are known only at plan time.

use super::{string, unknown, Env};
use hcl::Value;
use jiff::Timestamp;

pub fn impure(_: &[Value], _: &Env) -> Result<Value, String> {
    Ok(unknown())
}

fn parse(s: &str, what: &str) -> Result<jiff::Zoned, String> {
    // RFC 3339, as Terraform requires.
    let ts: Timestamp = s.parse().map_err(|_| format!("{what}: {s:?} is not an RFC 3339 timestamp"))?;
    let offset = rfc3339_offset(s);
    Ok(ts.to_zoned(jiff::tz::TimeZone::fixed(offset)))
}

fn rfc3339_offset(s: &str) -> jiff::tz::Offset {
    if s.ends_with('Z') || s.ends_with('z') {
        return jiff::tz::Offset::UTC;
    }
    let tail = &s[s.len().saturating_sub(6)..];
    let sign = if tail.starts_with('-') { -1 } else { 1 };
    let h: i32 = tail.get(1..3).and_then(|h| h.parse().ok()).unwrap_or(0);
    let m: i32 = tail.get(4..6).and_then(|m| m.parse().ok()).unwrap_or(0);
    jiff::tz::Offset::from_seconds(sign * (h * 3600 + m * 60)).unwrap_or(jiff::tz::Offset::UTC)
}

/// `formatdate(spec, timestamp)` with Terraform's spec letters; quoted literals in `'...'`.
pub fn formatdate(a: &[Value], _: &Env) -> Result<Value, String> {
    let spec = string(&a[0], "formatdate")?;
    let t = parse(&string(&a[1], "formatdate")?, "formatdate")?;
    let chars: Vec<char> = spec.chars().collect();
    let mut out = String::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if c == '\'' {
            let end = chars[i + 1..].iter().position(|&x| x == '\'').ok_or("formatdate: unterminated literal")?;
            let lit: String = chars[i + 1..i + 1 + end].iter().collect();
            out.push_str(if lit.is_empty() { "'" } else { &lit });
            i += end + 2;
            continue;
        }
        if !c.is_ascii_alphabetic() {
            out.push(c);
            i += 1;
            continue;
        }
        let mut n = 1;
        while i + n < chars.len() && chars[i + n] == c {
            n += 1;
        }
        let (y, mo, d) = (t.year(), t.month(), t.day());
        let (h, mi, s) = (t.hour(), t.minute(), t.second());
        const MONTHS: [&str; 12] = [
            "January",
            "February",
            "March",
            "April",
            "May",
            "June",
            "July",
            "August",
            "September",
            "October",
            "November",
            "December",
        ];
        const DAYS: [&str; 7] = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"];
        let weekday = DAYS[t.weekday().to_monday_zero_offset() as usize];
        let text = match (c, n) {
            ('Y', 4) => format!("{y:04}"),
            ('Y', 2) => format!("{:02}", y % 100),
            ('M', 1) => mo.to_string(),
            ('M', 2) => format!("{mo:02}"),
            ('M', 3) => MONTHS[mo as usize - 1][..3].to_string(),
            ('M', 4) => MONTHS[mo as usize - 1].to_string(),
            ('D', 1) => d.to_string(),
            ('D', 2) => format!("{d:02}"),
            ('E', 3) => weekday[..3].to_string(),
            ('E', 4) => weekday.to_string(),
            ('h', 1) => h.to_string(),
            ('h', 2) => format!("{h:02}"),
            ('H', 1) => (if h % 12 == 0 { 12 } else { h % 12 }).to_string(),
            ('H', 2) => format!("{:02}", if h % 12 == 0 { 12 } else { h % 12 }),
            ('A', 2) => (if h < 12 { "AM" } else { "PM" }).to_string(),
            ('a', 2) => (if h < 12 { "am" } else { "pm" }).to_string(),
            ('m', 1) => mi.to_string(),
            ('m', 2) => format!("{mi:02}"),
            ('s', 1) => s.to_string(),
            ('s', 2) => format!("{s:02}"),
            ('Z', 1) | ('Z', 3) | ('Z', 4) | ('Z', 5) => {
                let secs = t.offset().seconds();
                match (secs, n) {
                    (0, 1) => "Z".to_string(),
                    (0, 3) => "UTC".to_string(),
                    _ => {
                        let sign = if secs < 0 { '-' } else { '+' };
                        let (hh, mm) = (secs.abs() / 3600, secs.abs() % 3600 / 60);
                        match n {
                            4 => format!("{sign}{hh:02}{mm:02}"),
                            _ => format!("{sign}{hh:02}:{mm:02}"),
                        }
                    }
                }
            }
            _ => {
                return Err(format!(
                    "formatdate: invalid date format verb {:?}",
                    chars[i..i + n].iter().collect::<String>()
                ))
            }
        };
        out.push_str(&text);
        i += n;
    }
    Ok(Value::from(out))
}

/// Go's `time.ParseDuration`: `1h30m`, `-5s`, `300ms`.
fn duration(s: &str) -> Result<f64, String> {
    let bad = || format!("timeadd: {s:?} is not a duration");
    let (neg, mut rest) = match s.strip_prefix('-') {
        Some(r) => (true, r),
        None => (false, s.strip_prefix('+').unwrap_or(s)),
    };
    if rest == "0" {
        return Ok(0.0);
    }
    if rest.is_empty() {
        return Err(bad());
    }
    let mut total = 0.0;
    while !rest.is_empty() {
        let n = rest.find(|c: char| !(c.is_ascii_digit() || c == '.')).ok_or_else(bad)?;
        let value: f64 = rest[..n].parse().map_err(|_| bad())?;
        rest = &rest[n..];
        let unit_len = rest.find(|c: char| c.is_ascii_digit() || c == '.').unwrap_or(rest.len());
        let scale = match &rest[..unit_len] {
            "ns" => 1e-9,
            "us" | "µs" | "μs" => 1e-6,
            "ms" => 1e-3,
            "s" => 1.0,
            "m" => 60.0,
            "h" => 3600.0,
            _ => return Err(bad()),
        };
        total += value * scale;
        rest = &rest[unit_len..];
    }
    Ok(if neg { -total } else { total })
}

pub fn timeadd(a: &[Value], _: &Env) -> Result<Value, String> {
    let t = parse(&string(&a[0], "timeadd")?, "timeadd")?;
    let secs = duration(&string(&a[1], "timeadd")?)?;
    let span = jiff::SignedDuration::from_secs_f64(secs);
    let shifted = t.timestamp().checked_add(span).map_err(|e| format!("timeadd: {e}"))?;
    let z = shifted.to_zoned(t.time_zone().clone());
    let offset = z.offset();
    let text = if offset.seconds() == 0 {
        z.strftime("%Y-%m-%dT%H:%M:%SZ").to_string()
    } else {
        z.strftime("%Y-%m-%dT%H:%M:%S%:z").to_string()
    };
    Ok(Value::from(text))
}

pub fn timecmp(a: &[Value], _: &Env) -> Result<Value, String> {
    let x = parse(&string(&a[0], "timecmp")?, "timecmp")?.timestamp();
    let y = parse(&string(&a[1], "timecmp")?, "timecmp")?.timestamp();
    Ok(Value::from(match x.cmp(&y) {
        std::cmp::Ordering::Less => -1,
        std::cmp::Ordering::Equal => 0,
        std::cmp::Ordering::Greater => 1,
    }))
}
