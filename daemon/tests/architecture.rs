//! docs/architecture.md and the README's "Adding a …" paragraph name files and folders
//! of the tree: each one they name exists.

mod common;

use common::*;

/// Every `core/…`, `daemon/…`, `providers/…` or `policies/…` path in backticks.
fn named_paths(text: &str) -> Vec<String> {
    text.split('`')
        .skip(1)
        .step_by(2)
        .filter(|s| ["core/", "daemon/", "providers/", "policies/"].iter().any(|p| s.starts_with(p)))
        .filter(|s| !s.contains('<') && !s.contains('*'))
        .map(str::to_string)
        .collect()
}

#[test]
fn architecture_md_names_only_paths_that_exist() {
    let mut checked = 0;
    for doc in ["docs/architecture.md", "README.md"] {
        let text = std::fs::read_to_string(root().join(doc)).unwrap();
        for path in named_paths(&text) {
            assert!(root().join(&path).exists(), "{doc} names {path}, which does not exist");
            checked += 1;
        }
    }
    assert!(checked > 40, "only {checked} paths named");
}

/// Every module of core, providers and the daemon has a line on the architecture page
/// (by its file or its folder).
#[test]
fn architecture_md_covers_every_module() {
    let doc = std::fs::read_to_string(root().join("docs/architecture.md")).unwrap();
    let named = named_paths(&doc);
    let mut missing = Vec::new();
    for dir in ["core/src", "daemon/src", "providers/src", "policies/src"] {
        for entry in std::fs::read_dir(root().join(dir)).unwrap() {
            let name = entry.unwrap().file_name().to_string_lossy().into_owned();
            if name == "tests.rs" || name == "tests" || name == "lib.rs" && dir != "daemon/src" {
                continue;
            }
            let path = format!("{dir}/{name}");
            let covered = named.iter().any(|n| n.trim_end_matches('/') == path || n.starts_with(&format!("{path}/")));
            if !covered && (name.ends_with(".rs") || root().join(&path).is_dir()) {
                missing.push(path);
            }
        }
    }
    assert!(missing.is_empty(), "docs/architecture.md does not name: {missing:?}");
}
