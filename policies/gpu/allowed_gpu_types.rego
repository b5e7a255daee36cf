# METADATA
# title: Only allowed GPU types per environment
# description: >-
#   Each environment (tag `env`) may run only the GPU types its budget was planned
#   for: config `allowed_gpu_types` maps an environment to glob patterns, e.g.
#   {"dev": ["g5.*", "g6.*"], "prod": ["p5.*", "p4d.*"]}; "*" applies to every
#   environment without its own entry. No configuration, no check.
# custom:
#   id: GPU004
#   severity: high
#   remediation: use an allowed instance type or VM size for this environment, or extend allowed_gpu_types in driftd.toml
package driftd.gpu.allowed_gpu_types

import data.driftd.gpu.lib

allowed := object.get(data.driftd.config, "allowed_gpu_types", {})

patterns(env) := allowed[env] if allowed[env]

patterns(env) := allowed["*"] if {
	not allowed[env]
	allowed["*"]
}

deny contains msg if {
	lib.is_gpu_node(input)
	env := lib.env(input)
	pats := patterns(env)
	size := lib.size(input)
	not matches_any(pats, size)
	msg := sprintf("%s runs %s, not allowed in env %q (allowed: %s)", [lib.label(input), size, env, concat(", ", pats)])
}

matches_any(pats, size) if {
	some p in pats
	glob.match(lower(p), [], lower(size))
}
