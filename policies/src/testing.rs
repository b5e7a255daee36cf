//! `driftd policy test`: every `test_*` rule, OPA style. A test passes when its rule
//! is true; false, undefined or an error fails it.

use crate::engine::{add_source, compile, new_engine};
use crate::Source;
use driftd_core::Error;
use serde_json::Value;
use std::time::{Duration, Instant};

#[derive(Debug, Clone)]
pub struct TestResult {
    /// `data.driftd.gpu.imdsv2.test_imdsv1_denied`
    pub name: String,
    pub file: String,
    pub passed: bool,
    /// Why it failed: `false`, `undefined`, or the error.
    pub detail: Option<String>,
    pub duration: Duration,
}

/// Names of `test_*` rules defined in a file (at the start of a line, as OPA writes them).
fn test_rules(text: &str) -> Vec<String> {
    let mut names: Vec<String> = text
        .lines()
        .filter_map(|l| {
            let l = l.strip_prefix("test_")?;
            let ident: String = l.chars().take_while(|c| c.is_ascii_alphanumeric() || *c == '_').collect();
            Some(format!("test_{ident}"))
        })
        .collect();
    let mut seen = std::collections::HashSet::new();
    names.retain(|n| seen.insert(n.clone()));
    names
}

pub fn run_tests(sources: &[Source], config: &Value, limit: Duration) -> Result<Vec<TestResult>, Error> {
    let mut engine = new_engine(config, limit)?;
    let mut tests = Vec::new();
    for s in sources {
        let package = add_source(&mut engine, s)?;
        for name in test_rules(&s.text) {
            tests.push((format!("{package}.{name}"), s.path.clone()));
        }
    }
    compile(&mut engine)?;
    let mut out = Vec::new();
    for (name, file) in tests {
        let started = Instant::now();
        let (passed, detail) = match engine.eval_rule(name.clone()) {
            Ok(regorus::Value::Bool(true)) => (true, None),
            Ok(regorus::Value::Bool(false)) => (false, Some("false".to_string())),
            Ok(regorus::Value::Undefined) => (false, Some("undefined".to_string())),
            Ok(other) => (false, Some(format!("not true: {}", other.to_json_str().unwrap_or_default()))),
            Err(e) => (false, Some(e.to_string().split_whitespace().collect::<Vec<_>>().join(" "))),
        };
        out.push(TestResult { name, file, passed, detail, duration: started.elapsed() });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_test_rules_at_line_start() {
        let text = "package x\n\ntest_a if { true }\ntest_b_2 if {\n  true\n}\n# test_c if\n  test_d if { true }\n";
        assert_eq!(test_rules(text), ["test_a", "test_b_2"]);
    }
}
