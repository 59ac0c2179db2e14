"""``crmkit service knowledge-reindex``: rebuild the knowledge base's full-text index."""

from __future__ import annotations

import click
from sqlalchemy import func, select

from crmkit import Crm
from crmkit_service.knowledge.index import rebuild_index
from crmkit_service.knowledge.tables import article


@click.command("knowledge-reindex")
@click.pass_obj
def knowledge_reindex(app: Crm) -> None:
    """Index every published article afresh, in the configured language (after changing it)."""
    language: str = app.settings_of["service"].knowledge.language
    with app.transaction() as tx:
        rebuild_index(tx.conn, language)
        published = select(func.count()).select_from(article).where(article.c.status == "published")
        count = tx.conn.execute(published).scalar_one()
    click.echo(f"indexed {count} published article(s)")
