# METADATA
# title: GPU node volumes are encrypted
# description: >-
#   Root and data volumes of GPU nodes hold checkpoints, datasets and model weights;
#   they must be encrypted (EBS encryption on AWS, encryption at host on Azure).
# custom:
#   id: GPU005
#   severity: high
#   remediation: root_block_device { encrypted = true } and encrypted = true on every ebs_block_device (AWS); encryption_at_host_enabled = true (Azure)
package driftd.gpu.encrypted_volumes

import data.driftd.gpu.lib

deny contains msg if {
	input.type == "aws_instance"
	lib.is_gpu_node(input)
	some dev in input.attributes.root_block_device
	dev.encrypted == false
	msg := sprintf("%s has an unencrypted root volume", [lib.label(input)])
}

deny contains msg if {
	input.type == "aws_instance"
	lib.is_gpu_node(input)
	some dev in input.attributes.ebs_block_device
	dev.encrypted == false
	msg := sprintf("%s has an unencrypted data volume %s", [lib.label(input), dev.device_name])
}

deny contains msg if {
	input.provider == "azure"
	lib.is_gpu_node(input)
	input.attributes.encryption_at_host_enabled != true
	msg := sprintf("%s does not encrypt at host", [lib.label(input)])
}
