//! `aws_ec2_capacity_reservation`
//!
//! ## What drifts
//! GPU capacity reservations resized, extended, or made by hand.
//!
//! ## Why it matters
//! A reservation is billed whether instances use it or not: 8 reserved p5.48xlarge
//! cost $440/h empty. Priced as instance_count times the on-demand price; the GPU pack
//! prices its idle share (`available_instance_count`, read live) and the on-demand
//! instances that run beside it.
//!
//! Capacity Blocks for ML come from the same call (`reservationType = capacity-block`)
//! and are their own type (`capacity_block_reservation.rs`).
//!
//! moto_server does not serve capacity reservations; the mapping is tested with
//! constructed API responses (see the tests below) and end to end against a local
//! server answering DescribeCapacityReservations in its documented shape.

use crate::aws::events::{EC2, TAGGED};
use crate::aws::owners::{BY_CLOUDFORMATION, BY_CLOUDFORMATION_NAME};
use driftd_core::model::{Cloud, Severity::*};
use driftd_core::spec::{Attr, CostRule, EventRule, NameRule, Norm, TypeSpec};

pub const SPEC: TypeSpec = TypeSpec {
    tf_type: "aws_ec2_capacity_reservation",
    cloud: Cloud::Aws,
    doc: "Capacity reservations resized, extended or created outside Terraform; billed whether used or not.",
    compared: &[
        Attr::new("instance_count", High),
        Attr::new("instance_type", High),
        Attr::new("end_date_type", Medium).norms(&[Norm::Lowercase]),
        Attr::new("end_date", Medium),
        Attr::new("instance_match_criteria", Low).norms(&[Norm::Lowercase]),
        Attr::new("tags", Low).norms(&[Norm::MergeTagsAll, Norm::DropAwsPrefixed]),
    ],
    computed_only: &["arn", "id", "owner_id", "available_instance_count", "state", "tags_all", "reservation_type"],
    cost: Some(CostRule {
        size_attr: "instance_type",
        count_attr: Some("instance_count"),
        idle_when: None,
        spot_when: None,
    }),
    name: NameRule::Tag("Name"),
    missing: Medium,
    unmanaged: High,
    change_messages: &[
        ("instance_count", "reserved GPU capacity changed outside Terraform"),
        ("instance_type", "reserved instance type changed outside Terraform"),
    ],
    owners: &[BY_CLOUDFORMATION, BY_CLOUDFORMATION_NAME],
    absorbs: &[],
    gpu_facts_from: Some("instance_type"),
    events: &[
        EventRule {
            source: EC2,
            name: "CreateCapacityReservation",
            ids: &["responseElements.CreateCapacityReservationResponse.capacityReservation.capacityReservationId"],
            prefix: "cr-",
        },
        EventRule {
            source: EC2,
            name: "ModifyCapacityReservation",
            ids: &["requestParameters.ModifyCapacityReservationRequest.CapacityReservationId"],
            prefix: "cr-",
        },
        EventRule {
            source: EC2,
            name: "CancelCapacityReservation",
            ids: &["requestParameters.CancelCapacityReservationRequest.CapacityReservationId"],
            prefix: "cr-",
        },
        EventRule { source: EC2, name: "CreateTags", ids: &[TAGGED], prefix: "cr-" },
        EventRule { source: EC2, name: "DeleteTags", ids: &[TAGGED], prefix: "cr-" },
    ],
};

#[cfg(feature = "aws")]
pub use lister::{list, read, to_resource};

/// DescribeCapacityReservations, the states that hold or will hold capacity, 1000 per page.
#[cfg(feature = "aws")]
mod lister {
    use crate::aws::util::{resource, s, tags};
    use crate::aws::{ListError, RegionCx};
    use aws_sdk_ec2::types::{CapacityReservation, CapacityReservationType, Filter};
    use driftd_core::model::Resource;
    use serde_json::json;

