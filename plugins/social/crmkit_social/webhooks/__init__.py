"""The webhooks part of the social plugin."""
