"""crmkit's one Alembic environment, configured from the application by :mod:`crmkit.core.migrate`."""

from __future__ import annotations

from alembic import context

from crmkit.migrations.environment import migration_connection, on_database

attributes = context.config.attributes
if "crmkit_app" not in attributes:
    raise SystemExit("crmkit's migrations run through `crmkit db`, not the alembic command")

with migration_connection(attributes["crmkit_app"].engine) as connection:
    context.configure(
        connection=connection, **on_database(attributes["crmkit_options"], connection)
    )
    # The connection is already inside one transaction: the whole run commits or nothing does.
    with context.begin_transaction():
        context.run_migrations()
