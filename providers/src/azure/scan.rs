//! A scan of Azure: every subscription (given, or every one the identity can read),
//! each listed subscription-wide with three paged reads (VMs, scale sets, AKS clusters
//! with their pools), in parallel. A subscription that cannot be read is reported in
//! its scan (the check exits 3); a rejected credential ends the scan at once.

use super::arm::Arm;
use super::error::{AzureError, AzureErrorKind};
use super::scale_set::{self, Orchestration};
use super::sdk::{VirtualMachine, VirtualMachineScaleSet};
use super::{aks, listed_by, vm, ListedBy};
use driftd_core::model::{Cloud, OwnerRef, Resource};
use driftd_core::snapshot::{Scan, ScanFailure, Snapshot};
use driftd_core::Error;
use futures::StreamExt;
use serde_json::Value;
use std::collections::HashMap;
use std::sync::Arc;
use std::time::Instant;

/// What to scan.
#[derive(Debug, Clone, Default)]
pub struct AzureOptions {
    /// Subscription ids; empty: every subscription the identity can read.
    pub subscriptions: Vec<String>,
    /// ARM endpoint; `None`: the public cloud.
    pub endpoint: Option<String>,
    /// Terraform types not to read (not permitted, or not wanted): not covered.
    pub skip_types: Vec<String>,
    /// Read these (type, resource id) only, after events: their subscriptions, with the
    /// reads that list their types, keeping only them. Empty: everything.
    pub only: Vec<(String, String)>,
}

/// The subscription of an ARM id, lowercase.
fn subscription_of(id: &str) -> Option<String> {
    let rest = id.to_ascii_lowercase();
    let rest = rest.strip_prefix("/subscriptions/")?.to_string();
    rest.split('/').next().map(str::to_string)
}

/// Subscriptions scanned at once. ARM's read limits are per subscription and identity,
/// and each subscription makes at most three calls at a time (one per read).
const SUBSCRIPTIONS_AT_ONCE: usize = 8;

/// One read of a subscription: what it covers and what it found.
struct Read {
    types: Vec<&'static str>,
    result: Result<Vec<Resource>, AzureError>,
}

pub async fn scan(opts: &AzureOptions, taken_at: String) -> Result<Snapshot, Error> {
    for t in &opts.skip_types {
        if !super::TYPES.iter().any(|s| s.spec.tf_type == t) {
            return Err(Error::input("azure.skip_types", format!("{t:?} is not an Azure type driftd reads")));
        }
    }
    let arm = Arc::new(Arm::new(opts.endpoint.as_deref().unwrap_or(super::arm::PUBLIC_ARM))?);
    let subscriptions = if !opts.only.is_empty() {
        let mut subs: Vec<String> = opts.only.iter().filter_map(|(_, id)| subscription_of(id)).collect();
        subs.sort();
        subs.dedup();
        // Within the subscriptions this plan scans, when it names them.
        subs.retain(|s| opts.subscriptions.is_empty() || opts.subscriptions.iter().any(|o| o.eq_ignore_ascii_case(s)));
        subs
    } else if opts.subscriptions.is_empty() {
        let subs = arm.subscriptions().await.map_err(|e| arm.explain(e).into_error())?;
        if subs.is_empty() {
            return Err(Error::unreachable(
                format!("azure ({})", arm.shown()),
                "the identity can read no enabled subscription: grant it a role on one, or pass --subscription",
            ));
        }
        subs
    } else {
        opts.subscriptions.clone()
    };
    let gate = Arc::new(tokio::sync::Semaphore::new(SUBSCRIPTIONS_AT_ONCE));
    let tasks: Vec<_> = subscriptions
        .iter()
        .map(|sub| {
            let (arm, gate, sub, skip) = (arm.clone(), gate.clone(), sub.clone(), opts.skip_types.clone());
            let only: Option<Vec<(String, String)>> = (!opts.only.is_empty()).then(|| {
                opts.only
                    .iter()
                    .filter(|(_, id)| subscription_of(id).as_deref() == Some(&sub.to_ascii_lowercase()))
                    .cloned()
                    .collect()
            });
            tokio::spawn(async move {
                let _permit = gate.acquire().await.expect("semaphore open");
                scan_subscription(&arm, &sub, &skip, only.as_deref()).await
            })
        })
        .collect();
    let mut snapshot = Snapshot::new(taken_at);
    for task in tasks {
        let (scan, resources) =
            task.await.map_err(|e| Error::unreachable("azure", format!("subscription task failed: {e}")))??;
        snapshot.scans.push(scan);
        snapshot.resources.extend(resources);
    }
    // The listing of subscriptions counts with the first subscription, as AWS's account calls do.
    if let Some(first) = snapshot.scans.first_mut() {
        first.api_calls += arm.calls.of("");
    }
    Ok(snapshot)
}

