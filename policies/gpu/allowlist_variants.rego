# METADATA
# title: A GPU allowlist that names a family covers its variants on purpose
# description: >-
#   An allowed_gpu_types pattern such as "p5.*" names the p5 family and silently leaves
#   out its variants p5e and p5en (H200 instead of H100), which a team then cannot run,
#   or runs and is told is not allowed. For each resource of a variant family that an
#   environment's patterns exclude while naming its base family, this says so, and how
#   to write the pattern that was meant.
# custom:
#   id: GPU013
#   severity: low
#   remediation: list the variant ("p5en.*") or write the family with its variants ("p5*.*") in allowed_gpu_types
package driftd.gpu.allowlist_variants

import data.driftd.gpu.lib

allowed := object.get(data.driftd.config, "allowed_gpu_types", {})

patterns(env) := allowed[env] if allowed[env]

patterns(env) := allowed["*"] if {
	not allowed[env]
	allowed["*"]
}

# The family a pattern names: "p5.*" and "p5" name p5.
named_family(p) := lower(split(p, ".")[0]) if not contains(split(p, ".")[0], "*")

# `family` is a variant of `base`: base followed by lowercase letters (p5 -> p5e, p5en).
variant_of(family, base) if {
	family != base
	startswith(family, base)
	regex.match(`^[a-z]+$`, substring(family, count(base), -1))
}

deny contains msg if {
	input.gpu != null
	env := lib.env(input)
	pats := patterns(env)
	size := lower(lib.size(input))
	family := split(size, ".")[0]
	not matches_any(pats, size)
	some p in pats
	base := named_family(p)
	variant_of(family, base)
	msg := sprintf("%s runs %s, a variant of %s that allowed_gpu_types pattern %q for env %q leaves out", [lib.label(input), size, base, p, env])
}

matches_any(pats, size) if {
	some p in pats
	glob.match(lower(p), [], size)
}
