resource "aws_placement_group" "research" {
  name     = "pg-research"
  strategy = "cluster"
}

resource "aws_instance" "h100" {
  count                  = 2
  ami                    = data.aws_ami.dlami.id
  instance_type          = "p5.48xlarge"
  placement_group        = aws_placement_group.research.id
  vpc_security_group_ids = ["sg-083af74604d97d1d8", "sg-0e1bf2bffc4924b69"]

  metadata_options {
    http_tokens = "required"
  }

  tags = {
    Name  = "research-h100-${count.index}"
    team  = "research"
    owner = "mei"
  }
}

data "aws_ami" "dlami" {
  most_recent = true
  owners      = ["amazon"]
}
