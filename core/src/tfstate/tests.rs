use super::*;
use serde_json::json;

fn raw_state() -> Value {
    json!({
        "version": 4, "terraform_version": "1.9.8", "serial": 3, "lineage": "x", "outputs": {},
        "future_top_level_field": {"tolerated": true},
        "resources": [
            {"mode": "data", "type": "aws_ami", "name": "dlami", "provider": "p",
             "instances": [{"attributes": {"id": "ami-1"}}]},
            {"module": "module.gpu[\"east\"].module.pool", "mode": "managed", "type": "aws_instance", "name": "trainer",
             "provider": "provider[\"registry.terraform.io/hashicorp/aws\"]",
             "instances": [
                {"index_key": 0, "schema_version": 1, "unknown_instance_field": 1,
                 "attributes": {"id": "i-0", "arn": "arn:aws:ec2:us-east-1:123456789012:instance/i-0", "instance_type": "p5.48xlarge"},
                 "sensitive_attributes": [[{"type": "get_attr", "value": "user_data"}],
                                          [{"type": "get_attr", "value": "tags"}, {"type": "index", "value": {"value": "secret", "type": "string"}}]]},
                {"index_key": 1, "attributes": {"id": "i-1", "availability_zone": "us-west-2b"}},
                {"index_key": 2, "deposed": "00000001", "attributes": {"id": "i-old"}}
             ]},
            {"mode": "managed", "type": "aws_instance", "name": "by_key",
             "instances": [{"index_key": "a \"quoted\" key", "attributes": {"id": "i-k"}}]},
            {"mode": "managed", "type": "azurerm_linux_virtual_machine", "name": "vm",
             "instances": [{"attributes": {"id": "/subscriptions/ABC/resourceGroups/rg/providers/Microsoft.Compute/virtualMachines/v", "location": "East US"}}]}
        ]
    })
}

fn parse_value(v: &Value) -> StateInput {
    parse("state.json", v.to_string().as_bytes()).unwrap()
}

#[test]
fn raw_v4_addresses_modules_count_for_each() {
    let s = parse_value(&raw_state());
    assert_eq!(s.kind, DeclaredKind::Tfstate);
    let addrs: Vec<&str> = s.resources.iter().map(|r| r.address.as_str()).collect();
    assert_eq!(
        addrs,
        [
            r#"module.gpu["east"].module.pool.aws_instance.trainer[0]"#,
            r#"module.gpu["east"].module.pool.aws_instance.trainer[1]"#,
            r#"aws_instance.by_key["a \"quoted\" key"]"#,
            "azurerm_linux_virtual_machine.vm",
        ],
        "data sources and deposed objects are not declarations"
    );
}

#[test]
fn raw_v4_locates_account_and_region() {
    let s = parse_value(&raw_state());
    let r0 = &s.resources[0];
    assert_eq!((r0.account.as_deref(), r0.region.as_deref()), (Some("123456789012"), Some("us-east-1")));
    let r1 = &s.resources[1];
    assert_eq!((r1.account.as_deref(), r1.region.as_deref()), (None, Some("us-west-2")));
    let vm = &s.resources[3];
    assert_eq!((vm.account.as_deref(), vm.region.as_deref()), (Some("abc"), Some("eastus")));
}

#[test]
fn raw_v4_sensitive_paths() {
    let s = parse_value(&raw_state());
    assert_eq!(s.resources[0].sensitive, ["user_data", "tags.secret"]);
    assert!(s.resources[0].is_sensitive("tags.secret"));
    assert!(!s.resources[0].is_sensitive("tags.secretive"));
}

