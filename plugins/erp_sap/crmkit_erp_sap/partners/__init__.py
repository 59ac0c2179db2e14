"""Pulling business partners and customers into parties: mapping, cursors, sync runs."""
