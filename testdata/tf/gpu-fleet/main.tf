terraform {
  required_providers {
    aws = { source = "hashicorp/aws", version = "~> 5.80" }
  }
  backend "s3" {
    bucket = "tfstate-ml"
    key    = "gpu-fleet/terraform.tfstate"
    region = "us-east-1"
  }
}

provider "aws" {
  region = var.region
}

data "aws_ami" "dlami" {
  most_recent = true
  owners      = ["amazon"]
}

locals {
  common_tags = {
    team  = var.team
    owner = var.owner
    env   = var.env
  }
  # Every pool named after its environment, with its defaults filled in.
  pools = {
    for name, p in var.node_pools : name => merge({ scratch_gb = 0 }, p, { name = "${var.env}-${name}" })
  }
}

module "network" {
  source = "./modules/network"
  name   = "gpu-${var.env}"
  cidr   = var.cidr
}

module "trainers" {
  source    = "./modules/gpu-node"
  count     = var.trainer_count
  name      = format("trainer-%02d", count.index)
  type      = var.trainer_type
  ami       = data.aws_ami.dlami.id
  subnet_id = module.network.subnet_ids[count.index % 2]
  sg_ids    = [module.network.sg_id]
  tags      = merge(local.common_tags, { role = "training" })
}

resource "aws_instance" "pool" {
  for_each      = local.pools
  ami           = data.aws_ami.dlami.id
  instance_type = each.value.type
  subnet_id     = module.network.subnet_ids[0]
  tags          = merge(local.common_tags, { Name = each.value.name, pool = each.key })

  metadata_options {
    http_tokens = "required"
  }

  dynamic "ebs_block_device" {
    for_each = each.value.scratch_gb > 0 ? [each.value.scratch_gb] : []
    content {
      device_name = "/dev/sdf"
      volume_size = ebs_block_device.value
      encrypted   = true
    }
  }
}
