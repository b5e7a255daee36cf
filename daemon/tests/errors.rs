//! Bad input: one clear message naming the file (line, column) or flag, exit 2;
//! unreadable live state: exit 3. Never a panic.

mod common;
use common::*;
use std::fs;

fn check_with_state(contents: &[u8]) -> Run {
    let dir = tempfile::tempdir().unwrap();
    fs::write(dir.path().join("prod.tfstate"), contents).unwrap();
    let live = abs_demo_live("live.json");
    driftd_in(dir.path(), &["check", "--state", "prod.tfstate", "--provider", &live])
}

#[test]
fn truncated_state_exits_2_with_line_and_column() {
    let r = check_with_state(br#"{"version": 4, "resources": ["#);
    assert_one_error(&r, 2);
    assert_eq!(r.stderr, "driftd: prod.tfstate:1:29: state file ends early (truncated file?)\n");
}

#[test]
fn garbage_and_truncated_inputs_to_every_reader_exit_2_without_panic() {
    let demo = fs::read(root().join(DEMO_STATE)).unwrap();
    let mut inputs: Vec<Vec<u8>> =
        [1usize, 100, 5000, demo.len() / 2, demo.len() - 2].iter().map(|n| demo[..*n].to_vec()).collect();
    inputs.extend([
        b"".to_vec(),
        b"\x00\x01\x02".to_vec(),
        b"<html>502 Bad Gateway</html>".to_vec(),
        b"{\"version\": 4, \"resources\": 7}".to_vec(),
    ]);
    for input in &inputs {
        let r = check_with_state(input);
        assert_one_error(&r, 2);
        assert!(r.stderr.starts_with("driftd: prod.tfstate"), "{}", r.stderr);
    }
    // Snapshot files, .driftignore, config and .tf sources likewise.
    let dir = tempfile::tempdir().unwrap();
    let p = |name: &str| dir.path().join(name).display().to_string();
    fs::write(p("live.json"), r#"{"schema": "driftd.snapshot/v1", "scans": ["#).unwrap();
    let r = driftd(&["check", "--state", DEMO_STATE, "--provider", &format!("snapshot:{}", p("live.json"))]);
    assert_one_error(&r, 2);
    assert!(r.stderr.contains("live.json:1:") && r.stderr.contains("ends early"), "{}", r.stderr);

    fs::write(p("old.json"), r#"{"schema": "driftd.snapshot/v0", "taken_at": "", "scans": [], "resources": []}"#)
        .unwrap();
    let r = driftd(&["check", "--state", DEMO_STATE, "--provider", &format!("snapshot:{}", p("old.json"))]);
    assert_one_error(&r, 2);
    assert!(r.stderr.contains("driftd.snapshot/v0"), "{}", r.stderr);

    fs::write(p("ignore"), "aws_instance.i-1\nnot-a-pattern\n").unwrap();
    let r = driftd(&["check", "--state", DEMO_STATE, "--provider", DEMO_LIVE, "--driftignore", &p("ignore")]);
    assert_one_error(&r, 2);
    assert!(r.stderr.contains("ignore:2:"), "{}", r.stderr);

    fs::write(p("driftd.toml"), "[check]\nfail_on = \"high\"\nstate = 3\n").unwrap();
    let r = driftd(&["check", "--config", &p("driftd.toml")]);
    assert_one_error(&r, 2);
    assert!(r.stderr.contains("driftd.toml:3:"), "{}", r.stderr);

    fs::create_dir(dir.path().join("tf")).unwrap();
    fs::write(dir.path().join("tf/main.tf"), "resource \"aws_instance\" \"a\" {\n  instance_type = \n}\n").unwrap();
    let r = driftd(&["check", "--state", DEMO_STATE, "--provider", DEMO_LIVE, "--tf", &p("tf")]);
    assert_one_error(&r, 2);
    assert!(r.stderr.contains("main.tf:2:19: HCL syntax error: invalid expression"), "{}", r.stderr);
    // The offending line, and a caret under column 19.
    assert!(r.stderr.contains("\n  2 |   instance_type = \n    |                   ^\n"), "{}", r.stderr);

    fs::create_dir(dir.path().join("empty")).unwrap();
    fs::write(dir.path().join("empty/README.md"), "no Terraform here\n").unwrap();
    let r = driftd(&["check", "--state", DEMO_STATE, "--provider", DEMO_LIVE, "--tf", &p("empty")]);
    assert_one_error(&r, 2);
    assert!(r.stderr.contains("empty: no .tf files here"), "{}", r.stderr);
}

#[test]
fn missing_files_name_the_path() {
    let r = driftd(&["check", "--state", "nope/prod.tfstate", "--provider", DEMO_LIVE]);
    assert_one_error(&r, 2);
    assert_eq!(r.stderr, "driftd: nope/prod.tfstate: no such file\n");
    let r = driftd(&["check", "--state", DEMO_STATE, "--provider", "snapshot:nope.json"]);
    assert_eq!(r.stderr, "driftd: nope.json: no such file\n");
    let r = driftd(&["check", "--state", "nope/*.tfstate", "--provider", DEMO_LIVE]);
    assert_one_error(&r, 2);
    assert!(r.stderr.contains("no state file matches"), "{}", r.stderr);
    let r = driftd(&["check", "--state", DEMO_STATE, "--provider", DEMO_LIVE, "--driftignore", "nope"]);
    assert_eq!(r.stderr, "driftd: nope: no such file\n");
}

#[test]
fn usage_errors_exit_2() {
    let r = driftd(&["check", "--frobnicate"]);
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("--frobnicate"), "{}", r.stderr);
    let r = driftd(&["check", "--format", "yaml"]);
    assert_eq!(r.code, 2);
    let r = driftd(&["check", "--fail-on", "sometimes"]);
    assert_eq!(r.code, 2);
    let r = driftd(&["check"]);
    assert_one_error(&r, 2);
    assert!(r.stderr.contains("nothing to check"), "{}", r.stderr);
    let r = driftd(&["check", "--state", DEMO_STATE, "--provider", "gcp"]);
    assert_one_error(&r, 2);
    assert!(r.stderr.contains("--provider gcp: unknown provider"), "{}", r.stderr);
    let r = driftd(&["frobnicate"]);
    assert_eq!(r.code, 2);
}

#[test]
fn unbuilt_providers_and_backends_fail_loudly_never_pass() {
    // Without --provider the clouds of the state are read; none may silently pass. The demo
    // declares AWS instances and Azure VMs: AWS is scanned first (here no region is
    // configured: exit 2; with one, the harness's closed endpoint: exit 3), and errors
    // never name a flag the user did not type.
    let r = driftd(&["check", "--state", DEMO_STATE]);
    assert_eq!(r.code, 3, "{}", r.stderr);
    assert!(!r.stderr.contains("--provider azure"), "{}", r.stderr);
    let r = driftd_env(&root(), &["check", "--state", DEMO_STATE], &[("AWS_REGION", "us-east-1".into())]);
    assert_one_error(&r, 3);
    // An http backend nobody answers (a closed loopback port): could not be read, and the
    // URL's secrets are not repeated.
    let r = driftd(&["check", "--state", "http://bob:s3cr3t@127.0.0.1:9/prod?token=abc", "--provider", DEMO_LIVE]);
    assert_one_error(&r, 3);
    assert!(r.stderr.contains("http://127.0.0.1:9/prod"), "{}", r.stderr);
    assert!(!r.stderr.contains("s3cr3t") && !r.stderr.contains("token=abc"), "secrets leaked: {}", r.stderr);
    // A scheme driftd does not read names the ones it does.
    let r = driftd(&["check", "--state", "gcs://bucket/prod.tfstate", "--provider", DEMO_LIVE]);
    assert_one_error(&r, 2);
    assert!(r.stderr.contains("remote://HOST/ORG/WORKSPACE"), "{}", r.stderr);
}

#[test]
fn help_and_version_exit_0() {
    assert_eq!(driftd(&["--help"]).code, 0);
    assert_eq!(driftd(&["--version"]).code, 0);
    let r = driftd(&["check", "--help"]);
    for flag in [
        "--state",
        "--tf",
        "--provider",
        "--region",
        "--subscription",
        "--azure-endpoint",
        "--driftignore",
        "--format",
        "--output",
        "--fail-on",
        "--config",
    ] {
        assert!(r.stdout.contains(flag), "{flag} not in help");
    }
}

#[test]
fn a_state_given_as_a_snapshot_is_named_a_terraform_state() {
    let live = format!("snapshot:{}", root().join(DEMO_STATE).display());
    let r = driftd(&["check", "--state", DEMO_STATE, "--provider", &live]);
    assert_one_error(&r, 2);
    assert!(
        r.stderr.contains("is a Terraform state or plan, not a driftd snapshot: give it with --state"),
        "{}",
        r.stderr
    );
    assert!(!r.stderr.contains("unknown variant"), "{}", r.stderr);
}

#[test]
fn a_plan_saved_by_windows_powershell_reads_as_utf16() {
    // `terraform show -json > plan.json` in Windows PowerShell: UTF-16 LE with a BOM.
    let real = std::fs::read_to_string(
        root().join("testdata/real-state/scottford-io__hashitalks-secure-2023/aws-example__tfplan.json"),
    )
    .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let mut utf16 = vec![0xFF, 0xFE];
    utf16.extend(real.encode_utf16().flat_map(u16::to_le_bytes));
    std::fs::write(dir.path().join("plan.json"), &utf16).unwrap();
    let r = driftd_in(dir.path(), &["check", "--state", "plan.json", "--provider", "none", "--format", "json"]);
    assert!(r.code == 0 || r.code == 1, "{}", r.stderr);
    let v: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    assert_eq!(v["sources"]["declared"][0]["kind"], "plan");
    // Without a byte-order mark the encoding is named, not "not valid JSON at 1:1".
    std::fs::write(dir.path().join("plan.json"), &utf16[2..]).unwrap();
    let r = driftd_in(dir.path(), &["check", "--state", "plan.json", "--provider", "none"]);
    assert_one_error(&r, 2);
    assert!(r.stderr.contains("plan.json: is UTF-16 without a byte-order mark"), "{}", r.stderr);
}

#[test]
fn the_docs_stand_alone_in_a_clone() {
    // A clone has no ../shared: no doc may point there, and the contract is in docs/.
    assert!(root().join("docs/contract.md").is_file());
    let mut docs = vec![root().join("README.md")];
    docs.extend(std::fs::read_dir(root().join("docs")).unwrap().map(|e| e.unwrap().path()));
    for doc in docs.iter().filter(|p| p.extension().is_some_and(|x| x == "md")) {
        let text = std::fs::read_to_string(doc).unwrap();
        assert!(!text.contains("../shared"), "{} points outside the repository", doc.display());
        // Relative links resolve inside the repository.
        for link in text.split("](").skip(1).filter_map(|t| t.split(')').next()) {
            let target = link.split('#').next().unwrap();
            if target.is_empty() || target.contains("://") {
                continue;
            }
            let path = doc.parent().unwrap().join(target);
            assert!(path.exists(), "{}: broken link {link}", doc.display());
        }
    }
}

#[test]
fn every_figure_in_performance_md_comes_from_a_bench_script_or_is_a_dated_record() {
    let doc = std::fs::read_to_string(root().join("docs/performance.md")).unwrap();
    let scripts: String = std::fs::read_dir(root().join("bench"))
        .unwrap()
        .map(|e| std::fs::read_to_string(e.unwrap().path()).unwrap_or_default())
        .collect();
    // A date as YYYY-MM-DD somewhere in the text.
    let has_date = |t: &str| {
        t.as_bytes()
            .windows(10)
            .any(|w| w.iter().enumerate().all(|(i, c)| if i == 4 || i == 7 { *c == b'-' } else { c.is_ascii_digit() }))
    };
    let sections: Vec<&str> = doc.split("\n## ").skip(1).collect();
    assert!(!sections.is_empty());
    for section in sections {
        let heading = section.lines().next().unwrap();
        if heading.starts_with("Record (") {
            assert!(has_date(heading), "a record names its date (YYYY-MM-DD): ## {heading}");
            continue;
        }
        // Scripts rewrite their section by its heading's prefix (`## AWS scan:`).
        let prefix = format!("## {}", heading.split(':').next().unwrap());
        assert!(
            scripts.contains(&format!("\"{prefix}:")) || scripts.contains(&format!("'{prefix}:")),
            "no bench script writes `## {heading}`"
        );
        // And says how it was made: the command, which is a bench script, and when.
        let command = section
            .lines()
            .find(|l| l.starts_with("Command: `"))
            .unwrap_or_else(|| panic!("## {heading}: no `Command:` line"));
        assert!(command.contains("bench/"), "## {heading}: the command is not a bench script: {command}");
        assert!(has_date(section), "## {heading}: no date of the run");
    }
}

/// An S3 state key longer than S3 allows (70,000 characters), given with `--state` or
/// found in a backend block by `--discover`: exit 2 naming the limit, the URL cut short,
/// no panic (issue 21, item 4: the SDK panicked on the URI).
#[test]
fn an_s3_key_longer_than_s3_allows_is_an_input_error() {
    let key = "k".repeat(70_000);
    let r = driftd(&["check", "--state", &format!("s3://bucket/{key}"), "--provider", "none"]);
    assert_one_error(&r, 2);
    assert!(r.stderr.contains("an S3 object key has at most 1024 bytes, not 70000"), "{}", &r.stderr[..300]);
    assert!(r.stderr.len() < 1000, "the URL is cut in the message: {} bytes", r.stderr.len());
    let tmp = tempfile::tempdir().unwrap();
    std::fs::write(
        tmp.path().join("main.tf"),
        format!("terraform {{\n  backend \"s3\" {{\n    bucket = \"bucket\"\n    key    = \"{key}\"\n    region = \"us-east-1\"\n  }}\n}}\n"),
    )
    .unwrap();
    let r = driftd(&["check", "--discover", &tmp.path().display().to_string(), "--provider", "none"]);
    assert_one_error(&r, 2);
    assert!(r.stderr.contains("at most 1024 bytes"), "{}", &r.stderr[..300.min(r.stderr.len())]);
}

/// Inputs a new user gives by mistake get an error that says what to do instead.
#[test]
fn common_mistakes_get_errors_that_say_what_to_do() {
    let dir = tempfile::tempdir().unwrap();
    // A binary plan: `terraform show -json` makes what driftd reads.
    let plan = root().join("testdata/errors/binary.tfplan");
    let r = driftd(&["check", "--state", plan.to_str().unwrap(), "--provider", "none"]);
    assert_one_error(&r, 2);
    assert!(r.stderr.contains("binary plan file") && r.stderr.contains("terraform show -json"), "{}", r.stderr);
    assert!(!r.stderr.contains("UTF-8") && !r.stderr.contains("Latin-1"), "{}", r.stderr);
    // A snapshot given as the state.
    let r = driftd(&["check", "--state", "testdata/demo/live.json", "--provider", "none"]);
    assert_one_error(&r, 2);
    assert!(r.stderr.contains("is a driftd snapshot") && r.stderr.contains("--provider snapshot:FILE"), "{}", r.stderr);
    assert!(!r.stderr.contains("invalid type"), "{}", r.stderr);
    // --tf on a file: the flag the user typed, and the folder to give instead.
    fs::write(dir.path().join("main.tf"), "resource \"aws_instance\" \"a\" {}\n").unwrap();
    let r = driftd_in(dir.path(), &["check", "--tf", "main.tf"]);
    assert_one_error(&r, 2);
    assert!(r.stderr.contains("--tf takes a folder") && r.stderr.contains("--tf ."), "{}", r.stderr);
    assert!(!r.stderr.contains("--discover"), "{}", r.stderr);
    // --output into a folder that does not exist.
    let out = dir.path().join("reports/today/report.json");
    let r = driftd(&["check", "--state", DEMO_STATE, "--provider", DEMO_LIVE, "--output", out.to_str().unwrap()]);
    assert_one_error(&r, 2);
    let folder = dir.path().join("reports/today");
    assert!(r.stderr.contains(&format!("the folder {} does not exist", folder.display())), "{}", r.stderr);
}

/// Files driftd reads as text name the byte that is not UTF-8; a huge bad value in the
/// config is shown by its start, not echoed whole.
#[test]
fn non_utf8_policy_and_config_files_and_huge_config_values_get_short_clear_errors() {
    let dir = tempfile::tempdir().unwrap();
    fs::create_dir_all(dir.path().join("policies")).unwrap();
    fs::write(dir.path().join("policies/gpu.rego"), b"package x\n# caf\xe9\n").unwrap();
    let r =
        driftd_in(dir.path(), &["check", "--state", &abs_demo_state(), "--provider", "none", "--policies", "policies"]);
    assert_one_error(&r, 2);
    assert!(r.stderr.contains("gpu.rego: not UTF-8 text (invalid byte at offset 15)"), "{}", r.stderr);

    fs::write(dir.path().join("bad.toml"), b"[store]\npath = \"caf\xe9.db\"\n").unwrap();
    let r = driftd_in(dir.path(), &["config", "check", "bad.toml"]);
    assert_one_error(&r, 2);
    assert!(r.stderr.contains("bad.toml: not UTF-8 text (invalid byte at offset 19)"), "{}", r.stderr);

    let huge = "x".repeat(8 << 20);
    fs::write(dir.path().join("huge.toml"), format!("[outbox]\ndeliver_for = \"{huge}\"\n")).unwrap();
    let r = driftd_in(dir.path(), &["config", "check", "huge.toml"]);
    assert_one_error(&r, 2);
    assert!(r.stderr.len() < 2_000, "{} bytes of stderr", r.stderr.len());
    assert!(r.stderr.contains("outbox.deliver_for") && r.stderr.contains("cut: "), "{:.500}", r.stderr);

    // Thousands of mistakes: the first ones are told, and the run ends (each problem is
    // one more pass over the file).
    let typos: String = (0..20_000).map(|i| format!("typo_{i} = 1\n")).collect();
    fs::write(dir.path().join("typos.toml"), format!("[daemon]\n{typos}")).unwrap();
    let r = driftd_in(dir.path(), &["config", "check", "typos.toml"]);
    assert_one_error(&r, 2);
    assert!(r.stderr.contains("stopped after 50 problems"), "{:.500}", r.stderr);
    assert_eq!(r.stderr.matches("unknown field `typo_").count(), 50, "{:.500}", r.stderr);
}
