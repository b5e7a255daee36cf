include "root" {
  path = find_in_parent_folders()
}

terraform {
  source = "../../modules/gpu-node"
}

inputs = {
  name          = "batch-0"
  instance_type = "g5.2xlarge"
  team          = "batch"
}
