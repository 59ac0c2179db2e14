"""The Alembic branch ``surveys``: revision files in ``versions/``."""
