use super::*;

fn d(s: &str) -> Date {
    s.parse().unwrap()
}

fn active_ignores(text: &str, today: &str, cloud: Cloud, t: &str, id: &str, attr: Option<&str>) -> bool {
    let f = DriftIgnore::parse(".driftignore", text).unwrap();
    let (active, _) = f.active(d(today));
    active.ignores(cloud, t, id, attr)
}

#[test]
fn resource_patterns_and_wildcards() {
    let text = "# comment\n\naws_instance.i-123\naws_instance.i-9*\n*.i-shared\n";
    for (id, want) in [("i-123", true), ("i-999", true), ("i-1234", false), ("i-shared", true)] {
        assert_eq!(active_ignores(text, "2026-01-01", Cloud::Aws, "aws_instance", id, None), want, "{id}");
    }
    // A resource-level line covers every attribute of the resource.
    assert!(active_ignores(text, "2026-01-01", Cloud::Aws, "aws_instance", "i-123", Some("tags.owner")));
    assert!(!active_ignores(text, "2026-01-01", Cloud::Aws, "aws_launch_template", "i-123", None));
}

#[test]
fn attribute_patterns_match_the_path_and_below() {
    let text = "aws_instance.*.tags\naws_instance.i-1.metadata_options.0.http_tokens\n";
    let t = |id, attr| active_ignores(text, "2026-01-01", Cloud::Aws, "aws_instance", id, attr);
    assert!(t("i-7", Some("tags.owner")));
    assert!(t("i-7", Some("tags")));
    assert!(!t("i-7", Some("tags_all")), "a path prefix must end at a segment");
    assert!(!t("i-7", None), "an attribute line never drops the whole resource");
    assert!(t("i-1", Some("metadata_options.0.http_tokens")));
    assert!(!t("i-1", Some("metadata_options.0.http_endpoint")));
}

#[test]
fn negation_last_match_wins() {
    let text = "aws_instance.*\n!aws_instance.i-keep\n";
    assert!(active_ignores(text, "2026-01-01", Cloud::Aws, "aws_instance", "i-drop", None));
    assert!(!active_ignores(text, "2026-01-01", Cloud::Aws, "aws_instance", "i-keep", None));
    let text = "!aws_instance.i-keep\naws_instance.*\n";
    assert!(active_ignores(text, "2026-01-01", Cloud::Aws, "aws_instance", "i-keep", None), "order matters");
}

#[test]
fn escaped_dots_in_ids_and_case_insensitive_arm_ids() {
    let line = line_for(
        "azurerm_linux_virtual_machine",
        "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Compute/virtualMachines/vm.1",
        Some("tags.team"),
    );
    assert_eq!(
        line,
        r"azurerm_linux_virtual_machine./subscriptions/s/resourceGroups/rg/providers/Microsoft\.Compute/virtualMachines/vm\.1.tags.team"
    );
    let lower = "/subscriptions/s/resourcegroups/rg/providers/microsoft.compute/virtualmachines/vm.1";
    assert!(active_ignores(
        &line,
        "2026-01-01",
        Cloud::Azure,
        "azurerm_linux_virtual_machine",
        lower,
        Some("tags.team")
    ));
    assert!(!active_ignores(
        &line,
        "2026-01-01",
        Cloud::Azure,
        "azurerm_linux_virtual_machine",
        lower,
        Some("tags.owner")
    ));
    // Ids on AWS are case-sensitive.
    assert!(!active_ignores("aws_instance.I-1", "2026-01-01", Cloud::Aws, "aws_instance", "i-1", None));
}

#[test]
fn expiry_is_inclusive_then_warns() {
    let text = "aws_instance.i-1  # until 2026-12-31 (capacity test, JIRA-42)\n";
    assert!(active_ignores(text, "2026-12-31", Cloud::Aws, "aws_instance", "i-1", None));
    assert!(!active_ignores(text, "2027-01-01", Cloud::Aws, "aws_instance", "i-1", None));
    let f = DriftIgnore::parse("infra/.driftignore", text).unwrap();
    let (_, warnings) = f.active(d("2027-01-01"));
    assert_eq!(warnings.len(), 1);
    assert_eq!(warnings[0].kind, crate::model::WarningKind::IgnoreExpired);
    assert_eq!(warnings[0].location.as_deref(), Some("infra/.driftignore:1"));
    assert!(warnings[0].message.contains("expired on 2026-12-31"));
}

#[test]
fn bad_lines_name_file_and_line() {
    let e = DriftIgnore::parse(".driftignore", "aws_instance.i-1\njust_a_type\n").unwrap_err();
    assert_eq!(e.location, ".driftignore:2");
    let e = DriftIgnore::parse(".driftignore", "aws_instance.i-1 # until 31/12/2026\n").unwrap_err();
    assert_eq!(e.location, ".driftignore:1");
    assert!(e.message.contains("YYYY-MM-DD"), "{e}");
}

#[test]
fn wildcard_matcher() {
    assert!(wildcard("a*c", "abbbc"));
    assert!(wildcard("*", ""));
    assert!(!wildcard("a*c", "abd"));
    assert!(wildcard(r"a\*", "a*"));
    assert!(!wildcard(r"a\*", "ab"));
}

#[test]
fn negated_attribute_re_includes_under_an_ignored_resource() {
    let text = "aws_instance.*\n!aws_instance.*.tags\n";
    assert!(active_ignores(text, "2026-01-01", Cloud::Aws, "aws_instance", "i-1", None));
    assert!(active_ignores(text, "2026-01-01", Cloud::Aws, "aws_instance", "i-1", Some("instance_type")));
    assert!(!active_ignores(text, "2026-01-01", Cloud::Aws, "aws_instance", "i-1", Some("tags.owner")));
}

#[test]
fn policy_lines_ignore_only_that_policy_on_that_resource() {
    let text = "aws_instance.i-1@GPU002\naws_instance.aws_instance\\.new[0]@GPU*\n";
    let f = DriftIgnore::parse(".driftignore", text).unwrap();
    let (active, _) = f.active(d("2026-01-01"));
    assert!(active.ignores_violation(Cloud::Aws, "aws_instance", "i-1", "GPU002"));
    assert!(!active.ignores_violation(Cloud::Aws, "aws_instance", "i-1", "GPU001"));
    assert!(!active.ignores(Cloud::Aws, "aws_instance", "i-1", None), "not the resource's drift");
    assert!(!active.ignores(Cloud::Aws, "aws_instance", "i-1", Some("instance_type")));
    // A resource a plan creates is named by its address.
    assert!(active.ignores_violation(Cloud::Aws, "aws_instance", "aws_instance.new[0]", "GPU001"));
    assert_eq!(
        line_for_violation("aws_instance", "aws_instance.new[0]", "GPU001"),
        r"aws_instance.aws_instance\.new[0]@GPU001"
    );
    // A whole-resource line still covers its violations; `!` takes one policy back.
    let f = DriftIgnore::parse(".driftignore", "aws_instance.i-2\n!aws_instance.i-2@GPU005\n").unwrap();
    let (active, _) = f.active(d("2026-01-01"));
    assert!(active.ignores_violation(Cloud::Aws, "aws_instance", "i-2", "GPU001"));
    assert!(!active.ignores_violation(Cloud::Aws, "aws_instance", "i-2", "GPU005"));
    for bad in ["aws_instance.i-1@", "aws_instance.i-1.tags@GPU001", "aws_instance.@GPU001"] {
        let e = DriftIgnore::parse(".driftignore", bad).unwrap_err();
        assert_eq!(e.location, ".driftignore:1", "{bad}: {e}");
    }
}
