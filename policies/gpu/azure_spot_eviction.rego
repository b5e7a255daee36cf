# METADATA
# title: Azure spot GPU VMs are deallocated, not deleted, on eviction
# description: >-
#   With eviction policy Delete, an evicted spot VM loses its disks: local
#   checkpoints and caches are gone. Deallocate keeps them and lets the VM restart.
# custom:
#   id: GPU009
#   severity: medium
#   remediation: eviction_policy = "Deallocate"
package driftd.gpu.azure_spot_eviction

import data.driftd.gpu.lib

spot_types := {"azurerm_linux_virtual_machine", "azurerm_windows_virtual_machine", "azurerm_linux_virtual_machine_scale_set", "azurerm_windows_virtual_machine_scale_set", "azurerm_orchestrated_virtual_machine_scale_set"}

deny contains msg if {
	input.type in spot_types
	lower(object.get(input.attributes, "priority", "")) == "spot"
	policy := object.get(input.attributes, "eviction_policy", "")
	lower(policy) != "deallocate"
	msg := sprintf("spot %s %s evicts with %q, which deletes its disks", [input.type, lib.label(input), policy])
}
