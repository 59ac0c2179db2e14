"""The Alembic branch ``loyalty``: revision files in ``versions/``."""
