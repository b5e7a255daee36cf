//! Terraform sources (`--tf DIR`): where each resource block is (`declared_at`) and
//! patches that accept a live value in code. Local module calls (`source = "./x"`)
//! are followed so that `module.gpu.aws_instance.trainer[0]` finds its block.
//!
//! A patch is only offered where it changes exactly one resource: a literal value in
//! a block without `count`/`for_each`, reached through module calls made once and
//! without `count`/`for_each`. A value set through a variable or expression, or a
//! shared block, is left to the user (the finding still says what differs).

use crate::error::{Error, Result};
use crate::model::{DeclaredResource, Finding, FindingKind, SourceLoc};
use crate::remediation;
use hcl_edit::expr::{Expression, ObjectKey};
use hcl_edit::repr::Span;
use hcl_edit::structure::{Block, Body};
use serde_json::Value;
use std::collections::{HashMap, HashSet};
use std::ops::Range;
use std::path::{Path, PathBuf};

/// One parsed `.tf` file.
struct File {
    path: String,
    text: String,
    body: Body,
}

/// Where one `resource` block is.
#[derive(Clone)]
struct BlockRef {
    file: usize,
    /// Path of blocks to reach the resource body: index into the file's top-level blocks.
    index: usize,
    line: u32,
    /// Patches would change more than one resource.
    shared: bool,
}

/// Blocks are found by root module (discovered ones; `None` for `--tf` directories)
/// and configuration address (`module.gpu.aws_instance.trainer`, no instance keys).
type BlockKey = (Option<String>, String);

/// All `.tf` sources given with `--tf` or found by `--discover`.
pub struct Sources {
    files: Vec<File>,
    blocks: HashMap<BlockKey, BlockRef>,
    /// First `--tf` directory: where import files for unmanaged resources go (none when
    /// root modules were discovered: which one should adopt a resource is the user's call).
    root: Option<PathBuf>,
}

impl Sources {
    /// The `--tf` directories: one address space, as Terraform sees one root module.
    pub fn load(dirs: &[PathBuf]) -> Result<Sources> {
        let roots: Vec<(Option<String>, PathBuf)> = dirs.iter().map(|d| (None, d.clone())).collect();
        Sources::load_roots(&roots, dirs.first().cloned())
    }

    /// Discovered root modules, each its own address space, by name.
    pub fn load_root_modules(roots: &[(String, PathBuf)]) -> Result<Sources> {
        let roots: Vec<(Option<String>, PathBuf)> = roots.iter().map(|(n, d)| (Some(n.clone()), d.clone())).collect();
        Sources::load_roots(&roots, None)
    }

    /// Several address spaces: `--tf` directories (`None`) and discovered root modules (by
    /// name). Import files go to `import_dir`.
    pub fn load_roots(roots: &[(Option<String>, PathBuf)], import_dir: Option<PathBuf>) -> Result<Sources> {
        let mut s = Sources { files: vec![], blocks: HashMap::new(), root: import_dir };
        let mut module_uses: HashMap<PathBuf, usize> = HashMap::new();
        for (name, dir) in roots {
            s.load_module(dir, name.as_deref(), "", false, &mut module_uses, 0)?;
        }
        // A module directory called from two places is shared by both.
        let shared_dirs: Vec<String> =
            module_uses.iter().filter(|(_, n)| **n > 1).map(|(d, _)| d.display().to_string()).collect();
        for b in s.blocks.values_mut() {
            let file = &s.files[b.file].path;
            if shared_dirs.iter().any(|d| Path::new(file).parent().is_some_and(|p| p.display().to_string() == *d)) {
                b.shared = true;
            }
        }
        Ok(s)
    }

