"""``crmkit demo``: a CRM on an embedded SQLite file, generated data, and a stand-in login.

The ``demo`` plugin defined here has no entry point: only ``crmkit demo`` adds it,
so its "everyone is the admin" login can never be active in a real installation.
"""
