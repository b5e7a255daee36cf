//! Terraform files on disk, shared by evaluation, `declared_at` and patches: which
//! files a module has, reading them, parsing them with hcl-edit (duplicate keys
//! renamed so that one mistake does not hide the rest), root modules under a folder,
//! variable files in Terraform's order, and paths and lines as messages show them.

use crate::error::{Error, Result};
use hcl_edit::structure::Body;
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

/// One `.tf` or `.tf.json` file, read and parsed once.
pub struct ParsedFile {
    /// As first asked for (how messages show it).
    pub shown: String,
    pub text: String,
    /// hcl-edit's body, with the spans and formatting patches need; `None` for JSON.
    pub body: Option<Body>,
}

/// The files of one check, each read and parsed at most once however many of discovery,
/// evaluation, `declared_at` and patches look at it.
#[derive(Default)]
pub struct ParsedFiles {
    files: Mutex<HashMap<PathBuf, Arc<ParsedFile>>>,
}

impl ParsedFiles {
    /// The file at `path`; a syntax error names `file:line:column` with a caret.
    pub fn get(&self, path: &Path) -> Result<Arc<ParsedFile>> {
        let key = canonical(path);
        if let Some(file) = self.files.lock().unwrap_or_else(|p| p.into_inner()).get(&key) {
            return Ok(file.clone());
        }
        let text = read_text(path)?;
        let shown = path.display().to_string();
        let body = match is_json(path) {
            true => None,
            false => Some(parse_body(&shown, &text)?),
        };
        let file = Arc::new(ParsedFile { shown, text, body });
        self.files.lock().unwrap_or_else(|p| p.into_inner()).insert(key, file.clone());
        Ok(file)
    }
}

/// The root module's variable files in Terraform's order (a later file wins):
/// `terraform.tfvars`, `terraform.tfvars.json`, then `*.auto.tfvars` and
/// `*.auto.tfvars.json` together by name.
pub(crate) fn tfvars_files(dir: &Path) -> Vec<PathBuf> {
    let mut auto: Vec<PathBuf> = std::fs::read_dir(dir)
        .into_iter()
        .flatten()
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| {
            p.file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.ends_with(".auto.tfvars") || n.ends_with(".auto.tfvars.json"))
        })
        .collect();
    auto.sort();
    let mut files = vec![dir.join("terraform.tfvars"), dir.join("terraform.tfvars.json")];
    files.extend(auto);
    files.retain(|p| p.is_file());
    files
}

/// The `.tf` and `.tf.json` files of one module directory, in name order.
pub(crate) fn tf_files(dir: &Path) -> Result<Vec<PathBuf>> {
    let mut paths: Vec<PathBuf> = std::fs::read_dir(dir)
        .map_err(|e| Error::io(dir, &e))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| is_json(p) || p.extension().is_some_and(|x| x == "tf"))
        .filter(|p| p.is_file())
        .collect();
    paths.sort();
    Ok(paths)
}

/// Terraform's JSON syntax: evaluated, but not located or patched (no formatting to keep).
pub(crate) fn is_json(p: &Path) -> bool {
    p.file_name().and_then(|n| n.to_str()).is_some_and(|n| n.ends_with(".tf.json"))
}

/// A directory without a `.tf` file of its own (a monorepo's top, or not Terraform at all).
pub fn has_no_tf_files(dir: &Path) -> bool {
    tf_files(dir).map_or(true, |files| files.is_empty())
}

/// A `--tf` directory that holds no Terraform code.
pub fn no_tf_files(dir: &Path) -> Error {
    Error::input(dir.display().to_string(), "no .tf files here: --tf takes a Terraform module directory")
}

#[cfg(test)]
thread_local! {
    /// Files parsed by this thread, for the test that each is parsed once per check.
    pub(crate) static PARSES: std::cell::Cell<usize> = const { std::cell::Cell::new(0) };
}

