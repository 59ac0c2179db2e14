"""Campaigns: definition, messages and A/B variants, targeting, and sending with throttling, quiet hours, pause, resume and cancel."""
