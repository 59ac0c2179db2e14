"""The suggestions part of the analytics plugin."""
