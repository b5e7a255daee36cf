terraform {
  required_providers {
    aws     = { source = "hashicorp/aws", version = "~> 5.80" }
    azurerm = { source = "hashicorp/azurerm", version = "~> 4.10" }
  }
}

provider "aws" {
  region = "us-east-1"
  default_tags {
    tags = {
      managed-by  = "terraform"
      cost-center = "ml-platform"
    }
  }
}

provider "aws" {
  alias  = "west"
  region = "us-west-2"
}

data "aws_ami" "dlami" {
  most_recent = true
  owners      = ["amazon"]
}

module "training" {
  source        = "./modules/training"
  trainer_count = 6
}

module "inference" {
  source = "./modules/inference"
  models = {
    embed       = "g6.xlarge"
    "llama-70b" = "g6e.12xlarge"
    mistral     = "g6e.xlarge"
    whisper     = "g5.2xlarge"
  }
}

module "research" {
  source    = "./modules/research"
  providers = { aws = aws.west }
}

module "azure_gpu" {
  source = "./modules/azure_gpu"
}

resource "aws_instance" "gateway" {
  ami                    = data.aws_ami.dlami.id
  instance_type          = "g5.xlarge"
  subnet_id              = "subnet-0f45f0a3c3f624cf5"
  vpc_security_group_ids = ["sg-07dc64c0b2931972d"]
  iam_instance_profile   = "gpu-node"
  key_name               = "ml-ops"
  monitoring             = true
  ebs_optimized          = true

  metadata_options {
    http_tokens                 = "required"
    http_put_response_hop_limit = 2
  }

  root_block_device {
    volume_size = 500
    volume_type = "gp3"
    encrypted   = true
  }

  tags = {
    Name  = "inference-gateway"
    team  = "serving"
    owner = "raj"
  }
}

resource "aws_instance" "notebook" {
  provider               = aws.west
  count                  = 3
  ami                    = data.aws_ami.dlami.id
  instance_type          = "g5.xlarge"
  vpc_security_group_ids = ["sg-043e78c71e056ff72"]
  iam_instance_profile   = "gpu-node"

  metadata_options {
    http_tokens = "required"
  }

  tags = {
    Name  = "notebook-${count.index}"
    team  = "research"
    owner = "mei"
  }
}

resource "aws_instance" "bastion" {
  ami           = data.aws_ami.dlami.id
  instance_type = "t3.micro"
  tags = {
    Name  = "bastion"
    team  = "platform"
    owner = "sam"
  }
}

resource "aws_security_group" "train" {
  name = "gpu-train"
}

resource "aws_security_group" "efa" {
  name = "gpu-efa"
}

resource "aws_security_group" "infer" {
  name = "gpu-infer"
}

resource "aws_s3_bucket" "checkpoints" {
  bucket = "acme-ml-checkpoints"
}

resource "aws_iam_instance_profile" "gpu_node" {
  name = "gpu-node"
}
