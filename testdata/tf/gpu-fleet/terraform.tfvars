env           = "prod"
trainer_count = 3
trainer_type  = "p5.48xlarge"
node_pools = {
  inference = { type = "g6e.12xlarge", scratch_gb = 500 }
  notebooks = { type = "g5.2xlarge" }
}
