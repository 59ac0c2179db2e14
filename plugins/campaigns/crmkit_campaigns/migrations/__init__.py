"""The Alembic branch ``campaigns``: revision files in ``versions/``."""
