"""The dashboard part of the analytics plugin."""
