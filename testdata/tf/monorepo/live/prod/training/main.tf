terraform {
  backend "s3" {
    bucket = "driftd-mono-tfstate"
    key    = "prod/training.tfstate"
    region = "us-east-1"
  }
}

module "trainer" {
  source        = "../../../modules/gpu-node"
  count         = 2
  name          = "prod-trainer-${count.index}"
  instance_type = "p4d.24xlarge"
  team          = "research"
}
