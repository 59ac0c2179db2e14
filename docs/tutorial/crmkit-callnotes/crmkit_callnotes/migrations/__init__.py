"""The Alembic branch ``callnotes``: revision files in ``versions/``."""
