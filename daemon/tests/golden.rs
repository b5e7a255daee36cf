//! Golden output of every report format over the demo fleet (with `.tf` sources and
//! the demo's `.driftignore`), through the real binary. Run with `UPDATE_GOLDEN=1`
//! to rewrite `testdata/reports/<format>/demo.<ext>` after an intended change.

mod common;
use common::*;
use std::fs;

/// Times differ per run; everything else must be byte-identical.
fn normalise(format: &str, out: &str) -> String {
    match format {
        "json" => {
            let mut v: serde_json::Value = serde_json::from_str(out).unwrap();
            v["generated_at"] = "2026-11-22T18:00:00Z".into();
            v["duration_ms"] = 0.into();
            serde_json::to_string_pretty(&v).unwrap() + "\n"
        }
        "junit" => out
            .lines()
            .map(|l| {
                let mut l = l.to_string();
                for attr in ["time=\"", "timestamp=\""] {
                    if let Some(i) = l.find(attr) {
                        let start = i + attr.len();
                        let end = start + l[start..].find('"').unwrap();
                        l.replace_range(start..end, "X");
                    }
                }
                l + "\n"
            })
            .collect(),
        // The generation time, in the page's `<time>` and its text.
        "html" => out
            .lines()
            .map(|l| match l.find("<time datetime=\"") {
                Some(_) => {
                    let start = l.find("<time").unwrap();
                    let end = l.find("</time>").map_or(l.len(), |e| e + "</time>".len());
                    format!("{}<time datetime=\"X\">X</time>{}\n", &l[..start], &l[end..])
                }
                None => format!("{l}\n"),
            })
            .collect(),
        _ => out.to_string(),
    }
}

fn demo(format: &str) -> Run {
    demo_check(&["--format", format])
}

#[test]
fn every_format_matches_its_golden_file() {
    let mut stale = Vec::new();
    for f in driftd_core_formats() {
        let r = demo(f.0);
        assert_eq!(r.code, 1, "{}: {}", f.0, r.stderr);
        let got = normalise(f.0, &r.stdout);
        let path = root().join(format!("testdata/reports/{}/demo.{}", f.0, f.1));
        if std::env::var_os("UPDATE_GOLDEN").is_some() {
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(&path, &got).unwrap();
            continue;
        }
        let want = std::fs::read_to_string(&path).unwrap_or_default();
        if got != want {
            stale.push(format!("{} differs; got:\n{got}", path.display()));
        }
    }
    assert!(stale.is_empty(), "{}\n(rerun with UPDATE_GOLDEN=1 if the change is intended)", stale.join("\n"));
}

/// The formats `--format` offers, with their golden extensions: the registry itself, so a
/// new format cannot go without a golden file.
fn driftd_core_formats() -> Vec<(&'static str, &'static str)> {
    driftd_core::report::FORMATS.iter().map(|f| (f.name, f.extension)).collect()
}

#[test]
fn every_offered_format_has_a_golden_file() {
    let help = driftd(&["check", "--help"]).stdout;
    for (name, _) in driftd_core_formats() {
        assert!(help.contains(name), "{name} not offered by --format");
    }
    let r = driftd(&["check", "--state", DEMO_STATE, "--provider", DEMO_LIVE, "--format", "pdf"]);
    assert_eq!(r.code, 2);
    let names: Vec<&str> = driftd_core_formats().iter().map(|f| f.0).collect();
    assert!(r.stderr.contains(&names.join(", ")), "{}", r.stderr);
    for (name, ext) in driftd_core_formats() {
        assert!(root().join(format!("testdata/reports/{name}/demo.{ext}")).is_file(), "{name} has no golden file");
    }
}

#[test]
fn json_report_validates_against_docs_schema() {
    let schema: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(root().join("docs/report.schema.json")).unwrap()).unwrap();
    let validator = jsonschema::validator_for(&schema).unwrap();
    for live in [DEMO_LIVE, DEMO_IN_SYNC] {
        let r = driftd(&[
            "check",
            "--state",
            DEMO_STATE,
            "--provider",
            live,
            "--tf",
            "testdata/demo/infra",
            "--format",
            "json",
        ]);
        let doc: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
        let errors: Vec<String> =
            validator.iter_errors(&doc).map(|e| format!("{e} at {}", e.instance_path())).collect();
        assert!(errors.is_empty(), "{live}: {errors:#?}");
    }
}

#[test]
fn patches_apply_cleanly_with_git_apply() {
    let r = demo("json");
    let v: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    let patches: Vec<&str> =
        v["findings"].as_array().unwrap().iter().filter_map(|f| f["remediation"]["patch"].as_str()).collect();
    assert!(patches.len() >= 3, "gateway change and two imports: {patches:?}");
    let dir = tempfile::tempdir().unwrap();
    // A scratch copy of the sources, so applying never touches the repo.
    let copy = dir.path().join("testdata/demo/infra");
    copy_testdata("testdata/demo/infra", &copy);
    for p in patches {
        let out = std::process::Command::new("git")
            .args(["apply", "--check", "-"])
            .current_dir(dir.path())
            .stdin(std::process::Stdio::piped())
            .spawn()
            .and_then(|mut c| {
                use std::io::Write;
                c.stdin.take().unwrap().write_all(p.as_bytes())?;
                c.wait_with_output()
            })
            .unwrap();
        assert!(out.status.success(), "patch does not apply:\n{p}\n{}", String::from_utf8_lossy(&out.stderr));
    }
}

