//! Attribute paths in the contract's dotted form: `metadata_options.0.http_tokens`,
//! `tags.owner`. Spec paths are plain segments; map keys found while diffing may
//! themselves contain dots (`kubernetes.io/role`), so paths are kept as segments
//! and joined only for display.

use serde_json::Value;

/// Split a spec path (`a.0.b`) into segments.
pub fn segments(path: &str) -> impl Iterator<Item = &str> {
    path.split('.').filter(|s| !s.is_empty())
}

/// The value at a dotted path, if any. Numeric segments index lists.
pub fn get<'a>(root: &'a Value, path: &str) -> Option<&'a Value> {
    let mut cur = root;
    for seg in segments(path) {
        cur = step(cur, seg)?;
    }
    Some(cur)
}

fn step<'a>(v: &'a Value, seg: &str) -> Option<&'a Value> {
    match v {
        Value::Object(map) => map.get(seg),
        Value::Array(items) => seg.parse::<usize>().ok().and_then(|i| items.get(i)),
        _ => None,
    }
}

/// Set the value at a dotted path, creating objects and lists on the way.
pub fn set(root: &mut Value, path: &str, value: Value) {
    let segs: Vec<&str> = segments(path).collect();
    let mut cur = root;
    for (i, seg) in segs.iter().enumerate() {
        let last = i + 1 == segs.len();
        let next_is_index = segs.get(i + 1).is_some_and(|s| s.parse::<usize>().is_ok());
        let fresh = || {
            if next_is_index {
                Value::Array(vec![])
            } else {
                Value::Object(Default::default())
            }
        };
        if let Ok(idx) = seg.parse::<usize>() {
            if !cur.is_array() {
                *cur = Value::Array(vec![]);
            }
            let items = cur.as_array_mut().expect("just made an array");
            while items.len() <= idx {
                items.push(Value::Null);
            }
            if last {
                items[idx] = value;
                return;
            }
            if items[idx].is_null() {
                items[idx] = fresh();
            }
            cur = &mut items[idx];
        } else {
            if !cur.is_object() {
                *cur = Value::Object(Default::default());
            }
            let map = cur.as_object_mut().expect("just made an object");
            if last {
                map.insert(seg.to_string(), value);
                return;
            }
            cur = map.entry(seg.to_string()).or_insert_with(fresh);
        }
    }
    *cur = value;
}

/// Append to the list at a dotted path; an unset or empty value becomes a list.
pub fn push(root: &mut Value, path: &str, value: Value) {
    let mut list = match get(root, path) {
        Some(Value::Array(items)) => items.clone(),
        _ => Vec::new(),
    };
    list.push(value);
    set(root, path, Value::Array(list));
}

/// Join segments for display (`tags.owner`).
pub fn join(segs: &[String]) -> String {
    segs.join(".")
}

/// A value that carries no information: null, "", [] or {}. Empty and null are the
/// same thing for drift purposes (Terraform writes both for "not set").
pub fn is_empty(v: &Value) -> bool {
    match v {
        Value::Null => true,
        Value::String(s) => s.is_empty(),
        Value::Array(a) => a.is_empty(),
        Value::Object(o) => o.is_empty(),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn get_walks_objects_and_lists() {
        let v = json!({"metadata_options": [{"http_tokens": "required"}], "tags": {"a.b": "x"}});
        assert_eq!(get(&v, "metadata_options.0.http_tokens"), Some(&json!("required")));
        assert_eq!(get(&v, "metadata_options.1.http_tokens"), None);
        assert_eq!(get(&v, "tags"), Some(&json!({"a.b": "x"})));
        assert_eq!(get(&v, "nope.0"), None);
    }

    #[test]
    fn set_creates_intermediate_lists_and_objects() {
        let mut v = json!({});
        set(&mut v, "metadata_options.0.http_tokens", json!("optional"));
        set(&mut v, "tags.owner", json!("ml"));
        assert_eq!(v, json!({"metadata_options": [{"http_tokens": "optional"}], "tags": {"owner": "ml"}}));
    }

    #[test]
    fn empty_values() {
        for v in [json!(null), json!(""), json!([]), json!({})] {
            assert!(is_empty(&v), "{v}");
        }
        for v in [json!(0), json!(false), json!("x"), json!([null])] {
            assert!(!is_empty(&v), "{v}");
        }
    }
}