    #[allow(clippy::too_many_arguments)]
    fn load_module(
        &mut self,
        dir: &Path,
        root: Option<&str>,
        prefix: &str,
        shared: bool,
        uses: &mut HashMap<PathBuf, usize>,
        depth: usize,
    ) -> Result<()> {
        if depth > 32 {
            return Err(Error::input(dir.display().to_string(), "module calls nest deeper than 32 (a cycle?)"));
        }
        let paths = tf_files(dir)?;
        if paths.is_empty() && depth == 0 {
            return Err(no_tf_files(dir));
        }
        let mut calls = Vec::new();
        for path in paths {
            let text = std::fs::read_to_string(&path).map_err(|e| Error::io(&path, &e))?;
            let shown = path.display().to_string();
            let body = parse_body(&shown, &text)?;
            let file = self.files.len();
            for (index, block) in body.blocks().enumerate() {
                let labels: Vec<&str> = block.labels.iter().map(|l| l.as_str()).collect();
                match (block.ident.as_str(), labels.as_slice()) {
                    ("resource", [tf_type, name]) => {
                        let line = line_of(&text, block.span().map_or(0, |s| s.start));
                        let multi = block.body.get_attribute("count").is_some()
                            || block.body.get_attribute("for_each").is_some();
                        self.blocks.insert(
                            (root.map(str::to_string), format!("{prefix}{tf_type}.{name}")),
                            BlockRef { file, index, line, shared: shared || multi },
                        );
                    }
                    ("module", [name]) => {
                        let source =
                            block.body.get_attribute("source").and_then(|a| a.value.as_str()).map(str::to_string);
                        if let Some(src) = source.filter(|s| s.starts_with("./") || s.starts_with("../")) {
                            let multi = block.body.get_attribute("count").is_some()
                                || block.body.get_attribute("for_each").is_some();
                            calls.push((name.to_string(), clean_path(&dir.join(src)), multi));
                        }
                    }
                    _ => {}
                }
            }
            self.files.push(File { path: shown, text, body });
        }
        for (name, child, multi) in calls {
            let key = child.canonicalize().unwrap_or_else(|_| child.clone());
            *uses.entry(key).or_default() += 1;
            self.load_module(&child, root, &format!("{prefix}module.{name}."), shared || multi, uses, depth + 1)?;
        }
        Ok(())
    }

    /// Fill in `declared_at` for every declaration whose block was found.
    pub fn locate(&self, declared: &mut [DeclaredResource]) {
        for d in declared {
            if let Some(b) = self.blocks.get(&(d.root_module.clone(), config_address(&d.address))) {
                d.declared_at = Some(SourceLoc { file: self.files[b.file].path.clone(), line: b.line });
            }
        }
    }

    /// Add a patch to findings that can be fixed in code: `changed` ones accept the live
    /// values, `unmanaged` ones get an import block in a file of their own.
    pub fn add_patches(&self, findings: &mut [Finding], declared: &[DeclaredResource]) {
        let declared: HashSet<(Option<&str>, &str)> =
            declared.iter().map(|d| (d.root_module.as_deref(), d.address.as_str())).collect();
        for f in findings {
            let root = f.resource.root_module.as_deref();
            f.remediation.patch = match f.kind {
                FindingKind::Changed => f
                    .resource
                    .address
                    .as_deref()
                    .filter(|a| declared.contains(&(root, *a)))
                    .and_then(|a| self.accept_patch(root, a, f)),
                FindingKind::Unmanaged => self.import_patch(f),
                _ => f.remediation.patch.take(),
            };
        }
    }

    fn accept_patch(&self, root: Option<&str>, address: &str, f: &Finding) -> Option<String> {
        let b = self.blocks.get(&(root.map(str::to_string), config_address(address)))?;
        if b.shared {
            return None;
        }
        let file = &self.files[b.file];
        let block = file.body.blocks().nth(b.index)?;
        let mut edits: Vec<(Range<usize>, String)> = Vec::new();
        for c in f.changes.iter().flatten() {
            if c.live == "(sensitive)" {
                continue;
            }
            if let Some(edit) = edit_for(block, &c.path, &c.live, &file.text) {
                edits.push(edit);
            }
        }
        if edits.is_empty() {
            return None;
        }
        edits.sort_by_key(|(r, _)| std::cmp::Reverse(r.start));
        let mut new = file.text.clone();
        let mut last_start = usize::MAX;
        for (range, text) in edits {
            if range.end > last_start {
                continue; // overlapping edits: keep the first
            }
            last_start = range.start;
            new.replace_range(range, &text);
        }
        Some(unified(&file.path, &file.text, &new))
    }

    fn import_patch(&self, f: &Finding) -> Option<String> {
        let root = self.root.as_ref()?;
        let name = remediation::suggested_name(f.resource.name.as_deref(), &f.resource.id);
        let path = root.join(format!("import_{name}.tf")).display().to_string();
        let body = remediation::import_block(&f.resource.tf_type, &f.resource.id, f.resource.name.as_deref());
        let diff = similar::TextDiff::from_lines("", body.as_str());
        Some(diff.unified_diff().context_radius(3).header("/dev/null", &format!("b/{path}")).to_string())
    }
}

fn unified(path: &str, old: &str, new: &str) -> String {
    let diff = similar::TextDiff::from_lines(old, new);
    diff.unified_diff().context_radius(3).header(&format!("a/{path}"), &format!("b/{path}")).to_string()
}