/// One subscription: its three reads in parallel, then owners. A rejected credential is
/// the run's error; anything else is this subscription's (partial) scan. `only`: a
/// re-read of these (type, id): the reads that list their types, and them alone kept.
async fn scan_subscription(
    arm: &Arm,
    sub: &str,
    skip: &[String],
    only: Option<&[(String, String)]>,
) -> Result<(Scan, Vec<Resource>), Error> {
    let started = Instant::now();
    let started_at = driftd_core::snapshot::now_utc();
    let wanted = |read: ListedBy| {
        listed_by(read).iter().any(|t| {
            // A re-read lists the clusters whatever it wants: their node resource groups
            // say which VMs and scale sets AKS owns.
            let asked = read == ListedBy::AksClusters || only.is_none_or(|o| o.iter().any(|(wanted, _)| wanted == t));
            !skip.iter().any(|s| s == t) && asked
        })
    };
    // A re-read GETs each VM and scale set it wants by id; the clusters are listed
    // either way (their pools are inline, and they say what AKS owns).
    // Each id once: an event names a VM for both VM types (the read tells which it is).
    let ids_of = |read: ListedBy| -> Vec<String> {
        let types = listed_by(read);
        let mut ids: Vec<String> = Vec::new();
        for (_, id) in only.into_iter().flatten().filter(|(t, _)| types.contains(&t.as_str())) {
            if !ids.iter().any(|i| i.eq_ignore_ascii_case(id)) {
                ids.push(id.clone());
            }
        }
        ids
    };
    let (vms, sets, clusters, reservations) = tokio::join!(
        async {
            match (wanted(ListedBy::VirtualMachines), only) {
                (false, _) => None,
                (true, None) => Some(list_vms(arm, sub).await),
                (true, Some(_)) => Some(get_vms(arm, sub, &ids_of(ListedBy::VirtualMachines)).await),
            }
        },
        async {
            match (wanted(ListedBy::ScaleSets), only) {
                (false, _) => None,
                (true, None) => Some(list_scale_sets(arm, sub).await),
                (true, Some(_)) => Some(get_scale_sets(arm, sub, &ids_of(ListedBy::ScaleSets)).await),
            }
        },
        async {
            if wanted(ListedBy::AksClusters) {
                Some(list_clusters(arm, sub).await)
            } else {
                None
            }
        },
        // Few per subscription: a re-read lists them all and keeps the ones it wants.
        async {
            match wanted(ListedBy::CapacityReservations) {
                true => Some(list_capacity_reservations(arm, sub).await),
                false => None,
            }
        },
    );
    let mut reads: Vec<Read> = Vec::new();
    let mut node_groups: HashMap<String, NodeGroup> = HashMap::new();
    if let Some(result) = vms {
        reads.push(Read { types: listed_by(ListedBy::VirtualMachines), result });
    }
    if let Some(result) = sets {
        reads.push(Read { types: listed_by(ListedBy::ScaleSets), result });
    }
    if let Some(result) = clusters {
        let result = result.map(|clusters| {
            node_groups = node_resource_groups(&clusters);
            clusters.iter().flat_map(|c| cluster_resources(sub, c)).collect()
        });
        reads.push(Read { types: listed_by(ListedBy::AksClusters), result });
    }
    if let Some(result) = reservations {
        reads.push(Read { types: listed_by(ListedBy::CapacityReservations), result });
    }
    if let Some(bad) =
        reads.iter().find_map(|r| r.result.as_ref().err().filter(|e| e.kind == AzureErrorKind::BadCredentials))
    {
        return Err(arm.explain(bad.clone()).into_error());
    }
    let mut resources = Vec::new();
    let mut failures = Vec::new();
    let mut types = Vec::new();
    for read in reads {
        let read_types: Vec<&str> = read.types.iter().copied().filter(|t| !skip.iter().any(|s| s == t)).collect();
        types.extend(read_types.iter().map(|t| t.to_string()));
        let kept = |r: &Resource| only.is_none_or(|o| o.iter().any(|(_, id)| id.eq_ignore_ascii_case(&r.id)));
        match read.result {
            Ok(found) => {
                resources.extend(found.into_iter().filter(|r| read_types.contains(&r.tf_type.as_str()) && kept(r)))
            }
            Err(e) => {
                for t in &read_types {
                    failures.push(ScanFailure { tf_type: Some(t.to_string()), message: e.to_string() });
                }
            }
        }
    }
    for r in resources.iter_mut() {
        attach_aks_owner(r, &node_groups);
        if let Some(t) = super::TYPES.iter().find(|t| t.spec.tf_type == r.tf_type) {
            r.owner = driftd_core::owner::owner_of(t.spec, r);
        }
    }
    let error = driftd_core::snapshot::whole_scope_error(&mut failures, types.len());
    let scan = Scan {
        only_ids: only.map(|o| o.iter().map(|(_, id)| id.clone()).collect()),
        provider: Cloud::Azure,
        account: Some(sub.to_ascii_lowercase()),
        region: None,
        types,
        resources: resources.len(),
        api_calls: arm.calls.of(sub),
        started_at: Some(started_at),
        duration_ms: Some(started.elapsed().as_millis() as u64),
        error,
        failures,
    };
    Ok((scan, resources))
}

