terraform {
  backend "s3" {
    bucket = "driftd-mono-tfstate"
    key    = "prod/inference.tfstate"
    region = "us-east-1"
  }
}

resource "aws_instance" "server" {
  ami           = "ami-12c6146b"
  instance_type = "g5.xlarge"

  metadata_options {
    http_tokens = "required"
  }

  tags = {
    Name = "prod-inference"
    team = "serving"
  }
}
