//! serde_json documents to regorus values, walked by reference.
//!
//! regorus' own `From<serde_json::Value>` takes the value by move (so a borrowed input
//! must be cloned first) and goes through serde's data model; walking the document
//! directly costs one allocation per string and container instead. Object keys are
//! interned for the whole run: every resource of a type has the same few dozen keys.
//! Where fleet policies hold every resource of a side at once, short string values are
//! interned too (regions, zones, AMIs, security group ids, tag values repeat across a
//! fleet), until the fleet is let go.

use regorus::{Rc, Value};
use serde_json::Value as Json;
use std::collections::{BTreeMap, HashSet};

#[derive(Default)]
pub(crate) struct Converter {
    keys: HashSet<Rc<str>>,
    /// Some while documents are being kept (fleet policies).
    values: Option<HashSet<Rc<str>>>,
}

/// Longer strings (ARNs, user data, policies) rarely repeat.
const INTERNED_VALUE_MAX_LEN: usize = 64;

impl Converter {
    pub(crate) fn interning_values() -> Converter {
        Converter { keys: HashSet::new(), values: Some(HashSet::new()) }
    }

    /// Let go of interned values (the documents that shared them are gone), keep interning.
    pub(crate) fn forget_values(&mut self) {
        if let Some(values) = &mut self.values {
            *values = HashSet::new();
        }
    }

    pub(crate) fn value(&mut self, json: &Json) -> Value {
        match json {
            Json::Null => Value::Null,
            Json::Bool(b) => Value::Bool(*b),
            Json::Number(n) => number(n),
            Json::String(s) => match &mut self.values {
                Some(values) if s.len() <= INTERNED_VALUE_MAX_LEN => Value::String(intern(values, s)),
                _ => Value::String(Rc::from(s.as_str())),
            },
            Json::Array(items) => Value::from(items.iter().map(|v| self.value(v)).collect::<Vec<_>>()),
            Json::Object(map) => {
                let object: BTreeMap<Value, Value> =
                    map.iter().map(|(k, v)| (Value::String(intern(&mut self.keys, k)), self.value(v))).collect();
                Value::from(object)
            }
        }
    }
}

fn intern(table: &mut HashSet<Rc<str>>, s: &str) -> Rc<str> {
    if let Some(k) = table.get(s) {
        return k.clone();
    }
    let k: Rc<str> = Rc::from(s);
    table.insert(k.clone());
    k
}

/// As regorus' deserializer reads numbers: integers exactly, the rest as f64.
fn number(n: &serde_json::Number) -> Value {
    if let Some(u) = n.as_u64() {
        Value::from(u)
    } else if let Some(i) = n.as_i64() {
        Value::from(i)
    } else {
        // serde_json only holds finite floats.
        Value::from(n.as_f64().unwrap_or(f64::NAN))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn converts_like_regorus_own_deserializer() {
        let doc = json!({"a": [1, -2, 2.5, 18446744073709551615u64, "s", null, true], "b": {"c": {}, "d": []},
                         "ünï": "code", "": 0});
        let mut c = Converter::default();
        assert_eq!(c.value(&doc), Value::from(doc.clone()));
        // Keys are shared between documents, not copied.
        let (x, y) = (c.value(&json!({"instance_type": 1})), c.value(&json!({"instance_type": 2})));
        let key = |v: &Value| v.as_object().unwrap().keys().next().unwrap().as_string().unwrap().clone();
        assert!(Rc::ptr_eq(&key(&x), &key(&y)));
        // Values only when asked, and only short ones.
        let long = "x".repeat(INTERNED_VALUE_MAX_LEN + 1);
        let value = |c: &mut Converter, s: &str| c.value(&json!(s)).as_string().unwrap().clone();
        assert!(!Rc::ptr_eq(&value(&mut c, "us-east-1"), &value(&mut c, "us-east-1")));
        let mut c = Converter::interning_values();
        assert!(Rc::ptr_eq(&value(&mut c, "us-east-1"), &value(&mut c, "us-east-1")));
        assert!(!Rc::ptr_eq(&value(&mut c, &long), &value(&mut c, &long)));
        let before = value(&mut c, "us-east-1");
        c.forget_values();
        assert!(!Rc::ptr_eq(&before, &value(&mut c, "us-east-1")));
        assert_eq!(c.value(&doc), Value::from(doc.clone()));
    }
}
