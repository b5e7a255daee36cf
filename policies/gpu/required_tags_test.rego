package driftd.gpu.required_tags_test

import data.driftd.gpu.required_tags

gpu := {"type": "aws_instance", "id": "i-1", "name": "trainer", "provider": "aws", "gpu": {"count": 8}}

test_tagged_node_passes if {
	count(required_tags.deny) == 0 with input as object.union(gpu, {"attributes": {"tags": {"owner": "ana", "team": "ml"}}})
}

test_missing_owner_denied if {
	required_tags.deny == {`aws_instance trainer has no "owner" tag`} with input as object.union(gpu, {"attributes": {"tags": {"team": "ml"}}})
}

test_empty_value_counts_as_missing if {
	count(required_tags.deny) == 2 with input as object.union(gpu, {"attributes": {"tags": {"owner": "", "team": ""}}})
}

test_configurable_list if {
	required_tags.deny == {`aws_instance trainer has no "cost-center" tag`} with input as object.union(gpu, {"attributes": {"tags": {}}})
		with data.driftd.config as {"required_tags": ["cost-center"]}
}

test_non_gpu_ignored if {
	count(required_tags.deny) == 0 with input as {"type": "aws_instance", "id": "i-2", "provider": "aws", "gpu": null, "attributes": {"tags": {}}}
}
