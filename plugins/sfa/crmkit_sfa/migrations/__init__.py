"""The Alembic branch ``sfa``: revision files in ``versions/``."""