/// The compute api-version of the SDK package (`sdk.rs`), for GETs by id.
const COMPUTE_API: &str = "2024-07-01";

fn vm_resource(sub: &str, v: &VirtualMachine) -> Resource {
    if vm::is_windows(v) {
        super::windows_virtual_machine::to_resource(sub, v)
    } else {
        super::linux_virtual_machine::to_resource(sub, v)
    }
}

fn scale_set_resource(sub: &str, s: &VirtualMachineScaleSet) -> Option<Resource> {
    match scale_set::orchestration(s)? {
        Orchestration::Flexible => Some(super::orchestrated_virtual_machine_scale_set::to_resource(sub, s)),
        Orchestration::UniformLinux => Some(super::linux_virtual_machine_scale_set::to_resource(sub, s)),
    }
}

async fn list_vms(arm: &Arm, sub: &str) -> Result<Vec<Resource>, AzureError> {
    let action = "Microsoft.Compute/virtualMachines/read";
    let mut pages = arm.compute.virtual_machines_client().list_all(sub).into_stream();
    let mut out = Vec::new();
    while let Some(page) = pages.next().await {
        let page = page.map_err(|e| AzureError::from_core(action, Some(sub), &arm.shown(), &e))?;
        out.extend(page.value.iter().map(|v| vm_resource(sub, v)));
    }
    Ok(out)
}

async fn list_scale_sets(arm: &Arm, sub: &str) -> Result<Vec<Resource>, AzureError> {
    let action = "Microsoft.Compute/virtualMachineScaleSets/read";
    let mut pages = arm.compute.virtual_machine_scale_sets_client().list_all(sub).into_stream();
    let mut out = Vec::new();
    while let Some(page) = pages.next().await {
        let page = page.map_err(|e| AzureError::from_core(action, Some(sub), &arm.shown(), &e))?;
        out.extend(page.value.iter().filter_map(|s| scale_set_resource(sub, s)));
    }
    Ok(out)
}

/// VMs by id (an event's `resourceUri`); one deleted since is absent.
async fn get_vms(arm: &Arm, sub: &str, ids: &[String]) -> Result<Vec<Resource>, AzureError> {
    let mut out = Vec::new();
    for id in ids {
        if let Some(v) = arm.get::<VirtualMachine>(&format!("{id}?api-version={COMPUTE_API}"), Some(sub)).await? {
            out.push(vm_resource(sub, &v));
        }
    }
    Ok(out)
}

/// Scale sets by id; one deleted since is absent.
async fn get_scale_sets(arm: &Arm, sub: &str, ids: &[String]) -> Result<Vec<Resource>, AzureError> {
    let mut out = Vec::new();
    for id in ids {
        let path = format!("{id}?api-version={COMPUTE_API}");
        if let Some(s) = arm.get::<VirtualMachineScaleSet>(&path, Some(sub)).await? {
            out.extend(scale_set_resource(sub, &s));
        }
    }
    Ok(out)
}