/// Parse one `.tf` file; a syntax error names `file:line:column` and shows the line.
pub(crate) fn parse_body(shown: &str, text: &str) -> Result<Body> {
    #[cfg(test)]
    PARSES.with(|p| p.set(p.get() + 1));
    // Terraform takes an object key written twice (the later value wins); hcl-edit
    // refuses it. Rename the earlier one out of the way and parse again.
    let mut current = std::borrow::Cow::Borrowed(text);
    for _ in 0..64 {
        match hcl_edit::parser::parse_body(&current) {
            Ok(body) => return Ok(body),
            Err(e) if e.message().contains("redefined object key") => {
                match rename_earlier_key(&current, e.location().line(), e.location().column()) {
                    Some(fixed) => current = std::borrow::Cow::Owned(fixed),
                    None => break,
                }
            }
            Err(_) => break,
        }
    }
    // The error as the file is written.
    hcl_edit::parser::parse_body(text).map_err(|e| {
        let (line, column) = (e.location().line(), e.location().column());
        Error::input(
            format!("{shown}:{line}:{column}"),
            format!("HCL syntax error: {}\n{}", e.message(), caret(text, line, column)),
        )
    })
}

/// The offending line of a file and a caret under `column` (both 1-based), as compilers
/// show it: `  3 |   ami =` then `    |         ^`.
pub fn caret(text: &str, line: usize, column: usize) -> String {
    let source = text.lines().nth(line.saturating_sub(1)).unwrap_or("");
    let number = line.to_string();
    let pad = " ".repeat(number.len());
    // Columns count characters; tabs keep their width in the marker line.
    let marker: String =
        source.chars().take(column.saturating_sub(1)).map(|c| if c == '\t' { '\t' } else { ' ' }).collect();
    format!("  {number} | {source}\n  {pad} | {marker}^")
}

/// `module.a["k"].aws_instance.x[0]` -> `module.a.aws_instance.x`.
pub fn config_address(address: &str) -> String {
    let mut out = String::with_capacity(address.len());
    let mut depth = 0;
    let mut in_str = false;
    let mut escaped = false;
    for c in address.chars() {
        if depth > 0 {
            match c {
                _ if escaped => escaped = false,
                '\\' if in_str => escaped = true,
                '"' => in_str = !in_str,
                '[' if !in_str => depth += 1,
                ']' if !in_str => depth -= 1,
                _ => {}
            }
            continue;
        }
        if c == '[' {
            depth = 1;
        } else {
            out.push(c);
        }
    }
    out
}

/// The canonical path, or the path as given where it cannot be resolved.
pub(crate) fn canonical(p: &Path) -> PathBuf {
    p.canonicalize().unwrap_or_else(|_| p.to_path_buf())
}

/// `a/./b/../c` -> `a/c`, without touching the file system (paths stay as the user wrote them).
pub(crate) fn clean_path(p: &Path) -> PathBuf {
    use std::path::Component;
    let mut out = PathBuf::new();
    for c in p.components() {
        match c {
            Component::CurDir => {}
            Component::ParentDir if out.file_name().is_some_and(|n| n != "..") => {
                out.pop();
            }
            other => out.push(other.as_os_str()),
        }
    }
    out
}

pub(crate) fn line_of(text: &str, offset: usize) -> u32 {
    text.as_bytes()[..offset.min(text.len())].iter().filter(|b| **b == b'\n').count() as u32 + 1
}

/// A Terraform file's text; one that is not UTF-8 is an input error naming the file and
/// the byte offset, as the state reader does.
pub(crate) fn read_text(path: &Path) -> Result<String> {
    crate::error::read_utf8(path, "Terraform reads .tf and .tfvars files as UTF-8")
}

