//! The built-in GPU pack, compiled into the binary. A new policy is one line here
//! (and one for its tests). Ids never change once released.

pub const BUILTIN: &[(&str, &str)] = &[
    ("policies/gpu/allowed_gpu_types.rego", include_str!("../gpu/allowed_gpu_types.rego")),
    ("policies/gpu/azure_spot_eviction.rego", include_str!("../gpu/azure_spot_eviction.rego")),
    ("policies/gpu/encrypted_volumes.rego", include_str!("../gpu/encrypted_volumes.rego")),
    ("policies/gpu/imdsv2.rego", include_str!("../gpu/imdsv2.rego")),
    ("policies/gpu/lib.rego", include_str!("../gpu/lib.rego")),
    ("policies/gpu/no_public_ip.rego", include_str!("../gpu/no_public_ip.rego")),
    ("policies/gpu/placement_group.rego", include_str!("../gpu/placement_group.rego")),
    ("policies/gpu/required_tags.rego", include_str!("../gpu/required_tags.rego")),
    ("policies/gpu/spot_non_prod.rego", include_str!("../gpu/spot_non_prod.rego")),
    ("policies/gpu/ssh_rdp_open.rego", include_str!("../gpu/ssh_rdp_open.rego")),
    ("policies/gpu/team_budget.rego", include_str!("../gpu/team_budget.rego")),
];

pub const BUILTIN_TESTS: &[(&str, &str)] = &[
    ("policies/gpu/allowed_gpu_types_test.rego", include_str!("../gpu/allowed_gpu_types_test.rego")),
    ("policies/gpu/azure_spot_eviction_test.rego", include_str!("../gpu/azure_spot_eviction_test.rego")),
    ("policies/gpu/encrypted_volumes_test.rego", include_str!("../gpu/encrypted_volumes_test.rego")),
    ("policies/gpu/imdsv2_test.rego", include_str!("../gpu/imdsv2_test.rego")),
    ("policies/gpu/lib_test.rego", include_str!("../gpu/lib_test.rego")),
    ("policies/gpu/no_public_ip_test.rego", include_str!("../gpu/no_public_ip_test.rego")),
    ("policies/gpu/placement_group_test.rego", include_str!("../gpu/placement_group_test.rego")),
    ("policies/gpu/required_tags_test.rego", include_str!("../gpu/required_tags_test.rego")),
    ("policies/gpu/spot_non_prod_test.rego", include_str!("../gpu/spot_non_prod_test.rego")),
    ("policies/gpu/ssh_rdp_open_test.rego", include_str!("../gpu/ssh_rdp_open_test.rego")),
    ("policies/gpu/team_budget_test.rego", include_str!("../gpu/team_budget_test.rego")),
];
