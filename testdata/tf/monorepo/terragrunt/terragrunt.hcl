# Shared by every Terragrunt unit below: one state per unit, keyed by its path.
remote_state {
  backend = "s3"
  config = {
    bucket = "driftd-mono-tfstate"
    key    = "terragrunt/${path_relative_to_include()}/terraform.tfstate"
    region = "us-east-1"
  }
}
