//! Loading a module's code: its `.tf` and `.tf.json` files parsed (heredoc indents
//! normalised, where each block is), and the modules `terraform init` fetched
//! (`.terraform/modules/modules.json`).

use super::*;

/// One `.tf` file's blocks and attributes.
pub(super) struct File {
    pub(super) shown: String,
    pub(super) body: Body,
    /// Where each top-level block is, in `body.blocks()` order (none for JSON).
    pub(super) blocks: Vec<BlockLoc>,
}

/// Where a top-level block is, and the lines of its own attributes.
#[derive(Clone, Default)]
pub(super) struct BlockLoc {
    pub(super) line: u32,
    pub(super) column: u32,
    pub(super) end_line: u32,
    pub(super) attributes: Vec<(String, u32)>,
}

impl File {
    pub(super) fn loc(&self, block: usize) -> Option<&BlockLoc> {
        self.blocks.get(block)
    }

    /// `file:line` of a block's attribute (or of the block).
    pub(super) fn at(&self, block: usize, attr: Option<&str>) -> String {
        let loc = self.loc(block);
        let line = loc
            .and_then(|l| attr.and_then(|a| l.attributes.iter().find(|(k, _)| k == a).map(|(_, line)| *line)))
            .or(loc.map(|l| l.line));
        match line {
            Some(line) => format!("{}:{line}", self.shown),
            None => self.shown.clone(),
        }
    }

    pub(super) fn source_loc(&self, block: usize) -> SourceLoc {
        let loc = self.loc(block).cloned().unwrap_or_default();
        SourceLoc {
            file: self.shown.clone(),
            line: loc.line.max(1),
            column: Some(loc.column.max(1)),
            end_line: Some(loc.end_line.max(loc.line).max(1)),
        }
    }
}

pub(super) fn load(dir: &Path, parsed: &ParsedFiles) -> Result<Vec<File>> {
    let paths = crate::terraform::files::tf_files(dir)?;
    if paths.is_empty() {
        return Err(crate::terraform::files::no_tf_files(dir));
    }
    let mut files = Vec::new();
    for path in paths {
        let (body, blocks) = parse_file_locs(&path, parsed)?;
        files.push(File { shown: path.display().to_string(), body, blocks });
    }
    Ok(files)
}

/// One `.tf` file's body; a syntax error names `file:line:column` with a caret.
pub(crate) fn parse_file(path: &Path, parsed: &ParsedFiles) -> Result<Body> {
    parse_file_locs(path, parsed).map(|(body, _)| body)
}

/// The body and where each top-level block is, from one parse.
pub(super) fn parse_file_locs(path: &Path, parsed: &ParsedFiles) -> Result<(Body, Vec<BlockLoc>)> {
    let file = parsed.get(path)?;
    let (shown, text) = (&file.shown, &file.text);
    let Some(body) = &file.body else {
        return Ok((json::parse(shown, text)?, Vec::new()));
    };
    // Evaluation reads heredocs dedented; the shared body stays as written, for patches.
    let mut edit = body.clone();
    hcl_edit::visit_mut::VisitMut::visit_body_mut(&mut NestedDedent, &mut edit);
    use hcl_edit::Span;
    let line_starts: Vec<usize> = std::iter::once(0).chain(text.match_indices('\n').map(|(i, _)| i + 1)).collect();
    let line_col = |offset: usize| -> (u32, u32) {
        let line = line_starts.partition_point(|&s| s <= offset);
        let start = line_starts[line.saturating_sub(1)];
        (line as u32, text[start..offset.min(text.len())].chars().count() as u32 + 1)
    };
    let locs = edit
        .blocks()
        .map(|b| {
            let span = b.span().unwrap_or(0..0);
            let (line, column) = line_col(span.start);
            let (end_line, _) = line_col(span.end.saturating_sub(1).max(span.start));
            let attributes = b
                .body
                .attributes()
                .map(|a| (a.key.as_str().to_string(), line_col(a.span().map_or(span.start, |s| s.start)).0))
                .collect();
            BlockLoc { line, column, end_line, attributes }
        })
        .collect();
    Ok((edit.into(), locs))
}

