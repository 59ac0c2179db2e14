"""The accounts part of the social plugin."""
