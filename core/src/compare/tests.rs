//! Comparer tests with test-only specs (real specs live in `providers/`, tested there
//! against `testdata/types/`).

use super::*;
use crate::ignore::DriftIgnore;
use crate::model::{Cloud, DeclaredResource, OwnerRef, Severity::*};
use crate::owner::{Match, Owner, OwnerKind, OwnerRule};
use crate::snapshot::Scan;
use crate::spec::{Attr, CostRule, NameRule, Norm, TypeSpec};
use serde_json::json;

static VM: TypeSpec = TypeSpec {
    tf_type: "aws_instance",
    cloud: Cloud::Aws,
    doc: "test",
    compared: &[
        Attr::new("instance_type", High),
        Attr::new("metadata_options.0.http_tokens", High).norms(&[Norm::Lowercase]),
        Attr::new("sgs", Medium).norms(&[Norm::Set]),
        Attr::new("user_data", Medium),
        Attr::new("tags", Low).norms(&[Norm::MergeTagsAll, Norm::DropAwsPrefixed]),
    ],
    computed_only: &["public_ip"],
    cost: Some(CostRule {
        size_attr: "instance_type",
        count_attr: None,
        idle_when: Some(("instance_state", &["stopped"])),
        spot_when: None,
    }),
    name: NameRule::Tag("Name"),
    missing: High,
    unmanaged: Critical,
    change_messages: &[("instance_type", "instance type changed outside Terraform")],
    owners: &[
        OwnerRule {
            owner: &NODE_GROUP,
            when: Match::Tags(&["eks:cluster-name", "eks:nodegroup-name"]),
            id: "{eks:cluster-name}:{eks:nodegroup-name}",
        },
        OwnerRule { owner: &KARPENTER, when: Match::Tags(&["karpenter.sh/nodepool"]), id: "{karpenter.sh/nodepool}" },
        OwnerRule { owner: &ASG, when: Match::Tags(&["aws:autoscaling:groupName"]), id: "{aws:autoscaling:groupName}" },
        OwnerRule {
            owner: &CFN,
            when: Match::Tags(&["aws:cloudformation:stack-id"]),
            id: "{aws:cloudformation:stack-id}",
        },
    ],
    absorbs: &[],
    gpu_facts_from: None,
    events: &[],
};
/// An owner type that is covered and itself owned (EKS makes an auto scaling group per node group).
static GROUP: TypeSpec = TypeSpec {
    tf_type: "aws_autoscaling_group",
    cloud: Cloud::Aws,
    doc: "test",
    compared: &[Attr::new("desired_capacity", High)],
    computed_only: &[],
    cost: None,
    name: NameRule::Attr("name"),
    missing: High,
    unmanaged: High,
    change_messages: &[],
    owners: &[OwnerRule {
        owner: &NODE_GROUP,
        when: Match::Tags(&["eks:cluster-name", "eks:nodegroup-name"]),
        id: "{eks:cluster-name}:{eks:nodegroup-name}",
    }],
    absorbs: &[],
    gpu_facts_from: None,
    events: &[],
};
static ASG: Owner = Owner { tf_type: "aws_autoscaling_group", label: "auto scaling group", kind: OwnerKind::Terraform };
static NODE_GROUP: Owner = Owner { tf_type: "aws_eks_node_group", label: "EKS node group", kind: OwnerKind::Terraform };
static KARPENTER: Owner = Owner { tf_type: "karpenter", label: "Karpenter", kind: OwnerKind::Orchestrator };
static CFN: Owner =
    Owner { tf_type: "aws_cloudformation_stack", label: "CloudFormation stack", kind: OwnerKind::OtherTool };
static SPECS: &[&TypeSpec] = &[&VM, &GROUP];

fn decl(address: &str, attrs: serde_json::Value) -> DeclaredResource {
    crate::tfstate::declared_from_value("state.json", address, "aws_instance", &attrs)
}

