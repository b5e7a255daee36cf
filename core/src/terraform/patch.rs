//! Terraform sources (`--tf DIR`): where each resource block is (`declared_at`) and
//! patches that accept a live value in code. Local module calls (`source = "./x"`)
//! are followed so that `module.gpu.aws_instance.trainer[0]` finds its block.
//!
//! A patch is only offered where it changes exactly one resource: a literal value in
//! a block without `count`/`for_each`, reached through module calls made once and
//! without `count`/`for_each`. A value set through a variable or expression, or a
//! shared block, is left to the user (the finding still says what differs).

use super::files::*;
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
use std::sync::Arc;

/// One parsed `.tf` file (HCL, never JSON: patches edit HCL only).
struct File {
    parsed: Arc<ParsedFile>,
    /// Its module's directory, canonical.
    dir: PathBuf,
}

impl File {
    fn path(&self) -> &str {
        &self.parsed.shown
    }

    fn text(&self) -> &str {
        &self.parsed.text
    }

    fn body(&self) -> &Body {
        static EMPTY: std::sync::LazyLock<Body> = std::sync::LazyLock::new(Body::new);
        self.parsed.body.as_ref().unwrap_or(&EMPTY)
    }
}

/// One module instance in the call tree: where its code is, and the `module` block
/// that calls it (none for a root module).
struct ModuleRef {
    /// Canonical, to compare; as given, to show in patches.
    dir: PathBuf,
    shown_dir: PathBuf,
    call: Option<CallRef>,
}

struct CallRef {
    file: usize,
    index: usize,
    /// `count` or `for_each`: one input serves several instances.
    multi: bool,
    /// The calling module's prefix (`""` for the root module).
    parent: String,
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

/// All `.tf` sources given with `--tf` or found by `--discover`: parsed when loaded, or
/// (code already evaluated, and so known to parse) on first use, when there is something
/// to locate or patch.
pub struct Sources {
    roots: Vec<(Option<String>, PathBuf)>,
    import_dir: Option<PathBuf>,
    parsed: Arc<ParsedFiles>,
    loaded: std::sync::OnceLock<Option<Loaded>>,
}

/// The parsed sources.
struct Loaded {
    /// Every file read for this check, shared with evaluation and discovery.
    parsed: Arc<ParsedFiles>,
    files: Vec<File>,
    blocks: HashMap<BlockKey, BlockRef>,
    /// Every module instance by root module and prefix (`module.gpu.`; `""` for the root).
    modules: HashMap<BlockKey, ModuleRef>,
    /// How many `module` blocks call each directory: a module called twice is shared.
    uses: HashMap<PathBuf, usize>,
    /// First `--tf` directory: where import files for unmanaged resources go (none when
    /// root modules were discovered: which one should adopt a resource is the user's call).
    root: Option<PathBuf>,
}

impl Sources {
    /// Several address spaces: `--tf` directories (`None`) and discovered root modules (by
    /// name). Import files go to `import_dir`.
    pub fn load_roots(
        roots: &[(Option<String>, PathBuf)],
        import_dir: Option<PathBuf>,
        parsed: Arc<ParsedFiles>,
    ) -> Result<Sources> {
        let sources = Sources::on_demand(roots, import_dir, parsed);
        let loaded = Loaded::load(&sources.roots, sources.import_dir.clone(), sources.parsed.clone())?;
        let _ = sources.loaded.set(Some(loaded));
        Ok(sources)
    }

    /// As [`Sources::load_roots`], parsed on first use (code that evaluated parses).
    pub fn on_demand(
        roots: &[(Option<String>, PathBuf)],
        import_dir: Option<PathBuf>,
        parsed: Arc<ParsedFiles>,
    ) -> Sources {
        Sources { roots: roots.to_vec(), import_dir, parsed, loaded: std::sync::OnceLock::new() }
    }

    fn get(&self) -> Option<&Loaded> {
        self.loaded
            .get_or_init(|| Loaded::load(&self.roots, self.import_dir.clone(), self.parsed.clone()).ok())
            .as_ref()
    }