#[test]
fn show_json_state_walks_child_modules() {
    let v = json!({
        "format_version": "1.0", "terraform_version": "1.9.8",
        "values": {"root_module": {
            "resources": [{"address": "aws_instance.a", "mode": "managed", "type": "aws_instance", "name": "a",
                           "values": {"id": "i-a", "user_data": "s3cr3t"}, "sensitive_values": {"user_data": true}}],
            "child_modules": [{"address": "module.m", "resources": [
                {"address": "module.m.aws_instance.b[\"x\"]", "mode": "managed", "type": "aws_instance", "name": "b",
                 "index": "x", "values": {"id": "i-b"}, "sensitive_values": {}},
                {"address": "module.m.data.aws_ami.d", "mode": "data", "type": "aws_ami", "name": "d", "values": {"id": "ami"}}
            ]}]
        }}
    });
    let s = parse_value(&v);
    let addrs: Vec<&str> = s.resources.iter().map(|r| r.address.as_str()).collect();
    assert_eq!(addrs, ["aws_instance.a", r#"module.m.aws_instance.b["x"]"#]);
    assert_eq!(s.resources[0].sensitive, ["user_data"]);
}

#[test]
fn empty_show_json_state_has_no_resources() {
    let s = parse("s.json", br#"{"format_version": "1.0"}"#).unwrap();
    assert!(s.resources.is_empty());
}

#[test]
fn plan_json_planned_values_pending_creates_unknowns_and_drift() {
    let v = json!({
        "format_version": "1.2",
        "planned_values": {"root_module": {"resources": [
            {"address": "aws_instance.old", "mode": "managed", "type": "aws_instance", "name": "old", "values": {"id": "i-old", "instance_type": "p4d.24xlarge"}},
            {"address": "aws_instance.new", "mode": "managed", "type": "aws_instance", "name": "new", "values": {"instance_type": "p5.48xlarge"}}
        ]}},
        "resource_changes": [
            {"address": "aws_instance.old", "mode": "managed", "type": "aws_instance", "name": "old",
             "change": {"actions": ["update"], "before": {"id": "i-old"}, "after": {"id": "i-old"}, "after_unknown": {"public_ip": true}}},
            {"address": "aws_instance.new", "mode": "managed", "type": "aws_instance", "name": "new",
             "change": {"actions": ["create"], "before": null, "after": {}, "after_unknown": {"id": true}}}
        ],
        "resource_drift": [
            {"address": "aws_instance.old", "mode": "managed", "type": "aws_instance", "name": "old",
             "change": {"actions": ["update"], "before": {"id": "i-old", "instance_type": "p4d.24xlarge"},
                        "after": {"id": "i-old", "instance_type": "p5.48xlarge"}}},
            {"address": "aws_instance.gone", "mode": "managed", "type": "aws_instance", "name": "gone",
             "change": {"actions": ["delete"], "before": {"id": "i-gone"}, "after": null}}
        ]
    });
    let s = parse_value(&v);
    assert_eq!(s.kind, DeclaredKind::Plan);
    assert!(!s.resources[0].pending_create);
    assert_eq!(s.resources[0].unknown, ["public_ip"]);
    assert!(s.resources[1].pending_create);
    assert_eq!(s.drift.len(), 2);
    assert_eq!(s.drift[0].after.as_ref().unwrap()["instance_type"], "p5.48xlarge");
    assert!(s.drift[1].after.is_none());
}

#[test]
fn merge_reports_duplicate_addresses_and_ids() {
    let a = parse_value(&raw_state());
    let mut b = parse("other.json", raw_state().to_string().as_bytes()).unwrap();
    // Same cloud object under another address: managed twice.
    b.resources[0].address = "aws_instance.copy".into();
    let (decl, _, warnings) = merge(vec![a, b]);
    assert_eq!(decl.len(), 5, "4 from the first file, plus the renamed copy");
    let kinds: Vec<&str> = warnings.iter().map(|w| w.kind.as_str()).collect();
    assert_eq!(kinds.iter().filter(|k| **k == "duplicate_address").count(), 3);
    assert_eq!(kinds.iter().filter(|k| **k == "duplicate_id").count(), 1);
    assert!(warnings.iter().any(|w| w.message.contains("managed twice") && w.message.contains("aws_instance.copy")));
}

/// Every reader, fed truncated and garbage input, returns one error naming the input
/// (and line:column for JSON), never panics.
#[test]
fn truncated_and_garbage_input_never_panics() {
    let full = raw_state().to_string();
    let mut inputs: Vec<Vec<u8>> = (0..full.len()).step_by(7).map(|n| full.as_bytes()[..n].to_vec()).collect();
    inputs.extend([
        b"".to_vec(),
        b"   \n".to_vec(),
        b"\xff\xfe\x00garbage".to_vec(),
        b"null".to_vec(),
        b"[]".to_vec(),
        b"42".to_vec(),
        br#"{"version": 3}"#.to_vec(),
        br#"{"version": 9}"#.to_vec(),
        br#"{"version": "4"}"#.to_vec(),
        br#"{"version": 4, "resources": {}}"#.to_vec(),
        br#"{"version": 4, "resources": [{"type": 1}]}"#.to_vec(),
        br#"{"planned_values": []}"#.to_vec(),
        br#"{"values": {"root_module": {"resources": [{"address": 1}]}}}"#.to_vec(),
        br#"{"resource_changes": [{"address": "a"}]}"#.to_vec(),
    ]);
    for input in &inputs {
        match parse("prod.tfstate", input) {
            Ok(_) => {}
            Err(e) => {
                assert_eq!(e.kind, crate::ErrorKind::Input);
                assert!(e.location.starts_with("prod.tfstate"), "{e}");
                assert!(!e.message.is_empty());
            }
        }
        let _ = crate::snapshot::Snapshot::parse("live.json", input);
        let _ = crate::ignore::DriftIgnore::parse(".driftignore", &String::from_utf8_lossy(input));
    }
    // Truncated JSON names line and column and says so plainly.
    let e = parse("prod.tfstate", br#"{"version": 4, "resources": ["#).unwrap_err();
    assert_eq!(e.to_string(), "prod.tfstate:1:29: state file ends early (truncated file?)");
    let e = parse("prod.tfstate", b"{\n  \"version\": 4,\n  oops\n}").unwrap_err();
    assert!(e.to_string().starts_with("prod.tfstate:3:3: state file is not valid JSON"), "{e}");
    let e = parse("prod.tfstate", br#"{"version": 3}"#).unwrap_err();
    assert!(e.message.contains("version 3"), "{e}");
    let e = parse("prod.tfstate", b"[]").unwrap_err();
    assert!(e.message.contains("unexpected shape"), "{e}");
}

#[test]
fn glob_that_matches_nothing_is_an_error() {
    let dir = tempfile::tempdir().unwrap();
    let pattern = format!("{}/*.tfstate", dir.path().display());
    let e = expand_local(&pattern).unwrap_err();
    assert!(e.message.contains("no state file matches"), "{e}");
    std::fs::write(dir.path().join("b.tfstate"), "{}").unwrap();
    std::fs::write(dir.path().join("a.tfstate"), "{}").unwrap();
    let found = expand_local(&pattern).unwrap();
    assert_eq!(found.len(), 2);
    assert!(found[0].ends_with("a.tfstate"), "sorted: {found:?}");
}

#[test]
fn missing_file_names_the_path() {
    let e = read_file(Path::new("/nonexistent/prod.tfstate")).unwrap_err();
    assert_eq!(e.to_string(), "/nonexistent/prod.tfstate: no such file");
}