/// The `.tf` files of one module directory, in name order.
pub(crate) fn tf_files(dir: &Path) -> Result<Vec<PathBuf>> {
    let mut paths: Vec<PathBuf> = std::fs::read_dir(dir)
        .map_err(|e| Error::io(dir, &e))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "tf") && p.is_file())
        .collect();
    paths.sort();
    Ok(paths)
}

/// A directory without a `.tf` file of its own (a monorepo's top, or not Terraform at all).
pub fn has_no_tf_files(dir: &Path) -> bool {
    tf_files(dir).map_or(true, |files| files.is_empty())
}

/// A `--tf` directory that holds no Terraform code.
pub fn no_tf_files(dir: &Path) -> Error {
    Error::input(dir.display().to_string(), "no .tf files here: --tf takes a Terraform module directory")
}

/// Parse one `.tf` file; a syntax error names `file:line:column` and shows the line.
pub(crate) fn parse_body(shown: &str, text: &str) -> Result<Body> {
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

fn line_of(text: &str, offset: usize) -> u32 {
    text.as_bytes()[..offset.min(text.len())].iter().filter(|b| **b == b'\n').count() as u32 + 1
}

/// An HCL literal for a JSON value (JSON literals are HCL; `${` must be escaped).
fn hcl_literal(v: &Value) -> String {
    v.to_string().replace("${", "$${").replace("%{", "%%{")
}

fn is_literal(e: &Expression) -> bool {
    match e {
        Expression::Null(_) | Expression::Bool(_) | Expression::Number(_) | Expression::String(_) => true,
        Expression::Array(a) => a.iter().all(is_literal),
        Expression::Object(o) => o.iter().all(|(_, v)| is_literal(v.expr())),
        _ => false,
    }
}

/// The edit that sets `path` (dotted, from a change) to `live` inside a resource block.
fn edit_for(block: &Block, path: &str, live: &Value, text: &str) -> Option<(Range<usize>, String)> {
    let segs: Vec<&str> = path.split('.').collect();
    let mut body = &block.body;
    let mut i = 0;
    // Nested blocks: `metadata_options.0.http_tokens` is the first `metadata_options` block.
    while i + 1 < segs.len() {
        let Ok(n) = segs.get(i + 1).map_or(Err(()), |s| s.parse::<usize>().map_err(|_| ())) else {
            break;
        };
        let nested = body.get_blocks(segs[i]).nth(n)?;
        body = &nested.body;
        i += 2;
    }
    let attr = body.get_attribute(segs.get(i)?)?;
    let rest = &segs[i + 1..];
    if rest.is_empty() {
        if !is_literal(&attr.value) {
            return None;
        }
        let span = attr.value.span()?;
        if live.is_null() {
            // Unset live: drop the whole attribute line.
            return Some((line_range(text, attr.span()?), String::new()));
        }
        return Some((span, hcl_literal(live)));
    }
    // A key of a map attribute (`tags.owner`).
    let Expression::Object(obj) = &attr.value else {
        return None;
    };
    if rest.len() != 1 {
        return None;
    }
    let key = rest[0];
    let found = obj.iter().find(|(k, _)| match k {
        ObjectKey::Ident(id) => id.as_str() == key,
        ObjectKey::Expression(e) => e.as_str() == Some(key),
    });
    match (found, live.is_null()) {
        (Some((k, v)), true) => {
            let start = k.span()?.start;
            let end = v.expr().span()?.end;
            Some((line_range(text, start..end), String::new()))
        }
        (Some((_, v)), false) => {
            if !is_literal(v.expr()) {
                return None;
            }
            Some((v.expr().span()?, hcl_literal(live)))
        }
        (None, true) => None,
        (None, false) => {
            // Insert before the closing brace, indented like the other keys.
            let span = attr.value.span()?;
            let close = span.end - 1;
            let line_start = text[..close].rfind('\n').map_or(0, |i| i + 1);
            let indent: String = text[line_start..close].chars().take_while(|c| c.is_whitespace()).collect();
            let key_text = if key.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
                && !key.starts_with(|c: char| c.is_ascii_digit())
            {
                key.to_string()
            } else {
                serde_json::to_string(key).ok()?
            };
            if text[line_start..close].trim().is_empty() {
                Some((line_start..line_start, format!("{indent}  {key_text} = {}\n", hcl_literal(live))))
            } else {
                None
            }
        }
    }
}

/// Widen a span to whole lines (with the newline), for deletions.
fn line_range(text: &str, span: Range<usize>) -> Range<usize> {
    let start = text[..span.start].rfind('\n').map_or(0, |i| i + 1);
    let end = text[span.end..].find('\n').map_or(text.len(), |i| span.end + i + 1);
    start..end
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