    /// Fill in `declared_at` for every declaration whose block was found (code's own
    /// declarations know theirs).
    pub fn locate(&self, declared: &mut [DeclaredResource]) {
        if declared.iter().all(|d| d.declared_at.is_some() || d.from_code) {
            return;
        }
        if let Some(loaded) = self.get() {
            loaded.locate(declared);
        }
    }

    /// Add a patch to findings that can be fixed in code: `changed` ones accept the live
    /// values, `unmanaged` ones get an import block in a file of their own.
    /// `resource_blocks`: by (type, id), a block generated from the live attributes of each
    /// live resource no declaration matched, to import with.
    pub fn add_patches(
        &self,
        findings: &mut [Finding],
        declared: &[DeclaredResource],
        resource_blocks: &HashMap<(String, String), String>,
    ) {
        if !findings.iter().any(|f| matches!(f.kind, FindingKind::Changed | FindingKind::Unmanaged)) {
            return;
        }
        if let Some(loaded) = self.get() {
            loaded.add_patches(findings, declared, resource_blocks);
        }
    }
}

impl Loaded {
    fn load(
        roots: &[(Option<String>, PathBuf)],
        import_dir: Option<PathBuf>,
        parsed: Arc<ParsedFiles>,
    ) -> Result<Loaded> {
        let mut s = Loaded {
            parsed,
            files: vec![],
            blocks: HashMap::new(),
            modules: HashMap::new(),
            uses: HashMap::new(),
            root: import_dir,
        };
        for (name, dir) in roots {
            s.load_module(dir, name.as_deref(), "", false, None, 0)?;
        }
        // A module directory called from two places is shared by both.
        for b in s.blocks.values_mut() {
            if s.uses.get(&s.files[b.file].dir).is_some_and(|n| *n > 1) {
                b.shared = true;
            }
        }
        Ok(s)
    }

    fn load_module(
        &mut self,
        dir: &Path,
        root: Option<&str>,
        prefix: &str,
        shared: bool,
        call: Option<CallRef>,
        depth: usize,
    ) -> Result<()> {
        if depth > 32 {
            return Err(Error::input(dir.display().to_string(), "module calls nest deeper than 32 (a cycle?)"));
        }
        let paths = tf_files(dir)?;
        if paths.is_empty() && depth == 0 {
            return Err(no_tf_files(dir));
        }
        let module_dir = canonical(dir);
        let module = ModuleRef { dir: module_dir.clone(), shown_dir: dir.to_path_buf(), call };
        self.modules.insert((root.map(str::to_string), prefix.to_string()), module);
        let mut calls = Vec::new();
        for path in paths.into_iter().filter(|p| !is_json(p)) {
            let parsed = self.parsed.get(&path)?;
            let (text, Some(body)) = (&parsed.text, &parsed.body) else { continue };
            let file = self.files.len();
            for (index, block) in body.blocks().enumerate() {
                let labels: Vec<&str> = block.labels.iter().map(|l| l.as_str()).collect();
                match (block.ident.as_str(), labels.as_slice()) {
                    ("resource", [tf_type, name]) => {
                        let line = line_of(text, block.span().map_or(0, |s| s.start));
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
                            calls.push((name.to_string(), clean_path(&dir.join(src)), multi, file, index));
                        }
                    }
                    _ => {}
                }
            }
            self.files.push(File { parsed: parsed.clone(), dir: module_dir.clone() });
        }
        for (name, child, multi, file, index) in calls {
            let key = canonical(&child);
            *self.uses.entry(key).or_default() += 1;
            let call = CallRef { file, index, multi, parent: prefix.to_string() };
            let child_prefix = format!("{prefix}module.{name}.");
            self.load_module(&child, root, &child_prefix, shared || multi, Some(call), depth + 1)?;
        }
        Ok(())
    }

