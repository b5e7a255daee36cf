//! `aws_ec2_capacity_block_reservation`
//!
//! ## What drifts
//! Capacity Blocks for ML bought by hand (a console purchase of 8 p5.48xlarge for a
//! week), or tagged outside Terraform. A block cannot be changed or cancelled once bought.
//!
//! ## Why it matters
//! A block is paid up front for its whole duration and its GPUs go away at its end
//! date, whatever runs on them: the GPU pack says when a block ends soon and what of it
//! stands idle. Priced as instance_count times the on-demand price (what its capacity
//! would cost on demand); nothing once expired or cancelled.
//!
//! Read with capacity reservations (one DescribeCapacityReservations call answers both,
//! `reservationType = capacity-block` telling them apart).

use crate::aws::events::{EC2, TAGGED};
use crate::aws::owners::{BY_CLOUDFORMATION, BY_CLOUDFORMATION_NAME};
use driftd_core::model::{Cloud, Severity::*};
use driftd_core::spec::{Attr, CostRule, EventRule, NameRule, Norm, TypeSpec};

pub const SPEC: TypeSpec = TypeSpec {
    tf_type: "aws_ec2_capacity_block_reservation",
    cloud: Cloud::Aws,
    doc: "Capacity Blocks for ML bought outside Terraform; paid up front, gone at their end date.",
    compared: &[
        Attr::new("instance_count", High),
        Attr::new("instance_type", High),
        Attr::new("availability_zone", Medium),
        Attr::new("end_date", Medium),
        Attr::new("tags", Low).norms(&[Norm::MergeTagsAll, Norm::DropAwsPrefixed]),
    ],
    computed_only: &[
        "arn",
        "id",
        "available_instance_count",
        "state",
        "tags_all",
        "reservation_type",
        "created_date",
        "start_date",
        "capacity_block_offering_id",
    ],
    cost: Some(CostRule {
        size_attr: "instance_type",
        count_attr: Some("instance_count"),
        idle_when: Some(("state", &["expired", "cancelled", "failed", "payment-failed"])),
        spot_when: None,
    }),
    name: NameRule::Tag("Name"),
    missing: Medium,
    unmanaged: High,
    change_messages: &[("instance_count", "capacity block size differs from Terraform")],
    owners: &[BY_CLOUDFORMATION, BY_CLOUDFORMATION_NAME],
    absorbs: &[],
    gpu_facts_from: Some("instance_type"),
    events: &[
        EventRule {
            source: EC2,
            name: "PurchaseCapacityBlock",
            ids: &["responseElements.PurchaseCapacityBlockResponse.capacityReservation.capacityReservationId"],
            prefix: "cr-",
        },
        EventRule { source: EC2, name: "CreateTags", ids: &[TAGGED], prefix: "cr-" },
        EventRule { source: EC2, name: "DeleteTags", ids: &[TAGGED], prefix: "cr-" },
    ],
};

/// The region's Capacity Blocks (DescribeCapacityReservations, `reservationType = capacity-block`).
#[cfg(feature = "aws")]
pub async fn list(cx: &crate::aws::RegionCx) -> Result<Vec<driftd_core::model::Resource>, crate::aws::ListError> {
    super::capacity_reservation::read(cx, true).await
}

#[cfg(all(test, feature = "aws"))]
mod tests {
    use aws_sdk_ec2::types::{CapacityReservation, CapacityReservationState, CapacityReservationType};

    #[test]
    fn a_capacity_block_is_its_own_type_priced_by_count_until_it_expires() {
        let block = |state| {
            CapacityReservation::builder()
                .capacity_reservation_id("cr-0b10c")
                .instance_type("p5.48xlarge")
                .total_instance_count(8)
                .available_instance_count(2)
                .reservation_type(CapacityReservationType::CapacityBlock)
                .state(state)
                .end_date(aws_smithy_types::DateTime::from_secs(1_796_000_000))
                .build()
        };
        let res =
            super::super::capacity_reservation::to_resource("1", "us-east-1", &block(CapacityReservationState::Active));
        assert_eq!(res.tf_type, "aws_ec2_capacity_block_reservation");
        assert_eq!(res.attributes["reservation_type"], "capacity-block");
        assert_eq!(res.attributes["end_date"], "2026-11-30T00:53:20Z");
        let prices = driftd_core::cost::PriceTable::builtin();
        assert_eq!(prices.hourly(&super::SPEC, &res), Some(440.32));
        let expired = super::super::capacity_reservation::to_resource(
            "1",
            "us-east-1",
            &block(CapacityReservationState::Expired),
        );
        assert_eq!(prices.hourly(&super::SPEC, &expired), Some(0.0));
    }
}