/// `<<-EOT` heredocs: hcl-edit strips the common indentation from the literals at the
/// template's top level only; the lines inside `%{ for }` and `%{ if }` keep it. Strip
/// them by the same amount, as Terraform does.
pub(super) struct NestedDedent;

impl hcl_edit::visit_mut::VisitMut for NestedDedent {
    fn visit_heredoc_template_mut(&mut self, node: &mut hcl_edit::template::HeredocTemplate) {
        if let Some(n) = node.indent() {
            for el in node.template.iter_mut() {
                dedent_directive(el, n);
            }
        }
    }
}

pub(super) fn dedent_directive(el: &mut hcl_edit::template::Element, n: usize) {
    use hcl_edit::template::{Directive, Element};
    let Element::Directive(d) = el else { return };
    let templates: Vec<&mut hcl_edit::template::Template> = match d.as_mut() {
        Directive::If(i) => {
            let mut t = vec![&mut i.if_expr.template];
            if let Some(e) = i.else_expr.as_mut() {
                t.push(&mut e.template);
            }
            t
        }
        Directive::For(f) => vec![&mut f.for_expr.template],
    };
    for t in templates {
        // The first literal continues the directive's own line.
        let mut skip_first = true;
        for el in t.iter_mut() {
            match el {
                Element::Literal(lit) => {
                    let text: String = lit.to_string();
                    let mut out = String::with_capacity(text.len());
                    for (i, line) in text.split_inclusive('\n').enumerate() {
                        if i == 0 && skip_first {
                            out.push_str(line);
                        } else {
                            let strip = line.chars().take(n).take_while(|c| *c == ' ' || *c == '\t').count();
                            out.push_str(&line[strip..]);
                        }
                    }
                    skip_first = !text.ends_with('\n');
                    *lit = hcl_edit::Spanned::new(out);
                }
                Element::Directive(_) => {
                    dedent_directive(el, n);
                    skip_first = true;
                }
                Element::Interpolation(_) => skip_first = true,
            }
        }
    }
}

/// `.terraform/modules/modules.json`, as `terraform init` writes it: where each module
/// call's source was fetched, by its key (`vpc`, `eks.node_group`).
#[derive(Default)]
pub(super) struct ModuleManifest {
    pub(super) dirs: HashMap<String, PathBuf>,
}

impl ModuleManifest {
    pub(super) fn read(root: &Path) -> ModuleManifest {
        #[derive(serde::Deserialize)]
        struct Manifest {
            #[serde(rename = "Modules", default)]
            modules: Vec<Entry>,
        }
        #[derive(serde::Deserialize)]
        struct Entry {
            #[serde(rename = "Key")]
            key: String,
            #[serde(rename = "Dir")]
            dir: String,
        }
        let path = root.join(".terraform/modules/modules.json");
        let Ok(text) = std::fs::read_to_string(&path) else { return ModuleManifest::default() };
        let Ok(m) = serde_json::from_str::<Manifest>(&text) else { return ModuleManifest::default() };
        ModuleManifest {
            dirs: m.modules.into_iter().filter(|e| !e.key.is_empty()).map(|e| (e.key, root.join(e.dir))).collect(),
        }
    }
}

/// `import { to = ADDRESS, id = "..." }`: the id each address is imported from (ids that
/// are constant; others are left to matching by name).
pub(super) fn imports(files: &[File], root: &Path) -> HashMap<String, String> {
    let mut out = HashMap::new();
    for b in files.iter().flat_map(|f| f.body.blocks()).filter(|b| b.identifier.as_str() == "import") {
        let attr = |k: &str| b.body.attributes().find(|a| a.key.as_str() == k).map(|a| &a.expr);
        let (Some(to), Some(id)) = (attr("to"), attr("id")) else { continue };
        if let Ok(Value::String(id)) = constant(id, root) {
            if id != UNKNOWN {
                out.insert(to.to_string().replace(' ', ""), id);
            }
        }
    }
    out
}