    fn locate(&self, declared: &mut [DeclaredResource]) {
        for d in declared.iter_mut().filter(|d| d.declared_at.is_none()) {
            if let Some(b) = self.blocks.get(&(d.root_module.clone(), config_address(&d.address))) {
                d.declared_at = Some(SourceLoc {
                    file: self.files[b.file].path().to_string(),
                    line: b.line,
                    column: None,
                    end_line: None,
                });
            }
        }
    }

    fn add_patches(
        &self,
        findings: &mut [Finding],
        declared: &[DeclaredResource],
        resource_blocks: &HashMap<(String, String), String>,
    ) {
        let declared: HashSet<(Option<&str>, &str)> =
            declared.iter().map(|d| (d.root_module.as_deref(), d.address.as_str())).collect();
        // Import names (and their files) made unique: two hand-made "trainer"s.
        let mut taken: HashMap<String, usize> = HashMap::new();
        for f in findings {
            let root = f.resource.root_module.as_deref();
            f.remediation.patch = match f.kind {
                FindingKind::Changed => {
                    let address = f.resource.address.clone().filter(|a| declared.contains(&(root, a.as_str())));
                    let patch = address.as_deref().and_then(|a| self.accept_patch(root, a, f));
                    if patch.is_none() {
                        if let Some(hint) = address.as_deref().and_then(|a| self.expression_hint(root, a, f)) {
                            f.remediation.summary.push_str(&hint);
                        }
                    }
                    patch
                }
                FindingKind::Unmanaged => {
                    let base = remediation::suggested_name(f.resource.name.as_deref(), &f.resource.id);
                    let n = taken.entry(base.clone()).or_default();
                    *n += 1;
                    let name = if *n == 1 { base } else { format!("{base}_{n}") };
                    self.import_patch(f, &name, resource_blocks)
                }
                _ => f.remediation.patch.take(),
            };
        }
    }

    /// Edits that make the code declare the live values: a literal in the resource's block,
    /// else the one place a plain `var.NAME` gets its value from (a tfvars entry, the
    /// variable's default, a module call's input), when nothing else uses it.
    fn accept_patch(&self, root: Option<&str>, address: &str, f: &Finding) -> Option<String> {
        let config = config_address(address);
        let b = self.blocks.get(&(root.map(str::to_string), config.clone()))?;
        if b.shared {
            return None;
        }
        let file = &self.files[b.file];
        let block = file.body().blocks().nth(b.index)?;
        // `module.gpu.aws_instance.x` -> `module.gpu.`
        let prefix = config.rsplitn(3, '.').nth(2).map_or(String::new(), |p| format!("{p}."));
        let mut edits = FileEdits::default();
        for c in f.changes.iter().flatten() {
            if c.live == "(sensitive)" {
                continue;
            }
            if let Some((range, text)) = edit_for(block, &c.path, &c.live, file.text()) {
                edits.add(file.path(), file.text(), range, text);
            } else if let Some(var) = plain_variable(block, &c.path) {
                self.variable_edit(root, &prefix, &var, &c.live, &mut edits, 0);
            }
        }
        edits.unified()
    }

    /// Where no patch can be made: which expressions set the changed attributes, so the
    /// person knows where to accept the live value (`instance_type = var.twin_type` at
    /// main.tf:52, shared by every instance of the block).
    fn expression_hint(&self, root: Option<&str>, address: &str, f: &Finding) -> Option<String> {
        let b = self.blocks.get(&(root.map(str::to_string), config_address(address)))?;
        let file = &self.files[b.file];
        let block = file.body().blocks().nth(b.index)?;
        let mut shown = Vec::new();
        for c in f.changes.iter().flatten() {
            let Some(attr) = attribute_at(block, &c.path) else { continue };
            let line = line_of(file.text(), attr.span().map_or(0, |s| s.start));
            let text = attr.value.span().map(|s| file.text()[s].trim().to_string()).unwrap_or_default();
            let why = match (b.shared, var_name(&attr.value)) {
                (true, _) => "sets more than this resource (count, for_each or a module called twice): change it there if all of them should follow",
                (false, Some(_)) => "reads a variable that other code uses too: change where it is set if all of them should follow",
                (false, None) => "is an expression driftd does not rewrite: change what it reads",
            };
            shown.push(format!("`{} = {text}` ({}:{line}) {why}", attr.key.as_str(), file.path()));
        }
        (!shown.is_empty()).then(|| format!(". In code, {}", shown.join("; ")))
    }

