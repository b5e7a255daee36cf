//! Collection functions. Those registered as handling unknowns carry unknown elements
//! through and are unknown only when a collection they need to read is unknown.

use super::{boolean, contains_unknown, dedup, integer, is_unknown, list, num, number, object, set_of, sorted, string};
use super::{unknown, Env};
use hcl::{Map, Value};

pub fn alltrue(a: &[Value], _: &Env) -> Result<Value, String> {
    for v in list(&a[0], "alltrue")? {
        if !boolean(&v, "alltrue")? {
            return Ok(Value::Bool(false));
        }
    }
    Ok(Value::Bool(true))
}

pub fn anytrue(a: &[Value], _: &Env) -> Result<Value, String> {
    for v in list(&a[0], "anytrue")? {
        if boolean(&v, "anytrue")? {
            return Ok(Value::Bool(true));
        }
    }
    Ok(Value::Bool(false))
}

pub fn chunklist(a: &[Value], _: &Env) -> Result<Value, String> {
    if is_unknown(&a[0]) || contains_unknown(&a[1]) {
        return Ok(unknown());
    }
    let items = list(&a[0], "chunklist")?;
    let size = integer(&a[1], "chunklist")?;
    if size < 0 {
        return Err("chunklist: the size must not be negative".into());
    }
    if size == 0 {
        return Ok(Value::Array(vec![Value::Array(items)]));
    }
    Ok(Value::Array(items.chunks(size as usize).map(|c| Value::Array(c.to_vec())).collect()))
}

fn is_empty_string(v: &Value) -> bool {
    matches!(v, Value::String(s) if s.is_empty())
}

pub fn coalesce(a: &[Value], _: &Env) -> Result<Value, String> {
    for v in a {
        if contains_unknown(v) {
            return Ok(unknown());
        }
        if !matches!(v, Value::Null) && !is_empty_string(v) {
            return Ok(v.clone());
        }
    }
    Err("coalesce: no non-null, non-empty-string argument".into())
}

pub fn coalescelist(a: &[Value], _: &Env) -> Result<Value, String> {
    for v in a {
        if is_unknown(v) {
            return Ok(unknown());
        }
        if !list(v, "coalescelist")?.is_empty() {
            return Ok(v.clone());
        }
    }
    Err("coalescelist: no non-empty list argument".into())
}

pub fn compact(a: &[Value], _: &Env) -> Result<Value, String> {
    Ok(Value::Array(
        list(&a[0], "compact")?.into_iter().filter(|v| !matches!(v, Value::Null) && !is_empty_string(v)).collect(),
    ))
}

pub fn concat(a: &[Value], _: &Env) -> Result<Value, String> {
    let mut out = Vec::new();
    for v in a {
        if is_unknown(v) {
            return Ok(unknown());
        }
        out.extend(list(v, "concat")?);
    }
    Ok(Value::Array(out))
}

pub fn contains(a: &[Value], _: &Env) -> Result<Value, String> {
    Ok(Value::Bool(list(&a[0], "contains")?.iter().any(|v| equal(v, &a[1]))))
}

/// Terraform's equality after conversion of a number and its string.
pub(crate) fn equal(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => x.as_f64() == y.as_f64(),
        _ => a == b,
    }
}

pub fn distinct(a: &[Value], _: &Env) -> Result<Value, String> {
    Ok(Value::Array(dedup(list(&a[0], "distinct")?)))
}

pub fn element(a: &[Value], _: &Env) -> Result<Value, String> {
    if is_unknown(&a[0]) || is_unknown(&a[1]) {
        return Ok(unknown());
    }
    let items = list(&a[0], "element")?;
    if items.is_empty() {
        return Err("element: cannot use element function with an empty list".into());
    }
    let i = integer(&a[1], "element")?;
    if i < 0 {
        return Err("element: a negative index is not allowed".into());
    }
    Ok(items[i as usize % items.len()].clone())
}

fn flatten_into(v: &Value, out: &mut Vec<Value>) -> bool {
    match v {
        Value::Array(a) => a.iter().all(|x| flatten_into(x, out)),
        x if is_unknown(x) => false,
        other => {
            out.push(other.clone());
            true
        }
    }
}

pub fn flatten(a: &[Value], _: &Env) -> Result<Value, String> {
    let mut out = Vec::new();
    list(&a[0], "flatten")?;
    // An unknown element might be a list: the result's length is unknown.
    if !flatten_into(&a[0], &mut out) {
        return Ok(unknown());
    }
    Ok(Value::Array(out))
}

pub fn index(a: &[Value], _: &Env) -> Result<Value, String> {
    list(&a[0], "index")?
        .iter()
        .position(|v| equal(v, &a[1]))
        .map(|i| Value::from(i as i64))
        .ok_or_else(|| "index: the value is not in the list".into())
}

