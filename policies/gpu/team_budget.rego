# METADATA
# title: Per-team hourly GPU budget
# description: >-
#   The on-demand cost per hour of each team's GPU nodes (tag `team`) stays within
#   config `team_budget_per_hour_usd`, e.g. {"research": 150, "serving": 60}. Nodes
#   of unknown price do not count. No configuration, no check.
# custom:
#   id: GPU010
#   severity: high
#   remediation: scale the team's GPU nodes down, move work to spot, or raise the budget in driftd.toml
#   scope: fleet
package driftd.gpu.team_budget

import data.driftd.gpu.lib

budgets := object.get(data.driftd.config, "team_budget_per_hour_usd", {})

spend[team] := total if {
	some team, _ in budgets
	total := sum([c |
		some r in input.resources
		r.gpu != null
	r.type in lib.node_types
		r.attributes.tags.team == team
		c := r.cost_per_hour_usd
		is_number(c)
	])
}

deny contains entry if {
	some team, budget in budgets
	spend[team] > budget
	entry := {
		"msg": sprintf("team %s runs $%.2f/h of GPU nodes, over its $%v/h budget", [team, spend[team], budget]),
		"resource": {"type": "driftd_team_budget", "id": team},
	}
}
