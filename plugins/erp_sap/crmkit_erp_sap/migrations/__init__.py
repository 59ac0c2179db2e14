"""The Alembic branch ``erp_sap``: revision files in ``versions/``."""