pub fn keys(a: &[Value], _: &Env) -> Result<Value, String> {
    if is_unknown(&a[0]) {
        return Ok(unknown());
    }
    Ok(Value::Array(sorted(object(&a[0], "keys")?).into_iter().map(|(k, _)| Value::from(k.clone())).collect()))
}

pub fn values(a: &[Value], _: &Env) -> Result<Value, String> {
    if is_unknown(&a[0]) {
        return Ok(unknown());
    }
    Ok(Value::Array(sorted(object(&a[0], "values")?).into_iter().map(|(_, v)| v.clone()).collect()))
}

pub fn length(a: &[Value], _: &Env) -> Result<Value, String> {
    Ok(Value::from(match &a[0] {
        v if is_unknown(v) => return Ok(unknown()),
        Value::Array(a) => a.len(),
        Value::Object(o) => o.len(),
        Value::String(s) => s.chars().count(),
        Value::Number(n) => super::number_text(n).chars().count(),
        other => return Err(format!("length: a collection or string is required, got {}", super::type_name(other))),
    } as i64))
}

/// `list(a, b)`: removed in Terraform 0.15, still in older modules; a tuple of its arguments.
pub fn list_(a: &[Value], _: &Env) -> Result<Value, String> {
    Ok(Value::Array(a.to_vec()))
}

/// `map(k1, v1, k2, v2)`: removed in Terraform 0.15, still in older modules.
pub fn map_(a: &[Value], _: &Env) -> Result<Value, String> {
    if !a.len().is_multiple_of(2) {
        return Err("map: an even number of arguments (key, value pairs) is required".into());
    }
    if a.iter().step_by(2).any(contains_unknown) {
        return Ok(unknown());
    }
    let mut out = Map::new();
    for pair in a.chunks(2) {
        out.insert(string(&pair[0], "map")?, pair[1].clone());
    }
    Ok(Value::Object(out))
}

pub fn lookup(a: &[Value], _: &Env) -> Result<Value, String> {
    if is_unknown(&a[0]) || contains_unknown(&a[1]) {
        return Ok(unknown());
    }
    let key = string(&a[1], "lookup")?;
    match (object(&a[0], "lookup")?.get(&key), a.get(2)) {
        (Some(v), _) => Ok(v.clone()),
        (None, Some(d)) => Ok(d.clone()),
        (None, None) => Err(format!("lookup: the map has no key {key:?} and no default is given")),
    }
}

pub fn matchkeys(a: &[Value], _: &Env) -> Result<Value, String> {
    let (vals, keys, search) = (list(&a[0], "matchkeys")?, list(&a[1], "matchkeys")?, list(&a[2], "matchkeys")?);
    if vals.len() != keys.len() {
        return Err("matchkeys: the values and keys lists differ in length".into());
    }
    Ok(Value::Array(
        vals.into_iter().zip(keys).filter(|(_, k)| search.iter().any(|s| equal(s, k))).map(|(v, _)| v).collect(),
    ))
}

pub fn merge(a: &[Value], _: &Env) -> Result<Value, String> {
    let mut out = Map::new();
    for v in a {
        match v {
            Value::Object(o) => out.extend(o.clone()),
            Value::Null => {}
            x if is_unknown(x) => return Ok(unknown()),
            other => return Err(format!("merge: arguments must be maps or objects, got {}", super::type_name(other))),
        }
    }
    Ok(Value::Object(out))
}

pub fn one(a: &[Value], _: &Env) -> Result<Value, String> {
    if is_unknown(&a[0]) {
        return Ok(unknown());
    }
    let items = list(&a[0], "one")?;
    match items.len() {
        0 => Ok(Value::Null),
        1 => Ok(items[0].clone()),
        n => Err(format!("one: the list has {n} elements; at most one is allowed")),
    }
}

/// Terraform refuses ranges of more than 1024 elements, which also bounds the work.
pub fn range(a: &[Value], _: &Env) -> Result<Value, String> {
    let n: Vec<f64> = a.iter().map(|v| number(v, "range")).collect::<Result<_, _>>()?;
    let (start, end, step) = match n.as_slice() {
        [end] => (0.0, *end, 1.0),
        [start, end] => (*start, *end, if end >= start { 1.0 } else { -1.0 }),
        [start, end, step] => (*start, *end, *step),
        _ => unreachable!("arity checked by the registry"),
    };
    if step == 0.0 {
        return Err("range: the step must not be zero".into());
    }
    if (step > 0.0 && end < start) || (step < 0.0 && end > start) {
        return Err("range: the step moves away from the end".into());
    }
    let mut out = Vec::new();
    let mut x = start;
    while (step > 0.0 && x < end) || (step < 0.0 && x > end) {
        if out.len() == 1024 {
            return Err("range: more than 1024 elements".into());
        }
        out.push(num(x));
        x += step;
    }
    Ok(Value::Array(out))
}

