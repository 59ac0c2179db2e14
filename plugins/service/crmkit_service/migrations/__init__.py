"""The Alembic branch ``service``: revision files in ``versions/``."""
