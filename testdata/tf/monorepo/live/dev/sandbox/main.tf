terraform {
  backend "local" {
    path = "terraform.tfstate"
  }
}

resource "aws_instance" "box" {
  ami           = "ami-12c6146b"
  instance_type = "g4dn.xlarge"

  metadata_options {
    http_tokens = "required"
  }

  tags = {
    Name = "dev-sandbox"
    team = "platform"
  }
}