    /// Set variable `name` of module instance `prefix` to `live` where its value comes from.
    fn variable_edit(
        &self,
        root: Option<&str>,
        prefix: &str,
        name: &str,
        live: &Value,
        edits: &mut FileEdits,
        depth: usize,
    ) {
        let Some(module) = self.modules.get(&(root.map(str::to_string), prefix.to_string())) else { return };
        let files: Vec<&File> = self.files.iter().filter(|f| f.dir == module.dir).collect();
        // Only when this one reference uses it, and the module is not called from elsewhere.
        let uses: usize = files.iter().map(|f| references(f.text(), name)).sum();
        if uses != 1 || depth > 8 || self.uses.get(&module.dir).is_some_and(|n| *n > 1) {
            return;
        }
        match &module.call {
            // The root module: the last tfvars file that sets it, else its default.
            None => {
                // Edits go to HCL files; JSON ones are read for evaluation only.
                for path in
                    tfvars_files(&module.shown_dir).iter().rev().filter(|p| p.extension().is_none_or(|e| e != "json"))
                {
                    let Ok(text) = std::fs::read_to_string(path) else { continue };
                    let Ok(body) = hcl_edit::parser::parse_body(&text) else { continue };
                    if let Some(attr) = body.get_attribute(name) {
                        if let (true, Some(span)) = (is_literal(&attr.value), attr.value.span()) {
                            edits.add(&path.display().to_string(), &text, span, hcl_literal(live));
                        }
                        return;
                    }
                }
            }
            Some(call) => {
                let caller = &self.files[call.file];
                let Some(block) = caller.body().blocks().nth(call.index) else { return };
                if let Some(attr) = block.body.get_attribute(name) {
                    if call.multi {
                        return;
                    }
                    if let (true, Some(span)) = (is_literal(&attr.value), attr.value.span()) {
                        edits.add(caller.path(), caller.text(), span, hcl_literal(live));
                    } else if let Some(parent_var) = var_name(&attr.value) {
                        self.variable_edit(root, &call.parent, &parent_var, live, edits, depth + 1);
                    }
                    return;
                }
            }
        }
        // Not set from outside: the default, in the `variable` block.
        for f in files {
            let variable = f
                .body()
                .blocks()
                .find(|b| b.ident.as_str() == "variable" && b.labels.first().is_some_and(|l| l.as_str() == name));
            if let Some(default) = variable.and_then(|v| v.body.get_attribute("default")) {
                if let (true, Some(span)) = (is_literal(&default.value), default.value.span()) {
                    edits.add(f.path(), f.text(), span, hcl_literal(live));
                }
                return;
            }
        }
    }

    /// A file of its own per unmanaged resource: its import block, and its resource block
    /// when driftd read it (an owner's whole fleet gets the import block only).
    fn import_patch(
        &self,
        f: &Finding,
        name: &str,
        resource_blocks: &HashMap<(String, String), String>,
    ) -> Option<String> {
        let root = self.root.as_ref()?;
        let path = root.join(format!("import_{name}.tf")).display().to_string();
        let mut body = remediation::import_block(&f.resource.tf_type, &f.resource.id, name);
        if let Some(block) = resource_blocks.get(&(f.resource.tf_type.clone(), f.resource.id.clone())) {
            body.push('\n');
            // Generated under the plain name; a repeated one takes its suffix here.
            let plain = remediation::suggested_name(f.resource.name.as_deref(), &f.resource.id);
            let header = format!("resource \"{}\" \"{plain}\"", f.resource.tf_type);
            body.push_str(&block.replacen(&header, &format!("resource \"{}\" \"{name}\"", f.resource.tf_type), 1));
        }
        let diff = similar::TextDiff::from_lines("", body.as_str());
        Some(diff.unified_diff().context_radius(3).header("/dev/null", &format!("b/{path}")).to_string())
    }
}

