variable "region" {
  default = "us-east-1"
}

variable "env" {
  default = "dev"
}

variable "team" {
  default = "ml-platform"
}

variable "owner" {
  default = "gpu-oncall"
}

variable "cidr" {
  default = "10.40.0.0/16"
}

variable "trainer_count" {
  default = 1
}

variable "trainer_type" {
  default = "p4d.24xlarge"
}

variable "node_pools" {
  default = {}
}
