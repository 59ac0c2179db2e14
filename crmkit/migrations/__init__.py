"""The Alembic environment of crmkit and the kernel's own branch (``core``).

``env.py`` is run by :mod:`crmkit.core.migrate` (``crmkit db …``); there is no
``alembic.ini``. Revision files of the kernel live in ``versions/``.
"""