/// The key at `line:column` is written a second time in its object: give the first one
/// (found by walking back at the same brace depth) a name of the same length that no
/// code uses, so that offsets stay and the later value wins, as in Terraform.
fn rename_earlier_key(text: &str, line: usize, column: usize) -> Option<String> {
    let start = text.split_inclusive('\n').take(line - 1).map(str::len).sum::<usize>();
    let line_text = text[start..].lines().next()?;
    let at = start + line_text.char_indices().nth(column - 1).map_or(0, |(i, _)| i);
    let key: String =
        text[at..].chars().take_while(|c| c.is_alphanumeric() || *c == '_' || *c == '-' || *c == '"').collect();
    if key.is_empty() {
        return None;
    }
    let bytes = text.as_bytes();
    let mut depth = 0i32;
    let mut i = at;
    while i > 0 {
        i -= 1;
        match bytes[i] {
            b'}' | b']' | b')' => depth += 1,
            b'{' | b'[' | b'(' => {
                if depth == 0 {
                    break;
                }
                depth -= 1;
            }
            _ if depth == 0 && text[i..].starts_with(&key) => {
                let before_ok = i == 0 || !(bytes[i - 1].is_ascii_alphanumeric() || bytes[i - 1] == b'_');
                let rest = text[i + key.len()..].trim_start_matches([' ', '\t']);
                if before_ok && (rest.starts_with('=') || rest.starts_with(':')) && i != at {
                    let placeholder = duplicate_placeholder(key.len(), i)?;
                    return Some(format!("{}{placeholder}{}", &text[..i], &text[i + key.len()..]));
                }
            }
            _ => {}
        }
    }
    // Not found at the same depth: rename this one (the earlier value then wins).
    let placeholder = duplicate_placeholder(key.len(), at)?;
    Some(format!("{}{placeholder}{}", &text[..at], &text[at + key.len()..]))
}

/// A name of `len` characters for a renamed duplicate key, told apart by a digit from
/// `salt`: `__z…N`, or `_N` for two characters; the evaluator drops such keys. None for
/// a one-character key (the parse error then stands).
fn duplicate_placeholder(len: usize, salt: usize) -> Option<String> {
    match len {
        0 | 1 => None,
        2 => Some(format!("_{}", salt % 10)),
        _ => Some(format!("__{}{}", "z".repeat(len - 3), salt % 10)),
    }
}

/// The top-most folders under `dir` that hold Terraform code, with their paths relative
/// to `dir` (`examples/complete`): each a module to evaluate on its own. Hidden folders
/// (`.terraform`, `.git`) are skipped; a folder with code is not searched further (its
/// subfolders are its own modules).
pub fn code_folders(dir: &Path) -> Result<Vec<(String, PathBuf)>> {
    const MAX_FOLDERS: usize = 10_000;
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        if d != dir && !has_no_tf_files(&d) {
            let rel = d.strip_prefix(dir).unwrap_or(&d).display().to_string();
            out.push((rel, d));
            if out.len() > MAX_FOLDERS {
                return Err(Error::input(
                    dir.display().to_string(),
                    format!("more than {MAX_FOLDERS} folders of Terraform code"),
                ));
            }
            continue;
        }
        let Ok(entries) = std::fs::read_dir(&d) else { continue };
        let mut subdirs: Vec<PathBuf> = entries
            .flatten()
            .filter(|e| e.file_type().is_ok_and(|t| t.is_dir()))
            .filter(|e| !e.file_name().to_string_lossy().starts_with('.'))
            .map(|e| e.path())
            .collect();
        subdirs.sort();
        stack.extend(subdirs.into_iter().rev());
    }
    out.sort();
    Ok(out)
}

/// A key [`rename_earlier_key`] renamed ([`duplicate_placeholder`]).
pub(crate) fn is_renamed_duplicate(key: &str) -> bool {
    let Some((last, body)) = key.chars().last().map(|c| (c, &key[..key.len() - 1])) else { return false };
    last.is_ascii_digit() && (body == "_" || body.strip_prefix("__").is_some_and(|zs| zs.chars().all(|c| c == 'z')))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn config_address_strips_instance_keys() {
        assert_eq!(config_address(r#"module.a["k.]"].aws_instance.x[0]"#), "module.a.aws_instance.x");
        assert_eq!(config_address("aws_instance.x"), "aws_instance.x");
        assert_eq!(config_address(r#"aws_instance.x["a\"]b"]"#), "aws_instance.x");
    }
}