/// The api-version of capacity reservation groups and reservations.
const CAPACITY_API: &str = "2024-03-01";

/// Every capacity reservation of the subscription's groups, with its utilisation: the
/// groups in one list, then each reservation by id (`$expand=instanceView`).
async fn list_capacity_reservations(arm: &Arm, sub: &str) -> Result<Vec<Resource>, AzureError> {
    let path = format!(
        "/subscriptions/{sub}/providers/Microsoft.Compute/capacityReservationGroups?api-version={CAPACITY_API}"
    );
    let groups: Vec<serde_json::Value> = arm.list(&path, Some(sub)).await?;
    let mut out = Vec::new();
    for group in &groups {
        let group_id = group.get("id").and_then(serde_json::Value::as_str).unwrap_or_default();
        let ids = group.pointer("/properties/capacityReservations").and_then(serde_json::Value::as_array);
        for id in ids.into_iter().flatten().filter_map(|r| r.get("id").and_then(serde_json::Value::as_str)) {
            // ARM's listing may name a reservation without the leading `/`.
            let id = format!("/{}", id.trim_start_matches('/'));
            let path = format!("{id}?api-version={CAPACITY_API}&$expand=instanceView");
            if let Some(r) = arm.get::<serde_json::Value>(&path, Some(sub)).await? {
                out.push(super::capacity_reservation::to_resource(sub, group_id, &r));
            }
        }
    }
    Ok(out)
}

async fn list_clusters(arm: &Arm, sub: &str) -> Result<Vec<aks::ManagedCluster>, AzureError> {
    let path = format!(
        "/subscriptions/{sub}/providers/Microsoft.ContainerService/managedClusters?api-version={}",
        aks::API_VERSION
    );
    arm.list(&path, Some(sub)).await
}

/// A cluster and every pool but its default one (which is part of the cluster).
fn cluster_resources(sub: &str, c: &aks::ManagedCluster) -> Vec<Resource> {
    let cluster = super::kubernetes_cluster::to_resource(sub, c);
    let default = c.default_pool().and_then(|p| p.name.clone());
    let id = c.id.clone().unwrap_or_default();
    let pools = c
        .properties
        .agent_pool_profiles
        .iter()
        .filter(|p| p.name.is_some() && p.name != default)
        .map(|p| super::kubernetes_cluster_node_pool::to_resource(sub, &id, &c.location, p));
    std::iter::once(cluster).chain(pools).collect()
}

/// A cluster's node resource group: whose it is, and which pool is its default.
struct NodeGroup {
    cluster_id: String,
    default_pool: Option<String>,
}

/// Node resource groups (lowercase) of the subscription's clusters.
fn node_resource_groups(clusters: &[aks::ManagedCluster]) -> HashMap<String, NodeGroup> {
    clusters
        .iter()
        .filter_map(|c| {
            let group = c.properties.node_resource_group.as_ref()?.to_ascii_lowercase();
            let default_pool = c.default_pool().and_then(|p| p.name.clone());
            Some((group, NodeGroup { cluster_id: c.id.clone()?, default_pool }))
        })
        .collect()
}

/// A VM or scale set AKS made for a pool of a cluster this scan read: its owner, the
/// node pool (the cluster, for its default pool), by ARM id (`owners.rs`); where this
/// ranks among the type's other owner rules is `owner_of`'s to decide.
fn attach_aks_owner(r: &mut Resource, groups: &HashMap<String, NodeGroup>) {
    let Some(pool) = driftd_core::owner::tag(&r.attributes, "aks-managed-poolName").map(str::to_string) else { return };
    let group =
        r.attributes.get("resource_group_name").and_then(Value::as_str).unwrap_or_default().to_ascii_lowercase();
    let Some(g) = groups.get(&group) else { return };
    r.owner = Some(if g.default_pool.as_deref().is_some_and(|d| d.eq_ignore_ascii_case(&pool)) {
        OwnerRef { tf_type: super::owners::AKS_CLUSTER.tf_type.to_string(), id: g.cluster_id.clone() }
    } else {
        OwnerRef {
            tf_type: super::owners::AKS_NODE_POOL.tf_type.to_string(),
            id: format!("{}/agentPools/{pool}", g.cluster_id),
        }
    });
}
