"""The ``crmkit`` command line: a thin shell over core services."""
