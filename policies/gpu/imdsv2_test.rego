package driftd.gpu.imdsv2_test

import data.driftd.gpu.imdsv2

node(opts) := {"type": "aws_instance", "id": "i-1", "name": "n", "provider": "aws", "gpu": {"count": 1}, "attributes": {"metadata_options": opts}}

test_required_passes if count(imdsv2.deny) == 0 with input as node([{"http_tokens": "required"}])

test_required_any_case_passes if count(imdsv2.deny) == 0 with input as node([{"http_tokens": "Required"}])

test_optional_denied if imdsv2.deny == {`n accepts IMDSv1 (http_tokens = "optional")`} with input as node([{"http_tokens": "optional"}])

test_unset_is_optional if count(imdsv2.deny) == 1 with input as node([])

test_launch_template_denied if {
	count(imdsv2.deny) == 1 with input as {"type": "aws_launch_template", "id": "lt-1", "name": "gpu-lt", "provider": "aws", "gpu": {"count": 8}, "attributes": {"metadata_options": []}}
}
