"""Vehicles as assets (VIN checked), owners over time, repair orders and service history."""
