//! Who made a change, in poll mode: before a scheduled scan is recorded, each finding the
//! store does not hold yet (new) on AWS, without a `changed_by` from an event, is looked
//! up in CloudTrail (`driftd_providers::aws::lookup`) over the last interval plus
//! CloudTrail's delivery delay. At most `[aws] lookup_events_max` per scan, costliest
//! first; a lookup that fails (no `cloudtrail:LookupEvents` permission, say) is logged
//! and the scan recorded as it is.

use crate::config::TargetConfig;
use crate::plan::RunPlan;
use driftd_core::model::Cloud;
use driftd_core::report::Report;
use driftd_providers::aws::Wanted;
use std::time::Duration;
use tracing::{info, warn};

/// CloudTrail delivers a call within about five minutes; the window reaches back this
/// much further than the interval.
const DELIVERY_DELAY: Duration = Duration::from_secs(15 * 60);

pub fn look_up_new(loaded: &super::Loaded, target: &TargetConfig, plan: &RunPlan, report: &mut Report) {
    let aws = &plan.live.aws;
    if !aws.lookup_events || aws.lookup_events_max == 0 || !plan.live.reads_aws() {
        return;
    }
    let open = match loaded.alerts.open_finding_ids(&target.name) {
        Ok(open) => open,
        Err(e) => return warn!(error = %e, "cannot read open findings; who made the changes is not looked up"),
    };
    let mut new: Vec<usize> = (0..report.findings.len())
        .filter(|&i| {
            let f = &report.findings[i];
            f.resource.provider == Cloud::Aws
                && f.changed_by.is_none()
                && f.resource.region.is_some()
                && !open.contains(&f.id)
        })
        .collect();
    if new.is_empty() {
        return;
    }
    new.sort_by(|&a, &b| {
        let cost = |i: usize| report.findings[i].cost_per_hour().unwrap_or(0.0);
        cost(b).total_cmp(&cost(a))
    });
    let mut wanted: Vec<Wanted> = Vec::new();
    for &i in &new {
        let r = &report.findings[i].resource;
        let w = Wanted {
            account: r.account.clone(),
            region: r.region.clone().unwrap_or_default(),
            tf_type: r.tf_type.clone(),
            id: r.id.clone(),
        };
        if !wanted.contains(&w) {
            if wanted.len() == aws.lookup_events_max {
                info!(
                    limit = aws.lookup_events_max,
                    "more new findings than lookup_events_max: the rest are not looked up"
                );
                break;
            }
            wanted.push(w);
        }
    }
    let since = jiff::Timestamp::now().as_second() - (target.interval() + DELIVERY_DELAY).as_secs() as i64;
    let accounts: Vec<driftd_providers::aws::AssumeRole> = aws
        .accounts
        .iter()
        .map(|a| driftd_providers::aws::AssumeRole {
            role_arn: a.role_arn.clone(),
            external_id: a.external_id.clone(),
            session_name: a.session_name.clone(),
        })
        .collect();
    let found = crate::live::runtime().map_err(|e| e.to_string()).and_then(|rt| {
        rt.block_on(driftd_providers::aws::lookup::changed_by(&accounts, &wanted, since)).map_err(|e| e.to_string())
    });
    match found {
        Ok(found) => {
            let mut attributed = 0;
            for f in report.findings.iter_mut().filter(|f| f.changed_by.is_none()) {
                if let Some(by) = found.get(&(f.resource.tf_type.clone(), f.resource.id.clone())) {
                    f.changed_by = Some(by.clone());
                    attributed += 1;
                }
            }
            info!(looked_up = wanted.len(), attributed, "who made the new findings' changes, from CloudTrail");
        }
        Err(e) => {
            warn!(error = %e, "cannot look up who made the changes in CloudTrail; the findings are recorded without")
        }
    }
}
