//! Filesystem functions. Relative paths resolve against the root module's directory,
//! Terraform's working directory; `path.module` is absolute, so `"${path.module}/x"`
//! reads the module's own file.

use super::{object, string, Env};
use base64::Engine;
use hcl::Value;
use std::path::{Path, PathBuf};

/// Larger files are refused rather than read whole into memory.
const MAX_FILE_BYTES: u64 = 64 << 20;

pub(crate) fn resolve(env: &Env, p: &str) -> PathBuf {
    let p = expand_home(p);
    match Path::new(&p).is_absolute() {
        true => PathBuf::from(p),
        false => env.root.join(p),
    }
}

fn expand_home(p: &str) -> String {
    match (p.strip_prefix('~'), std::env::var("HOME")) {
        (Some(rest), Ok(home)) if rest.is_empty() || rest.starts_with('/') => format!("{home}{rest}"),
        _ => p.to_string(),
    }
}

pub(crate) fn read(env: &Env, p: &str, what: &str) -> Result<Vec<u8>, String> {
    let path = resolve(env, p);
    let meta = std::fs::metadata(&path).map_err(|e| format!("{what}: {}: {e}", path.display()))?;
    if meta.len() > MAX_FILE_BYTES {
        return Err(format!("{what}: {} is larger than {} MiB", path.display(), MAX_FILE_BYTES >> 20));
    }
    std::fs::read(&path).map_err(|e| format!("{what}: {}: {e}", path.display()))
}

fn read_text(env: &Env, p: &str, what: &str) -> Result<String, String> {
    String::from_utf8(read(env, p, what)?).map_err(|_| format!("{what}: {p} is not valid UTF-8 (use filebase64)"))
}

pub fn abspath(a: &[Value], env: &Env) -> Result<Value, String> {
    let s = string(&a[0], "abspath")?;
    let p = if Path::new(&s).is_absolute() { PathBuf::from(&s) } else { env.root.join(&s) };
    Ok(Value::from(crate::terraform::files::clean_path(&p).display().to_string()))
}

pub fn dirname(a: &[Value], _: &Env) -> Result<Value, String> {
    let s = string(&a[0], "dirname")?;
    // Go's filepath.Dir: "." for a bare name, the path cleaned.
    let dir = match s.trim_end_matches('/').rfind('/') {
        Some(0) => "/".to_string(),
        Some(i) => s[..i].to_string(),
        None if s.starts_with('/') => "/".to_string(),
        None => ".".to_string(),
    };
    Ok(Value::from(dir))
}

pub fn basename(a: &[Value], _: &Env) -> Result<Value, String> {
    let s = string(&a[0], "basename")?;
    let t = s.trim_end_matches('/');
    Ok(Value::from(match (t.is_empty(), t.rfind('/')) {
        (true, _) if s.starts_with('/') => "/",
        (true, _) => ".",
        (false, Some(i)) => &t[i + 1..],
        (false, None) => t,
    }))
}

pub fn pathexpand(a: &[Value], _: &Env) -> Result<Value, String> {
    Ok(Value::from(expand_home(&string(&a[0], "pathexpand")?)))
}

pub fn file(a: &[Value], env: &Env) -> Result<Value, String> {
    Ok(Value::from(read_text(env, &string(&a[0], "file")?, "file")?))
}

pub fn fileexists(a: &[Value], env: &Env) -> Result<Value, String> {
    let path = resolve(env, &string(&a[0], "fileexists")?);
    match std::fs::metadata(&path) {
        Ok(m) if m.is_file() => Ok(Value::Bool(true)),
        Ok(_) => Err(format!("fileexists: {} is not a regular file", path.display())),
        Err(_) => Ok(Value::Bool(false)),
    }
}

pub fn filebase64(a: &[Value], env: &Env) -> Result<Value, String> {
    let bytes = read(env, &string(&a[0], "filebase64")?, "filebase64")?;
    Ok(Value::from(base64::engine::general_purpose::STANDARD.encode(bytes)))
}

/// Files under `path` matching `pattern` (`*`, `**`, `?`, `[...]`, `{a,b}`), relative to
/// `path`, sorted.
pub fn fileset(a: &[Value], env: &Env) -> Result<Value, String> {
    let base = string(&a[0], "fileset")?;
    let pattern = string(&a[1], "fileset")?;
    let glob = globset::GlobBuilder::new(&pattern)
        .literal_separator(true)
        .build()
        .map_err(|e| format!("fileset: invalid pattern {pattern:?}: {e}"))?
        .compile_matcher();
    let root = resolve(env, &base);
    let mut out = Vec::new();
    let mut stack = vec![(root.clone(), 0usize)];
    while let Some((dir, depth)) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&dir) else { continue };
        for e in entries.flatten() {
            let path = e.path();
            let Ok(kind) = e.file_type() else { continue };
            if kind.is_dir() && depth < 32 {
                stack.push((path, depth + 1));
            } else if kind.is_file() {
                if let Ok(rel) = path.strip_prefix(&root) {
                    let rel = rel.to_string_lossy().replace('\\', "/");
                    if glob.is_match(&rel) {
                        out.push(rel);
                    }
                }
            }
            if out.len() > 100_000 {
                return Err(format!("fileset: more than 100000 files under {}", root.display()));
            }
        }
    }
    out.sort();
    Ok(Value::Array(out.into_iter().map(Value::from).collect()))
}

pub fn templatefile(a: &[Value], env: &Env) -> Result<Value, String> {
    let text = read_text(env, &string(&a[0], "templatefile")?, "templatefile")?;
    (env.template)(&text, object(&a[1], "templatefile")?)
}
