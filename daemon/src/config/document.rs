//! Where a key of `driftd.toml` is: problems get their line from the parsed document's
//! spans (toml's `DeTable`), never from searching the text, and a key or section that
//! fails to deserialize is set aside so that the rest of the file is still checked.

use std::ops::Range;
use toml::de::{DeArray, DeTable, DeValue};
use toml::Spanned;

pub struct Document<'i> {
    pub root: Spanned<DeTable<'i>>,
}

impl<'i> Document<'i> {
    pub fn parse(text: &'i str) -> Result<Document<'i>, toml::de::Error> {
        Ok(Document { root: DeTable::parse(text)? })
    }

    /// The span of the key at `path` (`["daemon", "listen"]`), else of the deepest table
    /// on the path that is in the file.
    pub fn key_span(&self, path: &[&str]) -> Option<Range<usize>> {
        let mut table = self.root.get_ref();
        let mut found = None;
        for (i, key) in path.iter().enumerate() {
            let Some((k, v)) = table.get_key_value(*key) else { break };
            found = Some(k.span());
            match v.get_ref() {
                DeValue::Table(t) if i + 1 < path.len() => table = t,
                _ => break,
            }
        }
        found
    }

    /// The span of `key` in the table whose span is `table` (a `[[target]]` found by the
    /// span its `Spanned` kept), else the table's own span.
    pub fn key_in_table(&self, table: Range<usize>, key: &str) -> Range<usize> {
        fn find<'a, 'i>(v: &'a Spanned<DeValue<'i>>, span: &Range<usize>) -> Option<&'a DeTable<'i>> {
            match v.get_ref() {
                DeValue::Table(t) if v.span() == *span => Some(t),
                DeValue::Table(t) => t.values().find_map(|v| find(v, span)),
                DeValue::Array(a) => a.iter().find_map(|v| find(v, span)),
                _ => None,
            }
        }
        self.root
            .get_ref()
            .values()
            .find_map(|v| find(v, &table))
            .and_then(|t| t.get_key_value(key))
            .map(|(k, _)| k.span())
            .unwrap_or(table)
    }

    /// The `name` of each table of the array of tables `array`, with the name key's offset.
    pub fn names_in(&self, array: &str) -> Vec<(String, usize)> {
        let Some(DeValue::Array(a)) = self.root.get_ref().get(array).map(|v| v.get_ref()) else {
            return Vec::new();
        };
        a.iter()
            .filter_map(|e| match e.get_ref() {
                DeValue::Table(t) => t.get_key_value("name"),
                _ => None,
            })
            .filter_map(|(k, v)| v.get_ref().as_str().map(|n| (n.to_string(), k.span().start)))
            .collect()
    }

    /// Where `offset` is, in words: `daemon.listen`, `target "gpu": interval` (an element
    /// of an array of tables by its `name`, else `target #2`); for an offset in a key, the
    /// table holding it (an unknown key is named by the error itself).
    pub fn path_at(&self, offset: usize) -> String {
        let mut path = String::new();
        for segment in find_path(self.root.get_ref(), offset).unwrap_or_default() {
            match segment {
                Segment::Key(k) if path.is_empty() || path.ends_with(": ") => path.push_str(&k),
                Segment::Key(k) => path.push_str(&format!(".{k}")),
                Segment::Named(n, _) => path.push_str(&format!(" {n:?}: ")),
                Segment::Index(i) => path.push_str(&format!(" #{}: ", i + 1)),
            }
        }
        path.trim_end_matches(": ").to_string()
    }

    /// Sets aside what a deserialization error at `span` was about: the key whose key or
    /// value is at `span` (the rest of its table is still checked), else the top-level
    /// section or the `[[array]]` element holding it. Returns where that was (the table's
    /// path, as [`Document::path_at`] names it) and the key's name (empty for a section);
    /// `None` when nothing could be removed (the caller stops).
    pub fn set_aside(&mut self, span: &Range<usize>) -> Option<(String, String)> {
        if let Some(key) = key_at(self.root.get_ref(), span) {
            // An offset in a key names the table that holds it.
            let table = self.path_at(key.start);
            return remove_key(self.root.get_mut(), &key).map(|name| (table, name));
        }
        // Found by contents: a `[section]`'s own span is only its header.
        let table = self.path_at(span.start);
        let path = find_path(self.root.get_ref(), span.start)?;
        let Some(Segment::Key(section)) = path.first() else { return None };
        let element = match path.get(1) {
            Some(Segment::Named(_, i) | Segment::Index(i)) => Some(*i),
            _ => None,
        };
        let root = self.root.get_mut();
        if let (Some(i), Some(DeValue::Array(a))) = (element, root.get_mut(section.as_str()).map(|v| v.get_mut())) {
            let mut kept = DeArray::new();
            for (j, e) in a.iter().enumerate() {
                if j != i {
                    kept.push(e.clone());
                }
            }
            *a = kept;
            return Some((table, String::new()));
        }
        root.remove(section.as_str()).map(|_| (table, String::new()))
    }
}

enum Segment {
    Key(String),
    /// An element of an array of tables that has a `name`, and its index.
    Named(String, usize),
    Index(usize),
}

/// The keys leading to `offset` in `table`; a key's own span ends the path at its table.
/// A `[section]` table's span is its header, so tables are searched by their contents.
fn find_path(table: &DeTable<'_>, offset: usize) -> Option<Vec<Segment>> {
    for (k, v) in table.iter() {
        if k.span().contains(&offset) {
            return Some(Vec::new());
        }
        let key = Segment::Key(k.get_ref().to_string());
        match v.get_ref() {
            DeValue::Table(t) => {
                if let Some(rest) = find_path(t, offset) {
                    return Some(std::iter::once(key).chain(rest).collect());
                }
            }
            DeValue::Array(a) => {
                for (i, e) in a.iter().enumerate() {
                    let found = match e.get_ref() {
                        DeValue::Table(t) => find_path(t, offset).or_else(|| e.span().contains(&offset).then(Vec::new)),
                        _ => e.span().contains(&offset).then(Vec::new),
                    };
                    if let Some(rest) = found {
                        let element = match e.get_ref() {
                            DeValue::Table(t) => match t.get("name").and_then(|n| n.get_ref().as_str()) {
                                Some(n) => Segment::Named(n.to_string(), i),
                                None => Segment::Index(i),
                            },
                            _ => Segment::Index(i),
                        };
                        return Some([key, element].into_iter().chain(rest).collect());
                    }
                }
            }
            _ if v.span().contains(&offset) => return Some(vec![key]),
            _ => {}
        }
    }
    None
}

/// The span of the key, below the top level (a whole section is set aside apart), whose
/// own span or value's span (not a table's) is `span`.
fn key_at(table: &DeTable<'_>, span: &Range<usize>) -> Option<Range<usize>> {
    fn within(table: &DeTable<'_>, span: &Range<usize>) -> Option<Range<usize>> {
        let own = table
            .iter()
            .find(|(k, v)| k.span() == *span || (v.span() == *span && !matches!(v.get_ref(), DeValue::Table(_))));
        own.map(|(k, _)| k.span()).or_else(|| below(table, span))
    }
    fn below(table: &DeTable<'_>, span: &Range<usize>) -> Option<Range<usize>> {
        table.values().find_map(|v| match v.get_ref() {
            DeValue::Table(t) => within(t, span),
            DeValue::Array(a) => a.iter().find_map(|e| match e.get_ref() {
                DeValue::Table(t) => within(t, span),
                _ => None,
            }),
            _ => None,
        })
    }
    below(table, span)
}

/// Removes the key whose own span is `key` (found by [`key_at`]), and returns its name.
fn remove_key(table: &mut DeTable<'_>, key: &Range<usize>) -> Option<String> {
    if let Some(name) = table.keys().find(|k| k.span() == *key).map(|k| k.get_ref().to_string()) {
        table.remove(name.as_str());
        return Some(name);
    }
    table.iter_mut().find_map(|(_, v)| match v.get_mut() {
        DeValue::Table(t) => remove_key(t, key),
        DeValue::Array(a) => a.iter_mut().find_map(|e| match e.get_mut() {
            DeValue::Table(t) => remove_key(t, key),
            _ => None,
        }),
        _ => None,
    })
}

pub fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let mut offset = offset.min(text.len());
    while !text.is_char_boundary(offset) {
        offset -= 1;
    }
    let before = &text[..offset];
    let line = before.matches('\n').count() + 1;
    let col = before.len() - before.rfind('\n').map_or(0, |i| i + 1) + 1;
    (line, col)
}
