package driftd.gpu.allowlist_variants_test

import data.driftd.gpu.allowlist_variants

node(itype, env) := {"type": "aws_instance", "id": "i-1", "name": "n", "provider": "aws", "gpu": {"family": split(itype, ".")[0]}, "attributes": {"instance_type": itype, "tags": {"env": env}}}

config := {"allowed_gpu_types": {"prod": ["p5.*", "g6.*"]}}

test_p5en_left_out_by_p5_pattern if {
	allowlist_variants.deny == {`n runs p5en.48xlarge, a variant of p5 that allowed_gpu_types pattern "p5.*" for env "prod" leaves out`} with input as node("p5en.48xlarge", "prod") with data.driftd.config as config
}

test_g6e_left_out_by_g6_pattern if {
	count(allowlist_variants.deny) == 1 with input as node("g6e.12xlarge", "prod") with data.driftd.config as config
}

test_allowed_family_passes if count(allowlist_variants.deny) == 0 with input as node("p5.48xlarge", "prod") with data.driftd.config as config

test_unrelated_family_is_left_to_gpu004 if count(allowlist_variants.deny) == 0 with input as node("p4d.24xlarge", "prod") with data.driftd.config as config

test_pattern_with_variants_passes if {
	count(allowlist_variants.deny) == 0 with input as node("p5en.48xlarge", "prod") with data.driftd.config as {"allowed_gpu_types": {"prod": ["p5*.*"]}}
}

test_no_configuration_no_check if count(allowlist_variants.deny) == 0 with input as node("p5en.48xlarge", "prod") with data.driftd.config as {}
