"""``crmkit demo``: a CRM on an embedded SQLite file with generated data and demo users.

The demo users log in like any others; their shared password is printed on start
and shown on the demo's login page, never on a real installation's.
"""
