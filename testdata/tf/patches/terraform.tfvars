# Overrides the default in main.tf.
inference_type = "g6e.xlarge"
