//! docs/configuration.md covers every key the config accepts. The keys come from the
//! config types themselves: each section refuses an unknown key by listing the ones it
//! accepts.

mod common;

use common::*;

/// The keys a section accepts, from its "unknown field" error.
fn accepted(section: &str) -> Vec<String> {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("c.toml"), format!("{section}\nzzz_unknown = 1\n")).unwrap();
    let run = driftd_in(dir.path(), &["config", "check", "c.toml"]);
    assert_eq!(run.code, 2, "{section}: {}", run.stderr);
    let list = run.stderr.split("expected ").nth(1).unwrap_or_else(|| panic!("{section}: {}", run.stderr));
    list.split('`').skip(1).step_by(2).map(str::to_string).collect()
}

#[test]
fn configuration_reference_covers_every_key() {
    let doc = std::fs::read_to_string(root().join("docs/configuration.md")).unwrap();
    let section_of = |heading: &str| -> String {
        let start = doc.find(heading).unwrap_or_else(|| panic!("docs/configuration.md has no {heading}"));
        let rest = &doc[start + heading.len()..];
        rest[..rest.find("\n## ").unwrap_or(rest.len())].to_string()
    };
    let cases: &[(&str, &str)] = &[
        ("", "## Top level"),
        ("[check]", "## `[check]`"),
        ("[prices]", "## `[prices]`"),
        ("[cost_allocation]", "## `[cost_allocation]`"),
        ("[policy]", "## `[policy]`"),
        ("[aws]", "## `[aws]`"),
        ("[[aws.accounts]]", "## `[aws]`"),
        ("[aws.events]\nqueue_url = \"https://sqs.us-east-1.amazonaws.com/1/q\"", "## `[aws]`"),
        ("[azure]", "## `[azure]`"),
        ("[azure.events]\nqueue_url = \"https://a.queue.core.windows.net/q\"", "## `[aws]`"),
        ("[store]", "## `[store]`"),
        ("[alerts]", "## `[alerts]`"),
        ("[outbox]", "## `[outbox]`"),
        ("[daemon]", "## `[daemon]`"),
        ("[[target]]\nname = \"a\"\ninterval = \"1m\"", "## `[[target]]`"),
    ];
    let mut checked = 0;
    for (table, heading) in cases {
        let text = section_of(heading);
        for key in accepted(table) {
            assert!(text.contains(&format!("`{key}`")), "{heading} does not document `{key}`");
            checked += 1;
        }
    }
    // Notifiers: the keys of each kind, and the keys they all share (the route).
    let notify = section_of("## `[[notify]]`");
    for kind in driftd::notify::KINDS {
        for key in accepted(&format!("[[notify]]\nkind = \"{kind}\"")) {
            assert!(
                notify.lines().any(|l| l.starts_with(&format!("| {kind} |")) && l.contains(&format!("`{key}`"))),
                "[[notify]] {kind} does not document `{key}`"
            );
            checked += 1;
        }
    }
    for key in driftd::notify::route_keys() {
        assert!(notify.contains(&format!("| `{key}` |")), "[[notify]] does not document `{key}`");
        checked += 1;
    }
    assert!(checked > 80, "only {checked} keys checked");
}
