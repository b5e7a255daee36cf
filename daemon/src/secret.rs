//! Secrets (webhook URLs, tokens, signing keys): read from an environment variable or a
//! file named in config, or given inline. A [`Secret`] never prints its value: `Debug` and
//! `Display` show only where it came from, so a stray `{:?}` in a log line or an error
//! cannot leak it.

use std::fmt;
use std::path::{Path, PathBuf};

#[derive(Clone)]
pub struct Secret {
    value: String,
    /// `env DRIFTD_SLACK_TOKEN`, `file /run/secrets/slack`, `inline url`: safe to show.
    origin: String,
}

impl Secret {
    pub fn expose(&self) -> &str {
        &self.value
    }

    pub fn origin(&self) -> &str {
        &self.origin
    }

    /// A secret given another way (a command-line argument); `origin` says which.
    pub fn given(value: &str, origin: &str) -> Secret {
        Secret { value: value.to_string(), origin: origin.to_string() }
    }

    #[cfg(test)]
    pub fn for_test(value: &str) -> Secret {
        Secret { value: value.to_string(), origin: "test".into() }
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Secret({})", self.origin)
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "<secret from {}>", self.origin)
    }
}

/// The three ways config may name one secret: `NAME`, `NAME_env`, `NAME_file`.
#[derive(Debug, Default, Clone)]
pub struct SecretRef {
    pub inline: Option<String>,
    pub env: Option<String>,
    pub file: Option<PathBuf>,
}

impl SecretRef {
    pub fn is_set(&self) -> bool {
        self.inline.is_some() || self.env.is_some() || self.file.is_some()
    }

    /// Pure: exactly one source must be named. `key` is the config key (`url`, `token`).
    pub fn validate(&self, key: &str, required: bool, problems: &mut Vec<String>) {
        let n = [self.inline.is_some(), self.env.is_some(), self.file.is_some()].iter().filter(|b| **b).count();
        if n > 1 {
            problems.push(format!("give only one of {key}, {key}_env, {key}_file"));
        } else if n == 0 && required {
            problems
                .push(format!("{key} is required (as {key}_env = \"VAR\", {key}_file = \"PATH\" or {key} = \"...\")"));
        }
        if let Some(v) = &self.env {
            if v.is_empty() || v.contains('=') {
                problems.push(format!("{key}_env {v:?} is not an environment variable name"));
            }
        }
    }

    /// Reads a secret that is a URL (a webhook's), and checks it is an http(s) URL with a
    /// host: a mistyped one fails where secrets are read (`config check --secrets`, start),
    /// not at every delivery. Errors name the variable or file, never the value.
    pub fn resolve_url(&self, key: &str) -> Result<Option<Secret>, String> {
        let Some(secret) = self.resolve(key)? else { return Ok(None) };
        crate::notify::http_url(secret.expose()).map_err(|why| format!("{key} from {}: {why}", secret.origin))?;
        Ok(Some(secret))
    }

    /// Reads the secret. Errors name the variable or file, never a value.
    pub fn resolve(&self, key: &str) -> Result<Option<Secret>, String> {
        if let Some(v) = &self.inline {
            return Ok(Some(Secret { value: v.clone(), origin: format!("inline {key}") }));
        }
        if let Some(name) = &self.env {
            return match std::env::var(name) {
                Ok(v) if !v.trim().is_empty() => {
                    Ok(Some(Secret { value: v.trim().to_string(), origin: format!("env {name}") }))
                }
                Ok(_) => Err(format!("{key}_env: environment variable {name} is empty")),
                Err(_) => Err(format!("{key}_env: environment variable {name} is not set")),
            };
        }
        if let Some(path) = &self.file {
            return read_file(path).map(Some).map_err(|e| format!("{key}_file: {e}"));
        }
        Ok(None)
    }
}

fn read_file(path: &Path) -> Result<Secret, String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    let value = text.trim();
    if value.is_empty() {
        return Err(format!("{} is empty", path.display()));
    }
    Ok(Secret { value: value.to_string(), origin: format!("file {}", path.display()) })
}

/// Removes every known secret from a text (an error body that echoes a token back).
pub fn scrub(text: &str, secrets: &[&Secret]) -> String {
    let mut out = text.to_string();
    for s in secrets {
        if s.value.len() >= 4 {
            out = out.replace(&s.value, "[redacted]");
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_and_display_never_show_the_value() {
        let s = Secret { value: "xoxb-123-secret".into(), origin: "env SLACK".into() };
        assert!(!format!("{s:?} {s}").contains("xoxb"));
    }

    #[test]
    fn env_errors_name_the_variable() {
        let r = SecretRef { env: Some("DRIFTD_TEST_SURELY_UNSET_VAR".into()), ..Default::default() };
        let err = r.resolve("token").unwrap_err();
        assert!(err.contains("DRIFTD_TEST_SURELY_UNSET_VAR") && err.contains("not set"), "{err}");
    }

    #[test]
    fn two_sources_are_refused() {
        let r = SecretRef { inline: Some("a".into()), env: Some("B".into()), file: None };
        let mut p = Vec::new();
        r.validate("url", true, &mut p);
        assert_eq!(p.len(), 1, "{p:?}");
    }

    #[test]
    fn scrub_removes_values() {
        let s = Secret::for_test("hunter22");
        assert_eq!(scrub("token hunter22 rejected", &[&s]), "token [redacted] rejected");
    }
}
