"""Partner organisations (dealers, distributors, resellers, agents), their users, record rules, portal, performance."""
