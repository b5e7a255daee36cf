package driftd.gpu.azure_spot_eviction_test

import data.driftd.gpu.azure_spot_eviction

vm(attrs) := {"type": "azurerm_linux_virtual_machine", "id": "/s/vm", "name": "vm", "provider": "azure", "gpu": {"count": 1}, "attributes": attrs}

test_deallocate_passes if count(azure_spot_eviction.deny) == 0 with input as vm({"priority": "Spot", "eviction_policy": "Deallocate"})

test_delete_denied if count(azure_spot_eviction.deny) == 1 with input as vm({"priority": "Spot", "eviction_policy": "Delete"})

test_regular_ignored if count(azure_spot_eviction.deny) == 0 with input as vm({"priority": "Regular", "eviction_policy": null})
