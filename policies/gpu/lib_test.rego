package driftd.gpu.lib_test

import data.driftd.gpu.lib

test_label_prefers_name if lib.label({"name": "trainer-0", "id": "i-1"}) == "trainer-0"

test_label_falls_back_to_id if lib.label({"name": null, "id": "i-1"}) == "i-1"

test_open_to_internet if {
	lib.open_to_internet("0.0.0.0/0")
	lib.open_to_internet("::/0")
	lib.open_to_internet("203.0.113.0/24")
	not lib.open_to_internet("10.1.0.0/16")
	not lib.open_to_internet("192.168.7.7/32")
}

test_cidr_intersects_extension if {
	net.cidr_intersects("10.0.0.0/8", "10.9.0.0/16")
	not net.cidr_intersects("10.0.0.0/8", "192.168.0.0/16")
}
