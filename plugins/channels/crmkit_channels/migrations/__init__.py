"""The Alembic branch ``channels``: revision files in ``versions/``."""
