package driftd.gpu.efa_interface_test

import data.driftd.gpu.efa_interface

template(itype, interfaces) := {"type": "aws_launch_template", "id": "lt-1", "name": "trainers", "provider": "aws", "gpu": {"family": split(itype, ".")[0]}, "attributes": {"instance_type": itype, "network_interfaces": interfaces}}

instance(interfaces) := {"type": "aws_instance", "id": "i-1", "name": "t0", "provider": "aws", "gpu": {"family": "p5en"}, "attributes": {"instance_type": "p5en.48xlarge", "network_interface": interfaces}}

test_p5_template_without_efa_denied if {
	efa_interface.deny == {"launch template trainers launches p5.48xlarge without an EFA interface"} with input as template("p5.48xlarge", [])
}

test_trn2_template_with_plain_interface_denied if {
	count(efa_interface.deny) == 1 with input as template("trn2.48xlarge", [{"interface_type": "interface", "device_index": 0}])
}

test_template_with_efa_passes if {
	count(efa_interface.deny) == 0 with input as template("p4d.24xlarge", [{"interface_type": "efa", "device_index": 0}])
}

test_g5_template_is_not_efa_capable if count(efa_interface.deny) == 0 with input as template("g5.48xlarge", [])

test_instance_read_without_efa_denied if {
	efa_interface.deny == {"t0 (p5en.48xlarge) runs without an EFA interface"} with input as instance([{"network_interface_id": "eni-1", "interface_type": "interface"}])
}

test_instance_with_efa_passes if count(efa_interface.deny) == 0 with input as instance([{"network_interface_id": "eni-1", "interface_type": "efa"}])

# The provider's own blocks (state, code) do not say an interface's type: no guess.
test_instance_of_unknown_interfaces_passes if count(efa_interface.deny) == 0 with input as instance([{"network_interface_id": "eni-1"}])
