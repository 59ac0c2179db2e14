"""The forked_demo branch: revision files in ``versions/``."""
