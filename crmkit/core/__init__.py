"""The kernel's domain: entities, values, tables, transactions, events and services.

Nothing here imports :mod:`crmkit.web` or :mod:`crmkit.cli`; those are thin shells
over these services.
"""
