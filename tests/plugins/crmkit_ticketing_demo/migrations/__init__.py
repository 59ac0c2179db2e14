"""The ticketing_demo branch: revision files in ``versions/``."""
