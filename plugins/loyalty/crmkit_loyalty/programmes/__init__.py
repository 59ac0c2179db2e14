"""Programmes: point rules, tiers with qualification and downgrade, rewards."""