fn live(id: &str, attrs: serde_json::Value) -> Resource {
    Resource {
        tf_type: "aws_instance".into(),
        id: id.into(),
        provider: Cloud::Aws,
        account: Some("1".into()),
        region: Some("us-east-1".into()),
        name: None,
        owner: None,
        gpu: None,
        attributes: attrs,
    }
}

fn snap(resources: Vec<Resource>) -> Snapshot {
    let mut s = Snapshot::new("t".into());
    s.scans.push(Scan {
        only_ids: None,
        provider: Cloud::Aws,
        account: Some("1".into()),
        region: Some("us-east-1".into()),
        types: vec!["aws_instance".into()],
        resources: resources.len(),
        api_calls: 1,
        started_at: None,
        duration_ms: None,
        error: None,
        failures: vec![],
    });
    s.resources = resources;
    s
}

fn base() -> serde_json::Value {
    json!({"id": "i-1", "arn": "arn:aws:ec2:us-east-1:1:instance/i-1", "instance_type": "p4d.24xlarge",
           "metadata_options": [{"http_tokens": "required"}], "sgs": ["sg-a", "sg-b"],
           "tags": {"Name": "t-1"}, "tags_all": {"Name": "t-1", "env": "prod"}, "public_ip": "1.2.3.4",
           "instance_state": "running"})
}

fn run(declared: &[DeclaredResource], live: &Snapshot, ignore: Option<&str>) -> Comparison {
    let prices = PriceTable::builtin();
    let file = ignore.map(|t| DriftIgnore::parse(".driftignore", t).unwrap());
    let active = file.as_ref().map(|f| f.active("2026-06-01".parse().unwrap()).0).unwrap_or_default();
    compare(
        &Input { declared, terraform_drift: &[], registry: Registry::new(SPECS), prices: &prices, ignore: &active },
        live,
    )
}

fn noisy_live() -> serde_json::Value {
    let mut l = base();
    let o = l.as_object_mut().unwrap();
    o.remove("tags_all");
    o.insert("tags".into(), json!({"Name": "t-1", "env": "prod", "aws:autoscaling:groupName": "x"}));
    o.insert("public_ip".into(), json!("9.9.9.9"));
    o.insert("metadata_options".into(), json!([{"http_tokens": "REQUIRED"}]));
    o.insert("sgs".into(), json!(["sg-b", "sg-a", "sg-a"]));
    o.insert("instance_state".into(), json!("stopped"));
    o.insert("user_data".into(), json!(""));
    l
}

#[test]
fn noise_is_not_drift() {
    let c = run(&[decl("aws_instance.a", base())], &snap(vec![live("i-1", noisy_live())]), None);
    assert!(c.findings.is_empty(), "{:#?}", c.findings);
    assert_eq!(c.counts, Counts { managed: 1, not_covered: 0, live_covered: 1, live_managed: 1 });
}

#[test]
fn changed_reports_each_leaf_with_raw_values_and_max_severity() {
    let mut l = noisy_live();
    l["instance_type"] = json!("p5.48xlarge");
    l["tags"] = json!({"Name": "t-1", "owner": "bob"});
    l["metadata_options"] = json!([{"http_tokens": "Optional"}]);
    let c = run(&[decl("aws_instance.a", base())], &snap(vec![live("i-1", l)]), None);
    assert_eq!(c.findings.len(), 1);
    let f = &c.findings[0];
    assert_eq!((f.kind, f.severity), (FindingKind::Changed, High));
    assert_eq!(f.message, "instance type changed outside Terraform");
    let got: Vec<(String, serde_json::Value, serde_json::Value)> =
        f.changes.as_ref().unwrap().iter().map(|c| (c.path.clone(), c.declared.clone(), c.live.clone())).collect();
    assert_eq!(
        got,
        [
            ("instance_type".into(), json!("p4d.24xlarge"), json!("p5.48xlarge")),
            ("metadata_options.0.http_tokens".into(), json!("required"), json!("Optional")),
            ("tags.env".into(), json!("prod"), json!(null)),
            ("tags.owner".into(), json!(null), json!("bob")),
        ]
    );
    let cost = f.cost.as_ref().unwrap();
    // Live is stopped: nothing billed for compute.
    assert_eq!(
        (cost.declared_per_hour_usd, cost.live_per_hour_usd, cost.delta_per_hour_usd),
        (Some(21.96), Some(0.0), Some(-21.96))
    );
    assert_eq!(f.resource.address.as_deref(), Some("aws_instance.a"));
    assert!(f.remediation.commands.iter().any(|c| c == "terraform apply -target='aws_instance.a'"));
}

