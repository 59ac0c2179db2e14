"""Pushing won orders to SAP as sales orders exactly once, and pulling their status back."""
