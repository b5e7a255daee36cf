//! `.driftignore`, driftctl-compatible: one pattern per line, `TYPE.ID` or
//! `TYPE.ID.attribute.path`, `*` wildcards, `!` to negate, `#` comments, `\.` for a
//! dot inside an id or key. Like `.gitignore`, the last matching line decides.
//! A line may carry an expiry, `# until 2026-12-31` (inclusive): after that day it
//! no longer applies and the report says so. driftd adds `TYPE.ID@POLICY`: only that
//! policy's violations on that resource (a resource a plan creates, which has no id yet,
//! is named by its address in place of the id).

use crate::error::{Error, Result};
use crate::model::{Cloud, Finding, Warning, WarningKind};
use jiff::civil::Date;
use std::path::Path;

#[derive(Debug, Clone, PartialEq)]
pub struct Rule {
    pub line: usize,
    pub negate: bool,
    pub tf_type: String,
    pub id: String,
    /// Attribute path below the resource (`tags.owner`), joined with dots; empty for the whole resource.
    pub attr: String,
    /// `@POLICY`: the line speaks only for that policy's violations (wildcards allowed).
    pub policy: Option<String>,
    pub until: Option<Date>,
    /// The pattern as written, for messages.
    pub text: String,
}

#[derive(Debug, Clone, Default)]
pub struct DriftIgnore {
    pub file: String,
    pub rules: Vec<Rule>,
}

impl DriftIgnore {
    pub fn parse(file: &str, text: &str) -> Result<DriftIgnore> {
        let mut rules = Vec::new();
        for (i, raw) in text.lines().enumerate() {
            let line = i + 1;
            let (pattern, comment) = split_comment(raw);
            let pattern = pattern.trim();
            if pattern.is_empty() {
                continue;
            }
            let until = match comment.and_then(|c| c.split_whitespace().skip_while(|w| *w != "until").nth(1)) {
                Some(date) => Some(date.parse::<Date>().map_err(|_| {
                    Error::input(
                        format!("{file}:{line}"),
                        format!("`until {date}` is not a date; write `# until YYYY-MM-DD`"),
                    )
                })?),
                None => None,
            };
            let (negate, body) = match pattern.strip_prefix('!') {
                Some(rest) => (true, rest),
                None => (false, pattern),
            };
            let (body, policy) = match body.rsplit_once('@') {
                Some((resource, policy)) => (resource, Some(policy.to_string())),
                None => (body, None),
            };
            let segs = split_escaped(body);
            if segs.len() < 2 || segs.iter().take(2).any(String::is_empty) {
                return Err(Error::input(
                    format!("{file}:{line}"),
                    format!("`{pattern}` is not a pattern; write TYPE.ID or TYPE.ID.attribute (use `\\.` for a dot in an id)"),
                ));
            }
            if let Some(p) = &policy {
                if p.is_empty() || p.contains(char::is_whitespace) || segs.len() > 2 {
                    return Err(Error::input(
                        format!("{file}:{line}"),
                        format!("`{pattern}` is not a policy pattern; write TYPE.ID@POLICY_ID (a resource, not an attribute)"),
                    ));
                }
            }
            rules.push(Rule {
                line,
                negate,
                tf_type: segs[0].clone(),
                id: segs[1].clone(),
                attr: segs[2..].join("."),
                policy,
                until,
                text: pattern.to_string(),
            });
        }
        Ok(DriftIgnore { file: file.to_string(), rules })
    }

    pub fn read_file(path: &Path) -> Result<DriftIgnore> {
        let bytes = std::fs::read(path).map_err(|e| Error::io(path, &e))?;
        let location = path.display().to_string();
        let text = crate::encoding::decode(&location, &bytes)?;
        DriftIgnore::parse(&location, &String::from_utf8_lossy(&text))
    }

    /// The rules in force on `today`; each expired line becomes a warning.
    pub fn active(&self, today: Date) -> (Active<'_>, Vec<Warning>) {
        let mut warnings = Vec::new();
        let rules = self
            .rules
            .iter()
            .filter(|r| match r.until {
                Some(until) if until < today => {
                    warnings.push(Warning::new(
                        WarningKind::IgnoreExpired,
                        format!("`{}` expired on {until} and no longer applies", r.text),
                        Some(format!("{}:{}", self.file, r.line)),
                    ));
                    false
                }
                _ => true,
            })
            .collect();
        (Active { rules }, warnings)
    }
}

/// The ignore rules in force for one run.
#[derive(Debug, Clone, Default)]
pub struct Active<'a> {
    rules: Vec<&'a Rule>,
}