#[test]
fn ignored_attribute_lowers_severity_and_rewrites_the_finding() {
    let mut l = base();
    l["instance_type"] = json!("p5.48xlarge");
    l["tags"] = json!({"Name": "t-1", "env": "prod", "owner": "bob"});
    let c =
        run(&[decl("aws_instance.a", base())], &snap(vec![live("i-1", l)]), Some("aws_instance.i-1.instance_type\n"));
    let f = &c.findings[0];
    assert_eq!(f.severity, Low);
    assert_eq!(f.changes.as_ref().unwrap().len(), 1);
    assert!(f.message.contains("tags.owner"), "{}", f.message);
    assert!(!f.remediation.commands.iter().any(|c| c.contains("instance_type")), "{:?}", f.remediation.commands);
}

#[test]
fn missing_unmanaged_owned_and_scope() {
    let declared = vec![
        decl(
            "aws_instance.gone",
            json!({"id": "i-gone", "arn": "arn:aws:ec2:us-east-1:1:instance/i-gone", "instance_type": "p5.48xlarge"}),
        ),
        // Another region: no scan covers it, so it is not covered, never missing.
        decl("aws_instance.west", json!({"id": "i-w", "arn": "arn:aws:ec2:us-west-2:1:instance/i-w"})),
        // A type no spec covers.
        crate::tfstate::declared_from_value("s", "aws_s3_bucket.b", "aws_s3_bucket", &json!({"id": "b"})),
    ];
    // Owned by an auto scaling group that the state declares: managed through it.
    let mut owned = live("i-asg", json!({"instance_type": "p5.48xlarge"}));
    owned.owner = Some(OwnerRef { tf_type: "aws_autoscaling_group".into(), id: "asg".into() });
    let mut declared = declared;
    declared.push(group_decl("asg"));
    let rogue = live("i-rogue", json!({"instance_type": "p5.48xlarge", "tags": {"Name": "rogue"}}));
    let mut c = run(&declared, &snap(vec![owned, rogue]), None);
    // The comparer's order is not a contract (reports sort): compare in kind order.
    c.findings.sort_by_key(|f| f.kind);
    let kinds: Vec<(FindingKind, &str, Severity)> =
        c.findings.iter().map(|f| (f.kind, f.resource.id.as_str(), f.severity)).collect();
    assert_eq!(kinds, [(FindingKind::Missing, "i-gone", High), (FindingKind::Unmanaged, "i-rogue", Critical)]);
    // The declared group is of a covered type this scan did not read: not covered.
    assert_eq!(c.counts, Counts { managed: 1, not_covered: 3, live_covered: 1, live_managed: 0 });
    let unmanaged = &c.findings[1];
    assert_eq!(unmanaged.resource.name.as_deref(), Some("rogue"));
    assert_eq!(unmanaged.cost.as_ref().unwrap().delta_per_hour_usd, Some(55.04));
    assert!(unmanaged.remediation.commands[0].starts_with("terraform import 'aws_instance.rogue' 'i-rogue'"));
    let missing = &c.findings[0];
    assert_eq!(missing.cost.as_ref().unwrap().delta_per_hour_usd, Some(-55.04));
}

#[test]
fn failed_scan_covers_nothing() {
    let mut s = snap(vec![]);
    s.scans[0].error = Some("AccessDenied".into());
    let c = run(&[decl("aws_instance.a", base())], &s, None);
    assert!(c.findings.is_empty(), "an unreadable region must not turn everything missing");
    assert_eq!(c.counts.not_covered, 1);
}