/// A replacement of a byte range of a file.
type Edit = (Range<usize>, String);

/// Edits to several files, made into one patch.
#[derive(Default)]
struct FileEdits {
    /// By path: the file's text and its edits.
    files: std::collections::BTreeMap<String, (String, Vec<Edit>)>,
}

impl FileEdits {
    fn add(&mut self, path: &str, text: &str, range: Range<usize>, replacement: String) {
        let entry = self.files.entry(path.to_string()).or_insert_with(|| (text.to_string(), Vec::new()));
        entry.1.push((range, replacement));
    }

    fn unified(self) -> Option<String> {
        let mut out = String::new();
        for (path, (text, mut edits)) in self.files {
            edits.sort_by_key(|(r, _)| std::cmp::Reverse(r.start));
            let mut new = text.clone();
            let mut last_start = usize::MAX;
            for (range, replacement) in edits {
                if range.end > last_start {
                    continue; // overlapping edits: keep the first
                }
                last_start = range.start;
                new.replace_range(range, &replacement);
            }
            out.push_str(&unified(&path, &text, &new));
        }
        (!out.is_empty()).then_some(out)
    }
}

/// How many times a module's text names `var.NAME`.
fn references(text: &str, name: &str) -> usize {
    let needle = format!("var.{name}");
    text.match_indices(&needle)
        .filter(|(i, _)| {
            let before = text[..*i].chars().next_back();
            let after = text[i + needle.len()..].chars().next();
            !before.is_some_and(|c| c.is_alphanumeric() || c == '_' || c == '.')
                && !after.is_some_and(|c| c.is_alphanumeric() || c == '_' || c == '-')
        })
        .count()
}

/// The attribute a change's path names in a resource block (`metadata_options.0.http_tokens`
/// in the first `metadata_options` block); not a key inside a map attribute.
fn attribute_at<'a>(block: &'a Block, path: &'a str) -> Option<&'a hcl_edit::structure::Attribute> {
    let segs: Vec<&str> = path.split('.').collect();
    let (body, i) = nested_body(block, &segs)?;
    (i + 1 == segs.len()).then(|| body.get_attribute(segs[i])).flatten()
}

/// Follow a path's nested blocks (`metadata_options.0.http_tokens`: the first
/// `metadata_options` block): the body reached, and the index of the first segment after.
fn nested_body<'a>(block: &'a Block, segs: &[&'a str]) -> Option<(&'a Body, usize)> {
    let mut body = &block.body;
    let mut i = 0;
    while let Some(n) = segs.get(i + 1).and_then(|s| s.parse::<usize>().ok()) {
        body = &body.get_blocks(segs[i]).nth(n)?.body;
        i += 2;
    }
    Some((body, i))
}

/// `var.NAME` exactly: the variable's name.
fn var_name(e: &Expression) -> Option<String> {
    let Expression::Traversal(t) = e else { return None };
    let Expression::Variable(root) = &t.expr else { return None };
    match t.operators.as_slice() {
        [op] if root.as_str() == "var" => match op.value() {
            hcl_edit::expr::TraversalOperator::GetAttr(name) => Some(name.as_str().to_string()),
            _ => None,
        },
        _ => None,
    }
}

/// The variable a top-level attribute of a resource block is set from, when it is
/// exactly `var.NAME` (a nested block's attribute too: `metadata_options.0.http_tokens`).
fn plain_variable(block: &Block, path: &str) -> Option<String> {
    var_name(&attribute_at(block, path)?.value)
}

fn unified(path: &str, old: &str, new: &str) -> String {
    let diff = similar::TextDiff::from_lines(old, new);
    diff.unified_diff().context_radius(3).header(&format!("a/{path}"), &format!("b/{path}")).to_string()
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
    let (body, i) = nested_body(block, &segs)?;
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
