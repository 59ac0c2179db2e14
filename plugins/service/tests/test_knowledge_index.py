"""The full-text index as the migrations make it, its language, and rebuilding it."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from crmkit_service.knowledge import articles, search

from crmkit import SYSTEM, Crm, PluginError
from crmkit.testing import invoke

ServiceMaker = Callable[..., Crm]


def publish(crm: Crm, title: str, body: str) -> int:
    with crm.transaction() as tx:
        return articles.create_article(tx, {"title": title, "body": body, "publish": True}).id


def found(crm: Crm, text: str) -> list[int]:
    with crm.read() as conn:
        return [hit.article_id for hit in search.search(crm, conn, SYSTEM, text)]


def test_a_migrated_database_indexes_and_searches_as_one_made_from_the_tables(
    make_service: ServiceMaker,
) -> None:
    crm = make_service(create_tables=False)
    assert invoke(crm, "db", "upgrade").exit_code == 0
    kept = publish(crm, "Resetting passwords", "Use the link we email you.")
    gone = publish(crm, "Old password rules", "Passwords expire yearly.")
    with crm.transaction() as tx:
        articles.archive_article(tx, gone, version=1)
    assert found(crm, "password") == [kept]
    with crm.read() as conn:
        (hit,) = search.search(crm, conn, SYSTEM, "emailed link")
    assert [f.text for f in hit.snippet if f.matched] == ["link", "email"]


def test_the_language_setting_chooses_postgresqls_stemming(make_service: ServiceMaker) -> None:
    german = make_service(service={"knowledge": {"language": "german"}})
    with german.read() as conn:
        if conn.dialect.name != "postgresql":
            pytest.skip("SQLite's FTS5 index stems English words whatever the setting")
    article_id = publish(german, "Rechnungen", "Die Rechnungen werden monatlich verschickt.")
    assert found(german, "Rechnung") == [article_id]


def test_reindexing_after_a_change_of_language(
    make_service: ServiceMaker, make_crm: Callable[..., Any]
) -> None:
    english = make_service()
    article_id = publish(english, "Zahlungen", "Zahlungen werden monatlich gebucht.")
    result = invoke(english, "service", "knowledge-reindex")
    assert result.exit_code == 0 and "indexed 1 published article(s)" in result.output
    assert found(english, "Zahlungen") == [article_id]
    with english.read() as conn:
        postgresql = conn.dialect.name == "postgresql"
    if postgresql:
        assert found(english, "Zahlung") == []  # English does not stem German plurals
        settings = english.settings.plugin_settings
        german = make_crm(
            plugins=["channels", "service"],
            settings=type(english.settings)(
                database_url=english.settings.database_url,
                strict_plugins=True,
                plugin_settings={**settings, "service": {"knowledge": {"language": "german"}}},
            ),
            create_tables=False,
        )
        assert invoke(german, "service", "knowledge-reindex").exit_code == 0
        assert found(german, "Zahlung") == [article_id]


def test_a_language_that_is_no_configuration_name_is_refused(make_service: ServiceMaker) -> None:
    with pytest.raises(PluginError, match=r"plugins\.service\.knowledge\.language"):
        make_service(service={"knowledge": {"language": "english; drop"}})
