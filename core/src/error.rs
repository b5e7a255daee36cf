//! Errors that end a run. Each names the file (with line and column where there is
//! one) or the endpoint, and maps to exactly one exit code of the contract.

use std::fmt;
use std::path::Path;

/// Which exit code an error ends the run with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorKind {
    /// Usage, configuration or input error: exit 2.
    Input,
    /// Live or declared state could not be read (network, credentials, backend): exit 3.
    Unreachable,
}

impl ErrorKind {
    pub fn exit_code(self) -> i32 {
        match self {
            ErrorKind::Input => 2,
            ErrorKind::Unreachable => 3,
        }
    }
}

/// At most `max` characters of `s`, ending in `…` when cut: a value shown in a message.
pub fn cut(s: &str, max: usize) -> String {
    match s.char_indices().nth(max) {
        Some((i, _)) => format!("{}…", &s[..i]),
        None => s.to_string(),
    }
}

/// A URL as messages and reports show it: without user info (`user:password@`) or query
/// (`?token=`), either of which may hold a credential.
pub fn redact_url(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_string();
    };
    let (authority, path) = rest.split_once('/').map_or((rest, ""), |(a, p)| (a, p));
    let host = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
    let path = path.split_once('?').map_or(path, |(p, _)| p);
    if path.is_empty() {
        format!("{scheme}://{host}")
    } else {
        format!("{scheme}://{host}/{path}")
    }
}

/// A text file read whole; one that is not UTF-8 is an input error naming the file and
/// the byte offset, and who wants UTF-8 (`Terraform reads .tf and .tfvars files as UTF-8`).
pub fn read_utf8(path: &Path, why: &str) -> Result<String, Error> {
    let bytes = std::fs::read(path).map_err(|e| Error::io(path, &e))?;
    String::from_utf8(bytes).map_err(|e| {
        let offset = e.utf8_error().valid_up_to();
        Error::input(path.display().to_string(), format!("not UTF-8 text (invalid byte at offset {offset}): {why}"))
    })
}

/// One clear message: `where: what`, where `where` is `file[:line[:column]]` or an endpoint.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Error {
    pub kind: ErrorKind,
    pub location: String,
    pub message: String,
}

impl Error {
    pub fn input(location: impl Into<String>, message: impl Into<String>) -> Self {
        Error { kind: ErrorKind::Input, location: location.into(), message: message.into() }
    }

    /// Every problem at once: one as it is, several as `N problems:` and one per line.
    pub fn input_all(location: impl Into<String>, problems: &[String]) -> Self {
        let message = match problems {
            [one] => one.clone(),
            many => format!("{} problems:\n  {}", many.len(), many.join("\n  ")),
        };
        Error::input(location, message)
    }

    pub fn unreachable(location: impl Into<String>, message: impl Into<String>) -> Self {
        Error { kind: ErrorKind::Unreachable, location: location.into(), message: message.into() }
    }

    /// The same error with each of its `; `-separated problems cut to a readable length:
    /// a value it echoes (an 8 MB string in a config file) is shown by its start.
    pub fn with_values_cut(mut self) -> Self {
        const MAX: usize = 300;
        // Each problem on its own: one per line, or several on a line after "; ".
        let cut_line = |line: &str| -> String {
            line.split("; ")
                .map(|p| match p.chars().count() {
                    n if n > MAX => format!("{} (cut: {n} characters)", cut(p, MAX)),
                    _ => p.to_string(),
                })
                .collect::<Vec<_>>()
                .join("; ")
        };
        let parts: Vec<String> = self.message.split('\n').map(cut_line).collect();
        self.message = parts.join("\n");
        self
    }

    /// An I/O error on a local file: a missing or unreadable file is an input error.
    pub fn io(path: &Path, err: &std::io::Error) -> Self {
        let what = match err.kind() {
            std::io::ErrorKind::NotFound => "no such file".to_string(),
            std::io::ErrorKind::PermissionDenied => "permission denied".to_string(),
            std::io::ErrorKind::IsADirectory => "is a directory, expected a file".to_string(),
            _ => err.to_string(),
        };
        Error::input(path.display().to_string(), what)
    }

    /// A serde_json error while reading `what` from `location`: names line and column,
    /// and says "ends early" for truncated input rather than serde's wording.
    pub fn json(location: &str, what: &str, err: &serde_json::Error) -> Self {
        use serde_json::error::Category;
        let message = match err.classify() {
            Category::Eof => format!("{what} ends early (truncated file?)"),
            Category::Syntax => format!("{what} is not valid JSON: {}", strip_position(err)),
            Category::Data => format!("{what} has an unexpected shape: {}", strip_position(err)),
            Category::Io => format!("could not read {what}: {}", strip_position(err)),
        };
        let location =
            if err.line() > 0 { format!("{location}:{}:{}", err.line(), err.column()) } else { location.to_string() };
        Error::input(location, message)
    }

    pub fn exit_code(&self) -> i32 {
        self.kind.exit_code()
    }
}

/// serde_json appends " at line L column C"; we print the position up front instead.
fn strip_position(err: &serde_json::Error) -> String {
    let text = err.to_string();
    match text.rfind(" at line ") {
        Some(i) => text[..i].to_string(),
        None => text,
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.location.is_empty() {
            write!(f, "{}", self.message)
        } else {
            write!(f, "{}: {}", self.location, self.message)
        }
    }
}

impl std::error::Error for Error {}

pub type Result<T, E = Error> = std::result::Result<T, E>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redacts_userinfo_and_query() {
        assert_eq!(redact_url("https://bob:s3cret@state.example/prod?token=abc"), "https://state.example/prod");
        assert_eq!(redact_url("s3://bucket/key"), "s3://bucket/key");
    }

    #[test]
    fn cut_marks_what_it_cuts() {
        assert_eq!(cut("abcdef", 3), "abc…");
        assert_eq!(cut("abc", 3), "abc");
    }
}