#[test]
fn sensitive_values_are_masked_and_unknowns_skipped() {
    let mut d = decl(
        "aws_instance.a",
        json!({"id": "i-1", "arn": "arn:aws:ec2:us-east-1:1:instance/i-1", "user_data": "TOKEN=abc", "instance_type": "x"}),
    );
    d.sensitive = vec!["user_data".into()];
    d.unknown = vec!["instance_type".into()];
    let c = run(&[d], &snap(vec![live("i-1", json!({"user_data": "TOKEN=xyz", "instance_type": "y"}))]), None);
    let changes = c.findings[0].changes.as_ref().unwrap();
    assert_eq!(changes.len(), 1);
    assert_eq!((changes[0].declared.clone(), changes[0].live.clone()), (json!("(sensitive)"), json!("(sensitive)")));
    let text = serde_json::to_string(&c.findings).unwrap();
    assert!(!text.contains("TOKEN"), "{text}");
}

#[test]
fn pending_creates_are_not_missing() {
    let mut d = decl(
        "aws_instance.new",
        json!({"instance_type": "p5.48xlarge", "arn": "arn:aws:ec2:us-east-1:1:instance/x", "id": "x"}),
    );
    d.pending_create = true;
    let c = run(&[d], &snap(vec![]), None);
    assert!(c.findings.is_empty());
}

#[test]
fn terraform_drift_from_a_plan_is_reported_when_no_scan_covers_it() {
    let prices = PriceTable::builtin();
    let drift = vec![crate::tfstate::TerraformDrift {
        source: "plan.json".into(),
        address: "aws_instance.a".into(),
        tf_type: "aws_instance".into(),
        before: json!({"id": "i-1", "instance_type": "p4d.24xlarge"}),
        after: Some(json!({"id": "i-1", "instance_type": "p5.48xlarge"})),
    }];
    let empty = Snapshot::new("t".into());
    let active = Default::default();
    let c = compare(
        &Input {
            declared: &[],
            terraform_drift: &drift,
            registry: Registry::new(SPECS),
            prices: &prices,
            ignore: &active,
        },
        &empty,
    );
    assert_eq!(c.findings.len(), 1);
    assert_eq!(c.findings[0].changes.as_ref().unwrap()[0].live, json!("p5.48xlarge"));
}

#[test]
fn values_equal_treats_empty_as_null_and_numbers_by_value() {
    assert!(values_equal(&json!(null), &json!("")));
    assert!(values_equal(&json!({"a": null}), &json!({})));
    assert!(values_equal(&json!(1), &json!(1.0)));
    assert!(!values_equal(&json!(0), &json!(null)));
    assert!(!values_equal(&json!(false), &json!(null)));
}

#[test]
fn fingerprints_are_stable_and_kind_specific() {
    let a = Finding::fingerprint(FindingKind::Changed, Cloud::Aws, "aws_instance", "i-1", None);
    assert_eq!(a, Finding::fingerprint(FindingKind::Changed, Cloud::Aws, "aws_instance", "i-1", None));
    assert_ne!(a, Finding::fingerprint(FindingKind::Missing, Cloud::Aws, "aws_instance", "i-1", None));
    let az1 = Finding::fingerprint(FindingKind::Changed, Cloud::Azure, "t", "/subscriptions/A/resourceGroups/x", None);
    let az2 = Finding::fingerprint(FindingKind::Changed, Cloud::Azure, "t", "/subscriptions/a/resourcegroups/X", None);
    assert_eq!(az1, az2, "ARM ids are case-insensitive");
}

fn group_decl(name: &str) -> DeclaredResource {
    crate::tfstate::declared_from_value(
        "state.json",
        &format!("aws_autoscaling_group.{name}"),
        "aws_autoscaling_group",
        &json!({"id": name, "name": name, "desired_capacity": 2}),
    )
}

fn tagged(id: &str, itype: &str, tags: serde_json::Value) -> Resource {
    live(id, json!({"id": id, "instance_type": itype, "instance_state": "running", "tags": tags}))
}

