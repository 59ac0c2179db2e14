"""The drifting_demo branch: revision files in ``versions/``."""
