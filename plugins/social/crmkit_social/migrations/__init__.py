"""The Alembic branch ``social``: revision files in ``versions/``."""