fn group(name: &str, tags: serde_json::Value) -> Resource {
    Resource {
        tf_type: "aws_autoscaling_group".into(),
        ..live(name, json!({"id": name, "name": name, "desired_capacity": 2, "tag": tags}))
    }
}

fn with_group_scan(mut s: Snapshot) -> Snapshot {
    s.scans[0].types.push("aws_autoscaling_group".into());
    s
}

#[test]
fn an_undeclared_owner_is_one_finding_with_the_cost_of_all_it_owns() {
    let asg = json!({"aws:autoscaling:groupName": "shadow-pool"});
    let fleet = snap(vec![tagged("i-1", "p5.48xlarge", asg.clone()), tagged("i-2", "p5.48xlarge", asg)]);
    let c = run(&[], &fleet, None);
    assert_eq!(c.findings.len(), 1, "one finding for the unit, not one per instance: {:#?}", c.findings);
    let f = &c.findings[0];
    assert_eq!(
        (f.kind, f.resource.tf_type.as_str(), f.resource.id.as_str()),
        (FindingKind::Unmanaged, "aws_autoscaling_group", "shadow-pool")
    );
    assert_eq!(f.severity, Critical, "the instances' own unmanaged severity");
    assert_eq!(f.cost.as_ref().unwrap().live_per_hour_usd, Some(110.08));
    assert!(f.message.contains("2 aws_instance"), "{}", f.message);
    assert_eq!(c.orchestrated.len(), 1);
    assert_eq!((c.orchestrated[0].resources, c.orchestrated[0].status), (2, OwnerStatus::Unmanaged));
    assert_eq!(c.counts.live_covered, 1, "the unit counts once");

    // Declared, the same instances are managed through their group.
    let c = run(&[group_decl("shadow-pool")], &fleet, None);
    assert!(c.findings.is_empty(), "{:#?}", c.findings);
    assert_eq!(c.orchestrated[0].status, OwnerStatus::Declared);
    assert_eq!(c.orchestrated[0].cost_per_hour_usd, Some(110.08));
}

#[test]
fn owners_chain_to_the_outermost_and_a_live_owner_carries_its_members() {
    // EKS: node group -> its auto scaling group -> instances (here tagged by the group only).
    let eks = json!([{"key": "eks:cluster-name", "value": "ml"}, {"key": "eks:nodegroup-name", "value": "gpu"}]);
    let resources = vec![
        group("eks-gpu-1234", eks),
        tagged("i-1", "p5.48xlarge", json!({"aws:autoscaling:groupName": "eks-gpu-1234"})),
        tagged("i-2", "p5.48xlarge", json!({"aws:autoscaling:groupName": "eks-gpu-1234"})),
    ];
    let c = run(&[], &with_group_scan(snap(resources.clone())), None);
    assert_eq!(c.findings.len(), 1, "{:#?}", c.findings);
    assert_eq!(
        (c.findings[0].resource.tf_type.as_str(), c.findings[0].resource.id.as_str()),
        ("aws_eks_node_group", "ml:gpu")
    );
    assert_eq!(c.findings[0].cost.as_ref().unwrap().live_per_hour_usd, Some(110.08));
    let node_group = crate::tfstate::declared_from_value(
        "state.json",
        "aws_eks_node_group.gpu",
        "aws_eks_node_group",
        &json!({"id": "ml:gpu", "cluster_name": "ml", "node_group_name": "gpu"}),
    );
    let c = run(&[node_group], &with_group_scan(snap(resources)), None);
    assert!(c.findings.is_empty(), "a healthy EKS node group is never unmanaged: {:#?}", c.findings);

    // A live, undeclared group: its own finding, with its instances' cost and count.
    let resources = vec![
        group("by-hand", json!([])),
        tagged("i-3", "p5.48xlarge", json!({"aws:autoscaling:groupName": "by-hand"})),
    ];
    let c = run(&[], &with_group_scan(snap(resources)), None);
    assert_eq!(c.findings.len(), 1, "{:#?}", c.findings);
    let f = &c.findings[0];
    assert_eq!(f.resource.id, "by-hand");
    assert_eq!(f.cost.as_ref().unwrap().live_per_hour_usd, Some(55.04));
    assert!(f.message.contains("1 aws_instance"), "{}", f.message);
}

