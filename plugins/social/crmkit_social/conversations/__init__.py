"""The conversations part of the social plugin."""
