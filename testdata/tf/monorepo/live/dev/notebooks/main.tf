terraform {
  backend "local" {
    path = "../../../states/notebooks.tfstate"
  }
}

module "notebook" {
  source = "../../../modules/gpu-node"
  name   = "dev-notebook"
  team   = "research"
}