    pub async fn list(cx: &RegionCx) -> Result<Vec<Resource>, ListError> {
        read(cx, false).await
    }

    /// The region's reservations of one kind: Capacity Blocks for ML (`blocks`) or the
    /// others (on-demand capacity reservations).
    pub async fn read(cx: &RegionCx, blocks: bool) -> Result<Vec<Resource>, ListError> {
        let mut out = Vec::new();
        let mut pages = cx
            .ec2
            .describe_capacity_reservations()
            .filters(
                Filter::builder()
                    .name("state")
                    .values("active")
                    .values("pending")
                    .values("scheduled")
                    .values("payment-pending")
                    .build(),
            )
            .max_results(1000)
            .into_paginator()
            .send();
        while let Some(page) = pages.next().await {
            let page =
                page.map_err(|e| ListError::from_sdk("ec2:DescribeCapacityReservations", &cx.region, &cx.endpoint, e))?;
            out.extend(
                page.capacity_reservations()
                    .iter()
                    .filter(|r| (r.reservation_type() == Some(&CapacityReservationType::CapacityBlock)) == blocks)
                    .map(|r| to_resource(&cx.account, &cx.region, r)),
            );
        }
        Ok(out)
    }

    pub fn to_resource(account: &str, region: &str, r: &CapacityReservation) -> Resource {
        let id = r.capacity_reservation_id().unwrap_or_default().to_string();
        let tags = tags(r.tags().iter().map(|t| (t.key(), t.value())));
        let name = tags.get("Name").and_then(|v| v.as_str()).map(str::to_string);
        let block = r.reservation_type() == Some(&CapacityReservationType::CapacityBlock);
        let tf_type = if block { "aws_ec2_capacity_block_reservation" } else { "aws_ec2_capacity_reservation" };
        resource(
            account,
            region,
            tf_type,
            id.clone(),
            name,
            json!({
                "id": id,
                "arn": s(r.capacity_reservation_arn()),
                "instance_type": s(r.instance_type()),
                "instance_platform": r.instance_platform().map(|x| x.as_str()).unwrap_or(""),
                "availability_zone": s(r.availability_zone()),
                "instance_count": r.total_instance_count(),
                "available_instance_count": r.available_instance_count(),
                "ebs_optimized": r.ebs_optimized(),
                "end_date": r.end_date().map(|d| d.to_string()).unwrap_or_default(),
                "end_date_type": r.end_date_type().map(|x| x.as_str()).unwrap_or(""),
                "instance_match_criteria": r.instance_match_criteria().map(|x| x.as_str()).unwrap_or(""),
                "tenancy": r.tenancy().map(|x| x.as_str()).unwrap_or(""),
                "state": r.state().map(|x| x.as_str()).unwrap_or(""),
                "reservation_type": r.reservation_type().map(|x| x.as_str()).unwrap_or("default"),
                "start_date": r.start_date().map(|d| d.to_string()).unwrap_or_default(),
                "placement_group_arn": s(r.placement_group_arn()),
                "tags": tags,
            }),
        )
    }

    #[cfg(test)]
    mod tests {
        use super::*;
        use aws_sdk_ec2::types::{EndDateType, Tag};

        #[test]
        fn capacity_reservation_maps_and_prices_by_count() {
            let r = CapacityReservation::builder()
                .capacity_reservation_id("cr-0abc")
                .instance_type("p5.48xlarge")
                .total_instance_count(8)
                .end_date_type(EndDateType::Unlimited)
                .tags(Tag::builder().key("Name").value("llm-reserve").build())
                .build();
            let res = to_resource("123456789012", "us-east-1", &r);
            assert_eq!((res.id.as_str(), res.name.as_deref()), ("cr-0abc", Some("llm-reserve")));
            assert_eq!(res.attributes["instance_count"], 8);
            let prices = driftd_core::cost::PriceTable::builtin();
            assert_eq!(prices.hourly(&super::super::SPEC, &res), Some(440.32));
        }
    }
}