#[test]
fn patch_out_writes_every_patch_as_one_that_git_applies() {
    let dir = tempfile::tempdir().unwrap();
    let copy = dir.path().join("testdata/demo/infra");
    copy_testdata("testdata/demo/infra", &copy);
    let patch = dir.path().join("drift.patch");
    let r = demo_check(&["--format", "json", "--patch-out", patch.to_str().unwrap()]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    let v: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    let each: String =
        v["findings"].as_array().unwrap().iter().filter_map(|f| f["remediation"]["patch"].as_str()).collect();
    let written = std::fs::read_to_string(&patch).unwrap();
    assert_eq!(written, each, "the file is the report's patches, in order");
    let git = |args: &[&str]| std::process::Command::new("git").args(args).current_dir(dir.path()).output().unwrap();
    let out = git(&["apply", "--check", patch.to_str().unwrap()]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let out = git(&["apply", patch.to_str().unwrap()]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let imports = std::fs::read_dir(&copy)
        .unwrap()
        .filter(|e| e.as_ref().unwrap().file_name().to_string_lossy().starts_with("import_"))
        .count();
    assert!(imports >= 2, "import blocks written for the unmanaged resources");
    // Without --tf there is nothing to patch: refused, exit 2.
    let r = driftd(&["check", "--state", DEMO_STATE, "--provider", DEMO_LIVE, "--patch-out", patch.to_str().unwrap()]);
    assert_eq!(r.code, 2, "{}", r.stderr);
}

/// `managed` is exactly the declared resources compared: in sync, changed or missing.
fn assert_managed_adds_up(doc: &serde_json::Value, what: &str) {
    let s = &doc["summary"];
    let n = |k: &str| s[k].as_u64().unwrap_or_else(|| panic!("{what}: summary.{k}"));
    assert_eq!(n("managed"), n("in_sync") + n("changed") + n("missing"), "{what}: {s:#}");
}

#[test]
fn every_json_report_adds_up_managed_including_terraforms_own_drift() {
    let golden: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(root().join("testdata/reports/json/demo.json")).unwrap())
            .unwrap();
    assert_managed_adds_up(&golden, "golden json");
    for live in [DEMO_LIVE, DEMO_IN_SYNC] {
        let r = driftd(&["check", "--state", DEMO_STATE, "--provider", live, "--format", "json"]);
        assert_managed_adds_up(&serde_json::from_str(&r.stdout).unwrap(), live);
    }
    // A plan whose refresh saw one instance changed and one deleted, no live scan.
    let dir = tempfile::tempdir().unwrap();
    let plan = serde_json::json!({
        "format_version": "1.2",
        "planned_values": {"root_module": {"resources": [
            {"address": "aws_instance.old", "mode": "managed", "type": "aws_instance", "name": "old",
             "values": {"id": "i-old", "instance_type": "p4d.24xlarge"}},
            {"address": "aws_instance.kept", "mode": "managed", "type": "aws_instance", "name": "kept",
             "values": {"id": "i-kept", "instance_type": "g5.xlarge"}}
        ]}},
        "resource_changes": [],
        "resource_drift": [
            {"address": "aws_instance.old", "mode": "managed", "type": "aws_instance", "name": "old",
             "change": {"actions": ["update"], "before": {"id": "i-old", "instance_type": "p4d.24xlarge"},
                        "after": {"id": "i-old", "instance_type": "p5.48xlarge"}}},
            {"address": "aws_instance.gone", "mode": "managed", "type": "aws_instance", "name": "gone",
             "change": {"actions": ["delete"], "before": {"id": "i-gone", "instance_type": "p5.48xlarge"}, "after": null}}
        ]
    });
    let path = dir.path().join("plan.json");
    std::fs::write(&path, plan.to_string()).unwrap();
    let r = driftd(&[
        "check",
        "--state",
        path.to_str().unwrap(),
        "--provider",
        "none",
        "--format",
        "json",
        "--no-builtin-policies",
    ]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    let doc: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    assert_eq!((doc["summary"]["changed"].as_u64(), doc["summary"]["missing"].as_u64()), (Some(1), Some(1)), "{doc:#}");
    assert_managed_adds_up(&doc, "plan drift");
}

#[test]
fn sarif_validates_against_the_sarif_2_1_0_schema() {
    let schema: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(root().join("testdata/schemas/sarif-2.1.0-rtm.5.json")).unwrap())
            .unwrap();
    let validator = jsonschema::validator_for(&schema).unwrap();
    let golden = std::fs::read_to_string(root().join("testdata/reports/sarif/demo.sarif")).unwrap();
    let fresh = driftd(&["check", "--state", DEMO_STATE, "--provider", DEMO_IN_SYNC, "--format", "sarif"]).stdout;
    for (what, text) in [("golden demo", golden), ("in-sync demo", fresh)] {
        let doc: serde_json::Value = serde_json::from_str(&text).unwrap();
        let errors: Vec<String> =
            validator.iter_errors(&doc).map(|e| format!("{e} at {}", e.instance_path())).collect();
        assert!(errors.is_empty(), "{what}: {errors:#?}");
    }
    // The schema bites: a result without its required message is rejected.
    let mut broken: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(root().join("testdata/reports/sarif/demo.sarif")).unwrap())
            .unwrap();
    broken["runs"][0]["results"][0].as_object_mut().unwrap().remove("message");
    assert!(!validator.is_valid(&broken));
}

/// Patches that accept live values where they come from (a tfvars entry, a variable's
/// default, a module input chased to the root module's default), and an import with a
/// resource block: all apply with `git apply` on a copy, after which the code compared
/// with the same live snapshot has no drift left but the one shared by several
/// instances (named in a hint), and the import file parses and declares what it imports.
#[test]
fn patches_accept_live_values_where_they_come_from_and_imports_declare_their_resource() {
    let dir = tempfile::tempdir().unwrap();
    let copy = dir.path().join("patches");
    copy_testdata("testdata/tf/patches", &copy);
    let args = [
        "check",
        "--tf",
        "patches",
        "--provider",
        "snapshot:patches/live.json",
        "--no-builtin-policies",
        "--format",
        "json",
        "--patch-out",
        "drift.patch",
    ];
    let r = driftd_in(dir.path(), &args);
    assert_eq!(r.code, 1, "{}", r.stderr);
    let v: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    let patched: Vec<&str> = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["remediation"]["patch"].is_string())
        .map(|f| f["resource"]["address"].as_str().unwrap_or("(unmanaged)"))
        .collect();
    assert_eq!(
        patched,
        [
            "aws_instance.inference",
            "module.trainer.aws_instance.this",
            "(unmanaged)",
            "(unmanaged)",
            "aws_instance.notebook"
        ],
        "{:#}",
        v["findings"]
    );
    let twin =
        v["findings"].as_array().unwrap().iter().find(|f| f["resource"]["address"] == "aws_instance.twins[0]").unwrap();
    assert!(
        twin["remediation"]["summary"]
            .as_str()
            .unwrap()
            .contains("In code, `instance_type = var.twin_type` (patches/main.tf:53) sets more than this resource"),
        "{twin:#}"
    );
    let patch = fs::read_to_string(dir.path().join("drift.patch")).unwrap();
    for file in ["a/patches/terraform.tfvars", "a/patches/main.tf", "b/patches/import_rogue.tf"] {
        assert!(patch.contains(file), "{file} in\n{patch}");
    }
    let git = |args: &[&str]| std::process::Command::new("git").args(args).current_dir(dir.path()).output().unwrap();
    let out = git(&["apply", "drift.patch"]);
    assert!(out.status.success(), "{}\n{patch}", String::from_utf8_lossy(&out.stderr));
    assert!(fs::read_to_string(copy.join("terraform.tfvars")).unwrap().contains("inference_type = \"g6e.2xlarge\""));
    let main = fs::read_to_string(copy.join("main.tf")).unwrap();
    assert!(main.contains("default = \"p5.48xlarge\"") && main.contains("default = 3"), "{main}");

    // The import file declares what it imports, and parses with the rest of the code.
    let import = fs::read_to_string(copy.join("import_rogue.tf")).unwrap();
    assert!(import.starts_with("import {\n  to = aws_instance.rogue\n  id = \"i-0c0de000000000006\"\n}\n"), "{import}");
    assert!(import.contains("resource \"aws_instance\" \"rogue\" {"), "{import}");
    assert!(import.contains("instance_type = \"p5.48xlarge\"") && !import.contains("aws:createdBy"), "{import}");
    for computed in ["arn", "volume_id", "instance_state", "device_name"] {
        assert!(!import.contains(computed), "computed-only {computed} left out:\n{import}");
    }
    // A second hand-made instance with the same name gets a name (and file) of its own.
    let second = fs::read_to_string(copy.join("import_rogue_2.tf")).unwrap();
    assert!(second.contains("to = aws_instance.rogue_2") && second.contains("resource \"aws_instance\" \"rogue_2\" {"));

    // Again, on the patched code: only the shared twin is left; the imported one is managed.
    let again = driftd_in(dir.path(), &args[..args.len() - 2]);
    let v: serde_json::Value = serde_json::from_str(&again.stdout).unwrap();
    let left: Vec<(&str, &str)> = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| (f["kind"].as_str().unwrap(), f["resource"]["address"].as_str().unwrap()))
        .collect();
    assert_eq!(left, [("changed", "aws_instance.twins[0]")], "{}\n{:#}", again.stderr, v["findings"]);
    assert_eq!(v["summary"]["managed"], 7, "the imported resources are declared by the code now");
}