#[test]
fn orchestrated_capacity_is_never_unmanaged_and_is_summed() {
    let pool = json!({"karpenter.sh/nodepool": "gpu"});
    let c = run(&[], &snap(vec![tagged("i-k1", "p5.48xlarge", pool.clone()), tagged("i-k2", "g5.xlarge", pool)]), None);
    assert!(c.findings.is_empty(), "{:#?}", c.findings);
    assert_eq!(c.orchestrated.len(), 1);
    let o = &c.orchestrated[0];
    assert_eq!(
        (o.tf_type.as_str(), o.id.as_str(), o.resources, o.status),
        ("karpenter", "gpu", 2, OwnerStatus::Orchestrator)
    );
    assert_eq!(o.cost_per_hour_usd, Some(56.05));
}

#[test]
fn another_tools_resource_is_low_and_named_unless_terraform_declares_the_stack() {
    let stack = "arn:aws:cloudformation:us-east-1:1:stack/legacy/0ced2b54";
    let node = tagged("i-cf", "p5.48xlarge", json!({"aws:cloudformation:stack-id": stack, "Name": "cf-node"}));
    let c = run(&[], &snap(vec![node.clone()]), None);
    assert_eq!(c.findings.len(), 1);
    let f = &c.findings[0];
    assert_eq!((f.kind, f.severity), (FindingKind::Unmanaged, Low));
    assert!(f.message.contains("CloudFormation stack") && f.message.contains(stack), "{}", f.message);
    assert!(c.other_tool.contains(&f.id), "not shadow capacity");
    let declared_stack = crate::tfstate::declared_from_value(
        "state.json",
        "aws_cloudformation_stack.legacy",
        "aws_cloudformation_stack",
        &json!({"id": stack, "name": "legacy"}),
    );
    let c = run(&[declared_stack], &snap(vec![node]), None);
    assert!(c.findings.is_empty(), "{:#?}", c.findings);
}

/// Code matched with live by name: one match takes the live id; two are ambiguous and
/// a name known only after apply cannot match (both said, neither compared nor missing);
/// a name nobody has reads as missing.
#[test]
fn code_declarations_match_live_by_name_or_say_why_not() {
    let code = |address: &str, name: Option<&str>| {
        let mut d = decl(address, json!({"instance_type": "p5.48xlarge", "tags": {"Name": name}}));
        d.id = address.to_string();
        d.from_code = true;
        d
    };
    let mut declared = vec![
        code("aws_instance.a", Some("a")),
        code("aws_instance.twin", Some("twin")),
        code("aws_instance.later", None),
        code("aws_instance.gone", Some("gone")),
    ];
    let live_a = live("i-a", json!({"instance_type": "p5.48xlarge", "tags": {"Name": "a"}}));
    let twin1 = live("i-t1", json!({"tags": {"Name": "twin"}}));
    let twin2 = live("i-t2", json!({"tags": {"Name": "twin"}}));
    let warnings = crate::terraform::eval::live_match::match_live(
        &mut declared,
        &[&live_a, &twin1, &twin2],
        &Registry::new(SPECS),
    );
    assert_eq!(declared[0].id, "i-a");
    assert_eq!(declared[0].region.as_deref(), Some("us-east-1"));
    assert!(declared[1].pending_create && declared[2].pending_create, "ambiguous and unnamed: not compared");
    assert_eq!(declared[3].id, "aws_instance.gone");
    assert!(!declared[3].pending_create);
    let messages: Vec<&str> = warnings.iter().map(|w| w.message.as_str()).collect();
    assert_eq!(messages.len(), 2, "{messages:?}");
    assert!(messages[0].contains("aws_instance.twin") && messages[0].contains("i-t1, i-t2"), "{messages:?}");
    assert!(messages[1].contains("aws_instance.later: its name is known only after apply"), "{messages:?}");
}
