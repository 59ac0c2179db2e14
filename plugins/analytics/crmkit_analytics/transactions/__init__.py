"""The transactions part of the analytics plugin."""
