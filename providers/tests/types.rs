//! Every scenario under `testdata/types/<tf_type>/<scenario>/` yields exactly the
//! findings in its `expected.json`: none missed, none extra. Each covered type has a
//! `noise-only` scenario, which must yield none.

use driftd_core::check::{self, Input, LiveInput};
use driftd_core::cost::PriceTable;
use driftd_core::tfstate;
use serde_json::Value;
use std::path::{Path, PathBuf};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn run_scenario(dir: &Path) -> Vec<Value> {
    let state = tfstate::read_file(&dir.join("state.json")).unwrap();
    let report = check::run(Input {
        states: vec![state],
        live: vec![LiveInput::File(dir.join("live.json"))],
        registry: driftd_providers::registry(),
        prices: PriceTable::builtin(),
        ignore: None,
        today: "2026-11-22".parse().unwrap(),
        generated_at: "2026-11-22T18:00:00Z".into(),
        sources: None,
        policies: None,
        code: vec![],
        allocation: Default::default(),
    })
    .unwrap();
    report
        .findings
        .iter()
        .map(|f| {
            serde_json::json!({
                "kind": f.kind,
                "resource": f.resource.address.clone().unwrap_or_else(|| f.resource.id.clone()),
                "severity": f.severity,
                "paths": f.changes.iter().flatten().map(|c| c.path.clone()).collect::<Vec<_>>(),
                "delta_per_hour_usd": f.cost.as_ref().and_then(|c| c.delta_per_hour_usd),
            })
        })
        .collect()
}

#[test]
fn every_scenario_yields_exactly_its_expected_findings() {
    let types_dir = root().join("testdata/types");
    let mut ran = 0;
    let mut failures = Vec::new();
    for spec in driftd_providers::registry().all() {
        let dir = types_dir.join(spec.tf_type);
        assert!(dir.join("noise-only").is_dir(), "{} has no noise-only scenario in {}", spec.tf_type, dir.display());
        let mut scenarios: Vec<PathBuf> =
            std::fs::read_dir(&dir).unwrap().map(|e| e.unwrap().path()).filter(|p| p.is_dir()).collect();
        scenarios.sort();
        for scenario in scenarios {
            let expected: Vec<Value> =
                serde_json::from_str(&std::fs::read_to_string(scenario.join("expected.json")).unwrap()).unwrap();
            let got = run_scenario(&scenario);
            if got != expected {
                failures.push(format!(
                    "{}:\n  expected {}\n  got      {}",
                    scenario.display(),
                    serde_json::to_string(&expected).unwrap(),
                    serde_json::to_string(&got).unwrap()
                ));
            }
            ran += 1;
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    assert!(ran >= 14, "only {ran} scenarios ran");
}

#[test]
fn compared_attributes_are_never_computed_only() {
    for spec in driftd_providers::registry().all() {
        for attr in spec.compared {
            for computed in spec.computed_only {
                let overlap = attr.path == *computed || attr.path.starts_with(&format!("{computed}."));
                assert!(!overlap, "{}: {} is both compared and computed-only", spec.tf_type, attr.path);
            }
        }
    }
}

/// A change message is keyed by a compared path, a leaf below one, or a block above
/// some (`api_server_access_profile` for its `authorized_ip_ranges`): a key that meets
/// nothing compared is a message nobody sees.
#[test]
fn every_change_message_is_for_a_compared_path() {
    let mut checked = 0;
    for spec in driftd_providers::registry().all() {
        for (path, _) in spec.change_messages {
            let compared = spec.compared.iter().any(|a| {
                a.path == *path || path.starts_with(&format!("{}.", a.path)) || a.path.starts_with(&format!("{path}."))
            });
            assert!(compared, "{}: change message for {path}, which is not compared", spec.tf_type);
            checked += 1;
        }
    }
    assert!(checked > 20, "only {checked} change messages");
}

/// An owner the scan names (AKS, from the cluster listing) ranks where its type's rules
/// put it: a Flexible scale set's VM belongs to its scale set first, as `owners::VM`
/// orders them; without one, to the AKS node pool the scan named.
#[test]
fn an_owner_the_scan_names_ranks_among_the_rules_in_their_order() {
    use driftd_core::model::{Cloud, OwnerRef, Resource};
    use driftd_providers::azure::{linux_virtual_machine, owners};
    let pool = OwnerRef { tf_type: owners::AKS_NODE_POOL.tf_type.into(), id: "/clusters/c/agentPools/gpu".into() };
    let vm = |attributes: serde_json::Value| Resource {
        tf_type: "azurerm_linux_virtual_machine".into(),
        id: "/vm".into(),
        provider: Cloud::Azure,
        account: None,
        region: None,
        name: None,
        owner: Some(pool.clone()),
        gpu: None,
        attributes,
    };
    let in_flex = vm(serde_json::json!({"virtual_machine_scale_set_id": "/flex"}));
    let owner = driftd_core::owner::owner_of(&linux_virtual_machine::SPEC, &in_flex).unwrap();
    assert_eq!(
        (owner.tf_type.as_str(), owner.id.as_str()),
        ("azurerm_orchestrated_virtual_machine_scale_set", "/flex")
    );
    let alone = vm(serde_json::json!({}));
    assert_eq!(driftd_core::owner::owner_of(&linux_virtual_machine::SPEC, &alone), Some(pool.clone()));
}

#[test]
fn types_are_registered_once_and_named_like_terraform() {
    let mut names: Vec<&str> = driftd_providers::registry().all().iter().map(|s| s.tf_type).collect();
    for n in &names {
        assert!(n.starts_with("aws_") || n.starts_with("azurerm_"), "{n}");
    }
    names.sort();
    let before = names.len();
    names.dedup();
    assert_eq!(before, names.len());
}

#[test]
fn docs_types_md_is_current() {
    let want = driftd_core::spec::markdown(driftd_providers::registry().all());
    let path = root().join("docs/types.md");
    let have = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        have == want,
        "{} is stale: run `cargo run -p driftd -- types --format markdown > docs/types.md`",
        path.display()
    );
}
