# METADATA
# title: Every declared resource (bench/tf_real_corpus.py lists what driftd evaluated)
# description: >-
#   Denies every declared resource with its address, so that the report lists each
#   resource driftd evaluated from the code. For the benchmark only.
# custom:
#   id: BENCH001
#   severity: low
package driftd.bench.every_resource

deny contains msg if {
	input.side == "declared"
	msg := input.address
}
