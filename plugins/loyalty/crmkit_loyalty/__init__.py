"""crmkit-loyalty: programmes, point rules, tiers, rewards and an append-only ledger."""
