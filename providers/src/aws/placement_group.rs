//! `aws_placement_group`
//!
//! ## What drifts
//! Placement groups deleted or created by hand, strategy or partition count changed.
//!
//! ## Why it matters
//! Multi-node p4d/p5 training loses EFA bandwidth outside a cluster placement group.
//!
//! moto_server does not serve placement groups; the mapping is tested with constructed
//! API responses (see the tests below).

use crate::aws::events::EC2;
use crate::aws::owners::{BY_CLOUDFORMATION, BY_CLOUDFORMATION_NAME, BY_PARALLELCLUSTER};
use driftd_core::model::{Cloud, Severity::*};
use driftd_core::spec::{Attr, EventRule, NameRule, Norm, TypeSpec};

pub const SPEC: TypeSpec = TypeSpec {
    tf_type: "aws_placement_group",
    cloud: Cloud::Aws,
    doc: "Placement groups created, deleted or changed outside Terraform.",
    compared: &[
        Attr::new("strategy", High).norms(&[Norm::Lowercase]),
        Attr::new("partition_count", Medium),
        Attr::new("spread_level", Low).norms(&[Norm::Lowercase]),
        Attr::new("tags", Low).norms(&[Norm::MergeTagsAll, Norm::DropAwsPrefixed]),
    ],
    computed_only: &["arn", "id", "placement_group_id", "tags_all"],
    cost: None,
    name: NameRule::Attr("name"),
    missing: Medium,
    unmanaged: Low,
    change_messages: &[("strategy", "placement group strategy changed outside Terraform")],
    owners: &[BY_PARALLELCLUSTER, BY_CLOUDFORMATION, BY_CLOUDFORMATION_NAME],
    absorbs: &[],
    gpu_facts_from: None,
    // A placement group's id is its name. Tag calls name groups by their `pg-` id, not
    // the name, so they are not mapped here.
    events: &[
        EventRule { source: EC2, name: "CreatePlacementGroup", ids: &["requestParameters.groupName"], prefix: "" },
        EventRule { source: EC2, name: "DeletePlacementGroup", ids: &["requestParameters.groupName"], prefix: "" },
    ],
};

#[cfg(feature = "aws")]
pub use lister::{list, to_resource};

/// DescribePlacementGroups (one call: the API does not page).
#[cfg(feature = "aws")]
mod lister {
    use crate::aws::util::{resource, s, tags};
    use crate::aws::{ListError, RegionCx};
    use aws_sdk_ec2::types::PlacementGroup;
    use driftd_core::model::Resource;
    use serde_json::json;

    pub async fn list(cx: &RegionCx) -> Result<Vec<Resource>, ListError> {
        let resp = cx
            .ec2
            .describe_placement_groups()
            .send()
            .await
            .map_err(|e| ListError::from_sdk("ec2:DescribePlacementGroups", &cx.region, &cx.endpoint, e))?;
        Ok(resp.placement_groups().iter().map(|g| to_resource(&cx.account, &cx.region, g)).collect())
    }

    /// Terraform's id is the name.
    pub fn to_resource(account: &str, region: &str, g: &PlacementGroup) -> Resource {
        let name = g.group_name().unwrap_or_default().to_string();
        resource(
            account,
            region,
            "aws_placement_group",
            name.clone(),
            Some(name.clone()),
            json!({
                "id": name,
                "name": name,
                "arn": s(g.group_arn()),
                "placement_group_id": s(g.group_id()),
                "strategy": g.strategy().map(|x| x.as_str()).unwrap_or(""),
                "partition_count": g.partition_count(),
                "spread_level": g.spread_level().map(|x| x.as_str()).unwrap_or(""),
                "tags": tags(g.tags().iter().map(|t| (t.key(), t.value()))),
            }),
        )
    }

    #[cfg(test)]
    mod tests {
        use super::*;
        use aws_sdk_ec2::types::{PlacementStrategy, Tag};

        #[test]
        fn placement_group_maps_to_terraform_shape() {
            let g = PlacementGroup::builder()
                .group_name("pg-train")
                .group_id("pg-0123")
                .strategy(PlacementStrategy::Cluster)
                .tags(Tag::builder().key("team").value("ml").build())
                .build();
            let r = to_resource("123456789012", "us-east-1", &g);
            assert_eq!(r.id, "pg-train");
            assert_eq!(r.attributes["strategy"], "cluster");
            assert_eq!(r.attributes["tags"], json!({"team": "ml"}));
        }
    }
}
