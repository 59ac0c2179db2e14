"""The leads part of the social plugin."""