pub fn reverse(a: &[Value], _: &Env) -> Result<Value, String> {
    if is_unknown(&a[0]) {
        return Ok(unknown());
    }
    let mut items = list(&a[0], "reverse")?;
    items.reverse();
    Ok(Value::Array(items))
}

fn sets(a: &[Value], what: &str) -> Result<Vec<Vec<Value>>, String> {
    a.iter().map(|v| list(v, what).map(set_of)).collect()
}

pub fn setintersection(a: &[Value], _: &Env) -> Result<Value, String> {
    let mut s = sets(a, "setintersection")?.into_iter();
    let first = s.next().unwrap_or_default();
    let rest: Vec<Vec<Value>> = s.collect();
    Ok(Value::Array(first.into_iter().filter(|v| rest.iter().all(|r| r.iter().any(|x| equal(x, v)))).collect()))
}

pub fn setunion(a: &[Value], _: &Env) -> Result<Value, String> {
    Ok(Value::Array(set_of(sets(a, "setunion")?.into_iter().flatten().collect())))
}

pub fn setsubtract(a: &[Value], _: &Env) -> Result<Value, String> {
    let s = sets(a, "setsubtract")?;
    Ok(Value::Array(s[0].iter().filter(|v| !s[1].iter().any(|x| equal(x, v))).cloned().collect()))
}

pub fn setproduct(a: &[Value], _: &Env) -> Result<Value, String> {
    let lists: Vec<Vec<Value>> = a.iter().map(|v| list(v, "setproduct")).collect::<Result<_, _>>()?;
    let total: usize = lists.iter().map(Vec::len).product();
    if total > 100_000 {
        return Err(format!("setproduct: {total} combinations is more than driftd evaluates (100000)"));
    }
    let mut out: Vec<Vec<Value>> = vec![vec![]];
    for l in &lists {
        out = out
            .into_iter()
            .flat_map(|prefix| l.iter().map(move |v| [prefix.clone(), vec![v.clone()]].concat()))
            .collect();
    }
    Ok(Value::Array(out.into_iter().map(Value::Array).collect()))
}

pub fn slice(a: &[Value], _: &Env) -> Result<Value, String> {
    if is_unknown(&a[0]) || is_unknown(&a[1]) || is_unknown(&a[2]) {
        return Ok(unknown());
    }
    let items = list(&a[0], "slice")?;
    let (start, end) = (integer(&a[1], "slice")?, integer(&a[2], "slice")?);
    if start < 0 || end < start || end as usize > items.len() {
        return Err(format!("slice: {start}..{end} is out of range for a list of {}", items.len()));
    }
    Ok(Value::Array(items[start as usize..end as usize].to_vec()))
}

pub fn sort(a: &[Value], _: &Env) -> Result<Value, String> {
    let mut items: Vec<String> = list(&a[0], "sort")?.iter().map(|v| string(v, "sort")).collect::<Result<_, _>>()?;
    items.sort();
    Ok(Value::Array(items.into_iter().map(Value::from).collect()))
}

pub fn sum(a: &[Value], _: &Env) -> Result<Value, String> {
    let items = list(&a[0], "sum")?;
    if items.is_empty() {
        return Err("sum: cannot sum an empty list".into());
    }
    let mut total = 0.0;
    for v in &items {
        total += number(v, "sum")?;
    }
    Ok(num(total))
}

pub fn transpose(a: &[Value], _: &Env) -> Result<Value, String> {
    let mut out: std::collections::BTreeMap<String, Vec<Value>> = Default::default();
    for (k, v) in sorted(object(&a[0], "transpose")?) {
        for item in list(v, "transpose")? {
            out.entry(string(&item, "transpose")?).or_default().push(Value::from(k.clone()));
        }
    }
    Ok(Value::Object(out.into_iter().map(|(k, v)| (k, Value::Array(v))).collect()))
}

pub fn zipmap(a: &[Value], _: &Env) -> Result<Value, String> {
    if is_unknown(&a[0]) || is_unknown(&a[1]) || list(&a[0], "zipmap")?.iter().any(contains_unknown) {
        return Ok(unknown());
    }
    let (k, v) = (list(&a[0], "zipmap")?, list(&a[1], "zipmap")?);
    if k.len() != v.len() {
        return Err(format!("zipmap: {} keys and {} values", k.len(), v.len()));
    }
    let mut out = Map::new();
    for (k, v) in k.iter().zip(v) {
        out.insert(string(k, "zipmap")?, v);
    }
    Ok(Value::Object(out))
}
