"""The rollups part of the analytics plugin."""
