variable "name" {}

variable "type" {}

resource "aws_instance" "this" {
  ami           = "ami-0c7217cdde317cfec"
  instance_type = var.type

  tags = {
    Name = var.name
  }
}