impl Active<'_> {
    /// Is the resource (`attr` None) or one attribute path of it ignored? The last
    /// matching line decides, so `!` lines re-include what an earlier line dropped.
    pub fn ignores(&self, cloud: Cloud, tf_type: &str, id: &str, attr: Option<&str>) -> bool {
        let mut verdict = false;
        for r in self.rules.iter().filter(|r| r.policy.is_none()) {
            // A resource-level line also speaks for each of its attributes.
            if r.matches(cloud, tf_type, id, None) && r.attr.is_empty()
                || attr.is_some() && r.matches(cloud, tf_type, id, attr)
            {
                verdict = !r.negate;
            }
        }
        verdict
    }

    /// Is one policy's violation on a resource ignored, by a line for the whole resource
    /// or one for that policy on it? `key` is the resource's id, or its address when it
    /// has none yet (a plan creates it). The last matching line decides.
    pub fn ignores_violation(&self, cloud: Cloud, tf_type: &str, key: &str, policy: &str) -> bool {
        let mut verdict = false;
        for r in &self.rules {
            let speaks = match &r.policy {
                None => r.attr.is_empty(),
                Some(p) => wildcard(p, policy),
            };
            if speaks && r.matches(cloud, tf_type, key, None) {
                verdict = !r.negate;
            }
        }
        verdict
    }

    /// Drop violation findings that a line ignores (they are made outside the comparer).
    pub fn retain(&self, findings: &mut Vec<Finding>) {
        findings.retain(|f| match &f.policy {
            Some(p) => !self.ignores_violation(f.resource.provider, &f.resource.tf_type, violation_key(f), &p.id),
            None => !self.ignores(f.resource.provider, &f.resource.tf_type, &f.resource.id, None),
        });
    }
}

impl Rule {
    /// Does this rule cover the resource (`attr` None) or one changed attribute of it?
    fn matches(&self, cloud: Cloud, tf_type: &str, id: &str, attr: Option<&str>) -> bool {
        if !wildcard(&self.tf_type, tf_type) {
            return false;
        }
        let id_ok = match cloud {
            Cloud::Azure => wildcard(&self.id.to_ascii_lowercase(), &id.to_ascii_lowercase()),
            _ => wildcard(&self.id, id),
        };
        if !id_ok {
            return false;
        }
        match (self.attr.is_empty(), attr) {
            (true, _) => true,
            (false, None) => false,
            (false, Some(path)) => wildcard(&self.attr, path) || wildcard(&format!("{}.*", self.attr), path),
        }
    }
}

/// The `.driftignore` line that ignores a resource or one attribute of it.
pub fn line_for(tf_type: &str, id: &str, attr: Option<&str>) -> String {
    let esc = |s: &str| s.replace('\\', r"\\").replace('.', r"\.").replace('*', r"\*");
    match attr {
        Some(a) => format!("{tf_type}.{}.{}", esc(id), a.split('.').map(esc).collect::<Vec<_>>().join(".")),
        None => format!("{tf_type}.{}", esc(id)),
    }
}

/// What names a violation's resource in `.driftignore`: its id, or its address while a
/// plan has yet to create it.
pub fn violation_key(f: &Finding) -> &str {
    resource_key(&f.resource.id, f.resource.address.as_deref())
}

/// A resource's id, or its address while it has none (a plan is yet to create it).
pub fn resource_key<'a>(id: &'a str, address: Option<&'a str>) -> &'a str {
    match (id, address) {
        ("", Some(address)) => address,
        (id, _) => id,
    }
}

/// The `.driftignore` line that ignores one policy's violations on one resource.
pub fn line_for_violation(tf_type: &str, key: &str, policy: &str) -> String {
    format!("{}@{policy}", line_for(tf_type, key, None))
}

/// Split off a trailing `# comment` (a `#` at the start or after white space).
fn split_comment(line: &str) -> (&str, Option<&str>) {
    let bytes = line.as_bytes();
    for (i, &b) in bytes.iter().enumerate() {
        if b == b'#' && (i == 0 || bytes[i - 1].is_ascii_whitespace()) {
            return (&line[..i], Some(&line[i + 1..]));
        }
    }
    (line, None)
}

/// Split on dots not escaped with a backslash; `\.` becomes `.`, `\\` becomes `\`.
/// An escaped `*` stays `\*` so that the matcher takes it literally.
fn split_escaped(s: &str) -> Vec<String> {
    let mut out = vec![String::new()];
    let mut chars = s.chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' => match chars.next() {
                Some('.') => out.last_mut().unwrap().push('.'),
                Some('*') => out.last_mut().unwrap().push_str(r"\*"),
                Some(other) => out.last_mut().unwrap().push(other),
                None => out.last_mut().unwrap().push('\\'),
            },
            '.' => out.push(String::new()),
            c => out.last_mut().unwrap().push(c),
        }
    }
    out
}

/// `*` matches any run of characters (dots included); `\*` is a literal star.
fn wildcard(pattern: &str, text: &str) -> bool {
    let mut toks: Vec<Option<char>> = Vec::new(); // None = star
    let mut it = pattern.chars();
    while let Some(c) = it.next() {
        match c {
            '\\' => match it.next() {
                Some(n) => toks.push(Some(n)),
                None => toks.push(Some('\\')),
            },
            '*' => toks.push(None),
            c => toks.push(Some(c)),
        }
    }
    let text: Vec<char> = text.chars().collect();
    let (mut p, mut t) = (0, 0);
    let (mut star, mut mark) = (None, 0);
    while t < text.len() {
        if p < toks.len() && toks[p] == Some(text[t]) {
            p += 1;
            t += 1;
        } else if p < toks.len() && toks[p].is_none() {
            star = Some(p);
            mark = t;
            p += 1;
        } else if let Some(s) = star {
            p = s + 1;
            mark += 1;
            t = mark;
        } else {
            return false;
        }
    }
    while p < toks.len() && toks[p].is_none() {
        p += 1;
    }
    p == toks.len()
}

#[cfg(test)]
mod tests;
