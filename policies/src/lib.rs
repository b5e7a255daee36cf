//! driftd's policies: Rego (OPA v1 syntax) evaluated in-process with regorus.
//!
//! A policy is a package with a `deny` rule and a METADATA block naming its stable id,
//! title, severity and remediation. Resource-scoped policies see one resource as
//! `input`; fleet-scoped ones (`custom.scope: fleet`) see `{"side", "resources"}`.
//! Configuration is `data.driftd.config`. The built-in GPU pack is compiled in.

mod builtin;
mod engine;
mod extensions;
mod metadata;
mod testing;

pub use builtin::{BUILTIN, BUILTIN_TESTS};
pub use engine::{Policy, RegoEngine, Scope};
pub use testing::{run_tests, TestResult};

use driftd_core::Error;
use std::path::Path;

/// One Rego source: the path shown in messages, and its text.
#[derive(Debug, Clone)]
pub struct Source {
    pub path: String,
    pub text: String,
    /// Part of the built-in pack: runs on regorus' VM (see `engine.rs`).
    pub builtin: bool,
}

/// Every `.rego` file below `dir` (sorted), with or without `*_test.rego`.
pub fn read_dir(dir: &Path, with_tests: bool) -> Result<Vec<Source>, Error> {
    fn walk(dir: &Path, out: &mut Vec<std::path::PathBuf>) -> Result<(), Error> {
        let entries = std::fs::read_dir(dir).map_err(|e| Error::io(dir, &e))?;
        for entry in entries {
            let path = entry.map_err(|e| Error::io(dir, &e))?.path();
            if path.is_dir() {
                walk(&path, out)?;
            } else if path.extension().is_some_and(|x| x == "rego") {
                out.push(path);
            }
        }
        Ok(())
    }
    let mut paths = Vec::new();
    walk(dir, &mut paths)?;
    paths.sort();
    let mut out = Vec::new();
    for path in paths {
        let is_test = path.file_name().and_then(|n| n.to_str()).is_some_and(|n| n.ends_with("_test.rego"));
        if is_test && !with_tests {
            continue;
        }
        let text = std::fs::read_to_string(&path).map_err(|e| Error::io(&path, &e))?;
        out.push(Source { path: path.display().to_string(), text, builtin: false });
    }
    Ok(out)
}

/// The built-in pack as sources (policies, and their tests when asked).
pub fn builtin_sources(with_tests: bool) -> Vec<Source> {
    let source = |(path, text): &(&str, &str)| Source { path: path.to_string(), text: text.to_string(), builtin: true };
    let mut out: Vec<Source> = BUILTIN.iter().map(source).collect();
    if with_tests {
        out.extend(BUILTIN_TESTS.iter().map(source));
    }
    out
}

#[cfg(test)]
mod tests;
