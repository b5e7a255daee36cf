//! Who made a change, in poll mode: before a scheduled scan is recorded, each finding the
//! store does not hold yet (new), without a `changed_by` from an event, is looked up in
//! its cloud's audit log over the last interval plus its delivery delay: CloudTrail
//! `LookupEvents` on AWS (`driftd_providers::aws::lookup`), the subscription's Activity
//! Log on Azure (`driftd_providers::azure::lookup`). At most `lookup_events_max` per cloud
//! and scan, costliest first; a lookup that fails (no permission, say) is logged and the
//! scan recorded as it is.

use crate::config::TargetConfig;
use crate::plan::RunPlan;
use driftd_core::model::{ChangedBy, Cloud, FindingResource};
use driftd_core::report::Report;
use driftd_providers::aws::Wanted;
use std::collections::{HashMap, HashSet};
use std::time::Duration;
use tracing::{info, warn};

/// CloudTrail and the Activity Log deliver a call within about five (Activity Log:
/// fifteen) minutes; the window reaches back this much further than the interval.
const DELIVERY_DELAY: Duration = Duration::from_secs(15 * 60);

type Found = HashMap<(String, String), ChangedBy>;

pub fn look_up_new(loaded: &super::Loaded, target: &TargetConfig, plan: &RunPlan, report: &mut Report) {
    let clouds: Vec<(Cloud, usize)> = [
        (Cloud::Aws, plan.live.aws.lookup_events, plan.live.aws.lookup_events_max),
        (Cloud::Azure, plan.live.azure.lookup_events, plan.live.azure.lookup_events_max),
    ]
    .into_iter()
    .filter(|(cloud, on, max)| *on && *max > 0 && plan.live.reads(cloud.as_str()))
    .map(|(cloud, _, max)| (cloud, max))
    .collect();
    if clouds.is_empty() || report.findings.iter().all(|f| f.changed_by.is_some()) {
        return;
    }
    let open = match loaded.alerts.open_finding_ids(&target.name) {
        Ok(open) => open,
        Err(e) => return warn!(error = %e, "cannot read open findings; who made the changes is not looked up"),
    };
    let since = jiff::Timestamp::now().as_second() - (target.interval() + DELIVERY_DELAY).as_secs() as i64;
    for (cloud, max) in clouds {
        let wanted = new_resources(report, &open, cloud, max);
        if wanted.is_empty() {
            continue;
        }
        let looked_up = wanted.len();
        let found = match cloud {
            Cloud::Azure => look_up_azure(plan, &wanted, since),
            _ => look_up_aws(plan, &wanted, since),
        };
        match found {
            Ok(found) => {
                let mut attributed = 0;
                for f in report.findings.iter_mut().filter(|f| f.changed_by.is_none() && f.resource.provider == cloud) {
                    if let Some(by) = found.get(&(f.resource.tf_type.clone(), f.resource.id.clone())) {
                        f.changed_by = Some(by.clone());
                        attributed += 1;
                    }
                }
                info!(cloud = cloud.as_str(), looked_up, attributed, "who made the new findings' changes");
            }
            Err(e) => warn!(
                cloud = cloud.as_str(),
                error = %e,
                "cannot look up who made the changes; the findings are recorded without"
            ),
        }
    }
}

/// The resources of new findings of `cloud` nobody is named for, each once, costliest
/// first, at most `max`.
fn new_resources<'r>(report: &'r Report, open: &HashSet<String>, cloud: Cloud, max: usize) -> Vec<&'r FindingResource> {
    let mut new: Vec<&driftd_core::model::Finding> = report
        .findings
        .iter()
        .filter(|f| f.resource.provider == cloud && f.changed_by.is_none() && !open.contains(&f.id))
        .collect();
    new.sort_by(|a, b| b.cost_per_hour().unwrap_or(0.0).total_cmp(&a.cost_per_hour().unwrap_or(0.0)));
    let mut out: Vec<&FindingResource> = Vec::new();
    for f in new {
        let r = &f.resource;
        if !out.iter().any(|o| o.tf_type == r.tf_type && o.id == r.id) {
            if out.len() == max {
                info!(
                    cloud = cloud.as_str(),
                    limit = max,
                    "more new findings than lookup_events_max: the rest are not looked up"
                );
                break;
            }
            out.push(r);
        }
    }
    out
}

fn look_up_aws(plan: &RunPlan, wanted: &[&FindingResource], since: i64) -> Result<Found, String> {
    let wanted: Vec<Wanted> = wanted
        .iter()
        .filter_map(|r| {
            Some(Wanted {
                account: r.account.clone(),
                region: r.region.clone()?,
                tf_type: r.tf_type.clone(),
                id: r.id.clone(),
            })
        })
        .collect();
    let accounts = plan.live.aws.assume_roles();
    let rt = crate::live::runtime().map_err(|e| e.to_string())?;
    rt.block_on(driftd_providers::aws::lookup::changed_by(&accounts, &wanted, since)).map_err(|e| e.to_string())
}

fn look_up_azure(plan: &RunPlan, wanted: &[&FindingResource], since: i64) -> Result<Found, String> {
    let wanted: Vec<(String, String)> = wanted.iter().map(|r| (r.tf_type.clone(), r.id.clone())).collect();
    let since = jiff::Timestamp::from_second(since).map_err(|e| e.to_string())?.to_string();
    // The daemon's targets have no clap env fallback: read it here too (as `live` does).
    let endpoint = plan
        .live
        .azure_endpoint
        .clone()
        .or_else(|| std::env::var("DRIFTD_AZURE_ENDPOINT").ok().filter(|e| !e.is_empty()));
    let rt = crate::live::runtime().map_err(|e| e.to_string())?;
    rt.block_on(driftd_providers::azure::lookup::changed_by(endpoint.as_deref(), &wanted, &since))
}
