"""The profiles part of the analytics plugin."""
