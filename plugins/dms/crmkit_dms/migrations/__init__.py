"""The Alembic branch ``dms``: revision files in ``versions/``."""
