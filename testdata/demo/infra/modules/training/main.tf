variable "trainer_count" {
  type = number
}

resource "aws_placement_group" "train" {
  name     = "pg-train"
  strategy = "cluster"
}

resource "aws_instance" "trainer" {
  count                  = var.trainer_count
  ami                    = data.aws_ami.dlami.id
  instance_type          = "p4d.24xlarge"
  placement_group        = aws_placement_group.train.id
  vpc_security_group_ids = ["sg-083af74604d97d1d8", "sg-0e1bf2bffc4924b69"]
  iam_instance_profile   = "gpu-node"

  metadata_options {
    http_tokens = "required"
  }

  tags = {
    Name  = "trainer-${count.index}"
    team  = "foundation-models"
    owner = "ana"
  }
}

data "aws_ami" "dlami" {
  most_recent = true
  owners      = ["amazon"]
}
