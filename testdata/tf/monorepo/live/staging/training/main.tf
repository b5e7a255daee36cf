terraform {
  backend "s3" {
    bucket = "driftd-mono-tfstate"
    key    = "staging/training.tfstate"
    region = "us-east-1"
  }
}

module "trainer" {
  source        = "../../../modules/gpu-node"
  name          = "staging-trainer"
  instance_type = "g5.12xlarge"
  team          = "research"
}
