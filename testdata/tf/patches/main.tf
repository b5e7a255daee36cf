# Values set through variables, for the patches that accept live values where the
# value comes from: a tfvars entry, a variable default, a module input chased to the
# root module's default; and one shared by several instances (no patch, a hint).
variable "inference_type" {
  default = "g5.xlarge"
}

variable "notebook_hop" {
  default = 1
}

variable "trainer_type" {
  default = "p4d.24xlarge"
}

variable "twin_type" {
  default = "g5.xlarge"
}

resource "aws_instance" "inference" {
  ami           = "ami-0c7217cdde317cfec"
  instance_type = var.inference_type

  tags = {
    Name = "inference"
    team = "serving"
  }
}

resource "aws_instance" "notebook" {
  ami           = "ami-0c7217cdde317cfec"
  instance_type = "g5.2xlarge"

  metadata_options {
    http_tokens                 = "required"
    http_put_response_hop_limit = var.notebook_hop
  }

  tags = {
    Name = "notebook"
  }
}

module "trainer" {
  source = "./modules/node"
  name   = "trainer"
  type   = var.trainer_type
}

resource "aws_instance" "twins" {
  count         = 2
  ami           = "ami-0c7217cdde317cfec"
  instance_type = var.twin_type

  tags = {
    Name = "twin-${count.index}"
  }
}
