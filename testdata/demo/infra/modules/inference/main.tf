variable "models" {
  type = map(string)
}

resource "aws_instance" "server" {
  for_each               = var.models
  ami                    = data.aws_ami.dlami.id
  instance_type          = each.value
  vpc_security_group_ids = ["sg-07dc64c0b2931972d"]

  metadata_options {
    http_tokens = "required"
  }

  tags = {
    Name  = "infer-${each.key}"
    team  = "serving"
    owner = "raj"
  }
}

resource "aws_autoscaling_group" "batch" {
  name             = "batch-inference"
  desired_capacity = 2
  min_size         = 0
  max_size         = 4
}

data "aws_ami" "dlami" {
  most_recent = true
  owners      = ["amazon"]
}
