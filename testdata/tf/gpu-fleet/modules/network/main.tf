variable "name" {}
variable "cidr" {}

resource "aws_vpc" "gpu" {
  cidr_block = var.cidr
  tags       = { Name = var.name }
}

resource "aws_subnet" "gpu" {
  count             = 2
  vpc_id            = aws_vpc.gpu.id
  cidr_block        = cidrsubnet(var.cidr, 4, count.index)
  availability_zone = element(["us-east-1a", "us-east-1b"], count.index)
  tags              = { Name = "${var.name}-${count.index}" }
}

resource "aws_security_group" "gpu" {
  name   = "${var.name}-nodes"
  vpc_id = aws_vpc.gpu.id

  dynamic "ingress" {
    for_each = { nccl = 0, ssh = 22 }
    content {
      description = ingress.key
      from_port   = ingress.value
      to_port     = ingress.value == 0 ? 65535 : ingress.value
      protocol    = "tcp"
      cidr_blocks = [var.cidr]
    }
  }
}

output "subnet_ids" {
  value = aws_subnet.gpu[*].id
}

output "sg_id" {
  value = aws_security_group.gpu.id
}
