package driftd.gpu.team_budget_test

import data.driftd.gpu.team_budget

node(id, team, cost) := {"type": "aws_instance", "id": id, "provider": "aws", "gpu": {"count": 8}, "cost_per_hour_usd": cost, "attributes": {"tags": {"team": team}}}

fleet := {"side": "live", "resources": [node("a", "research", 55.04), node("b", "research", 55.04), node("c", "serving", 1.0)]}

test_over_budget_denied if {
	deny := team_budget.deny with input as fleet with data.driftd.config as {"team_budget_per_hour_usd": {"research": 100, "serving": 10}}
	count(deny) == 1
	some e in deny
	e.resource.id == "research"
	e.msg == "team research runs $110.08/h of GPU nodes, over its $100/h budget"
}

test_within_budget_passes if {
	count(team_budget.deny) == 0 with input as fleet with data.driftd.config as {"team_budget_per_hour_usd": {"research": 200}}
}

test_unknown_prices_do_not_count if {
	count(team_budget.deny) == 0 with input as {"side": "live", "resources": [node("a", "research", null)]}
		with data.driftd.config as {"team_budget_per_hour_usd": {"research": 1}}
}
