# METADATA
# title: GPU instances require IMDSv2
# description: >-
#   IMDSv1 lets any SSRF in a notebook or inference server read the node's role
#   credentials. GPU instances and their launch templates must set
#   http_tokens = "required".
# custom:
#   id: GPU002
#   severity: high
#   remediation: metadata_options { http_tokens = "required" }
package driftd.gpu.imdsv2

import data.driftd.gpu.lib

# AWS defaults to optional (IMDSv1 allowed) when nothing is set.
tokens(r) := lower(r.attributes.metadata_options[0].http_tokens) if {
	is_string(r.attributes.metadata_options[0].http_tokens)
} else := "optional"

deny contains msg if {
	input.type == "aws_instance"
	lib.is_gpu_node(input)
	tokens(input) != "required"
	msg := sprintf("%s accepts IMDSv1 (http_tokens = %q)", [lib.label(input), tokens(input)])
}

deny contains msg if {
	input.type == "aws_launch_template"
	input.gpu != null
	tokens(input) != "required"
	msg := sprintf("launch template %s lets GPU instances use IMDSv1", [lib.label(input)])
}
