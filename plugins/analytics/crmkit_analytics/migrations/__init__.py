"""The Alembic branch ``analytics``: revision files in ``versions/``."""
