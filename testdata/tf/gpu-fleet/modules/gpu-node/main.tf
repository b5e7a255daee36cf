variable "name" {}
variable "type" {}
variable "ami" {}
variable "subnet_id" {}
variable "sg_ids" {}
variable "tags" {
  default = {}
}

resource "aws_instance" "this" {
  ami                    = var.ami
  instance_type          = var.type
  subnet_id              = var.subnet_id
  vpc_security_group_ids = var.sg_ids
  tags                   = merge(var.tags, { Name = var.name })

  metadata_options {
    http_tokens                 = "required"
    http_put_response_hop_limit = 2
  }

  root_block_device {
    encrypted   = true
    volume_size = 500
    volume_type = "gp3"
  }
}
