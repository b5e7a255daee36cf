//! Value diffing: the leaf-level differences of a type's compared attributes, each value
//! normalised as its spec says.

use super::*;

/// Leaf-level differences of the compared attributes, with the severity of each.
/// Values are compared normalised and reported as written (case, order).
pub fn diff(spec: &TypeSpec, decl: &DeclaredResource, declared: &Value, live: &Value) -> Vec<(Change, Severity)> {
    let mut out = Vec::new();
    for attr in spec.compared {
        if attr.waived(declared, live) || (decl.from_code && path::get(declared, attr.path).is_none()) {
            continue;
        }
        let d = attr.normalised(declared, true);
        let l = attr.normalised(live, false);
        if values_equal(&d, &l) {
            continue;
        }
        let (d_shown, l_shown) = (attr.display(declared, true), attr.display(live, false));
        let mut leaves = Vec::new();
        diff_values(&mut Vec::new(), &d, &l, &mut leaves);
        let root: Vec<String> = path::segments(attr.path).map(str::to_string).collect();
        for rel in leaves {
            let full = path::join(&[root.clone(), rel.clone()].concat());
            // Unknown until apply, or `lifecycle { ignore_changes }`: Terraform would not
            // change it, so it is no drift to revert.
            if decl.is_unknown(&full) || decl.ignores_changes(&full) {
                continue;
            }
            let (declared, live) = if decl.is_sensitive(&full) {
                (Value::from("(sensitive)"), Value::from("(sensitive)"))
            } else {
                (lookup(&d_shown, &rel), lookup(&l_shown, &rel))
            };
            out.push((Change { path: full, declared, live }, attr.severity));
        }
    }
    out
}

/// Walk segments (map keys may contain dots, so no dotted lookup here).
fn lookup(v: &Value, segs: &[String]) -> Value {
    let mut cur = v;
    for s in segs {
        cur = match cur {
            Value::Object(m) => m.get(s).unwrap_or(&Value::Null),
            Value::Array(a) => s.parse::<usize>().ok().and_then(|i| a.get(i)).unwrap_or(&Value::Null),
            _ => &Value::Null,
        };
    }
    cur.clone()
}

/// Collect the segment paths (relative to the attribute) of every differing leaf.
fn diff_values(segs: &mut Vec<String>, d: &Value, l: &Value, out: &mut Vec<Vec<String>>) {
    if values_equal(d, l) {
        return;
    }
    static EMPTY_OBJECT: std::sync::LazyLock<Value> = std::sync::LazyLock::new(|| Value::Object(Default::default()));
    let (d, l) = match (d, l) {
        (Value::Null, Value::Object(_)) => (&*EMPTY_OBJECT, l),
        (Value::Object(_), Value::Null) => (d, &*EMPTY_OBJECT),
        _ => (d, l),
    };
    match (d, l) {
        (Value::Object(a), Value::Object(b)) => {
            let mut keys: Vec<&String> = a.keys().chain(b.keys()).collect();
            keys.sort();
            keys.dedup();
            for k in keys {
                segs.push(k.clone());
                diff_values(segs, a.get(k).unwrap_or(&Value::Null), b.get(k).unwrap_or(&Value::Null), out);
                segs.pop();
            }
        }
        (Value::Array(a), Value::Array(b)) if a.len() == b.len() && !a.iter().chain(b).all(is_scalar) => {
            for (i, (x, y)) in a.iter().zip(b).enumerate() {
                segs.push(i.to_string());
                diff_values(segs, x, y, out);
                segs.pop();
            }
        }
        _ => out.push(segs.clone()),
    }
}

fn is_scalar(v: &Value) -> bool {
    !matches!(v, Value::Array(_) | Value::Object(_))
}

/// Equality after normalisation: empty equals null, numbers compare by value.
pub fn values_equal(a: &Value, b: &Value) -> bool {
    if path::is_empty(a) && path::is_empty(b) {
        return true;
    }
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => x.as_f64() == y.as_f64(),
        (Value::Array(x), Value::Array(y)) => x.len() == y.len() && x.iter().zip(y).all(|(p, q)| values_equal(p, q)),
        (Value::Object(x), Value::Object(y)) => {
            x.iter().all(|(k, v)| values_equal(v, y.get(k).unwrap_or(&Value::Null)))
                && y.iter().all(|(k, v)| x.contains_key(k) || path::is_empty(v))
        }
        _ => a == b,
    }
}
