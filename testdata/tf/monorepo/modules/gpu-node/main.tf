# One GPU node: the module every root module of this monorepo calls.
variable "name" {
  type = string
}

variable "instance_type" {
  type    = string
  default = "g5.xlarge"
}

variable "team" {
  type = string
}

resource "aws_instance" "this" {
  ami           = "ami-12c6146b"
  instance_type = var.instance_type

  metadata_options {
    http_tokens = "required"
  }

  tags = {
    Name = var.name
    team = var.team
  }
}

output "id" {
  value = aws_instance.this.id
}
