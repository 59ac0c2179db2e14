"""Versions: publishing freezes a version, editing after it makes version n+1, a version
with answers never changes, and only a valid draft is published."""

from __future__ import annotations

from typing import Any

import pytest
from crmkit_surveys.answering.tables import response
from crmkit_surveys.definitions import service
from crmkit_surveys.definitions.language import read_definition, to_json
from crmkit_surveys.definitions.tables import survey_version
from sqlalchemy import insert, select

from crmkit import ConflictError, Crm, ValidationError, utcnow


def create(crm: Crm, definition: dict[str, Any] | None = None, name: str = "Pulse") -> int:
    with crm.transaction() as tx:
        data: dict[str, Any] = {"name": name}
        if definition is not None:
            data["definition"] = definition
        return service.create_survey(tx, data).id


def answer(crm: Crm, survey_id: int, version_id: int) -> None:
    now = utcnow()
    with crm.transaction() as tx:
        tx.conn.execute(
            insert(response).values(
                survey_id=survey_id,
                version_id=version_id,
                language="en",
                status="completed",
                started_at=now,
                updated_at=now,
                completed_at=now,
            )
        )


def test_a_version_with_answers_never_changes_and_edits_make_the_next_version(
    crm: Crm, sample_definition: dict[str, Any]
) -> None:
    sid = create(crm, sample_definition)
    with crm.transaction() as tx:
        first = service.publish(tx, sid, 1).published_version_id
    assert first is not None
    answer(crm, sid, first)

    changed = {**sample_definition, "title": {"en": "New", "de": "Neu"}}
    with crm.transaction() as tx:
        draft = service.save_definition(tx, sid, changed, 2)
    assert (draft.number, draft.status) == (2, "draft")
    with crm.transaction() as tx:
        again = service.save_definition(
            tx, sid, {**changed, "thanks": {"en": "Ta", "de": "Danke"}}, 3
        )
    assert (again.id, again.number) == (draft.id, 2)

    with crm.read() as conn:
        kept = service.get_version(conn, first)
        assert kept.status == "published" and kept.definition == read_definition(sample_definition)
        assert service.get_survey(conn, sid).published_version_id == first
    with crm.transaction() as tx:
        now_published = service.publish(tx, sid, 4)
    assert now_published.published_version_id == draft.id
    with crm.read() as conn:
        versions = service.list_versions(conn, sid)
        assert [(v.number, v.status) for v in versions] == [(2, "published"), (1, "published")]
        assert service.get_version(conn, first).definition == kept.definition
        assert service.get_version(conn, draft.id).definition.thanks == {"en": "Ta", "de": "Danke"}
        summary = service.list_surveys(conn)[0]
        assert (summary.versions, summary.responses) == (2, 1)

    with pytest.raises(ConflictError, match="close it"), crm.transaction() as tx:
        service.delete_survey(tx, sid, 5)


def test_publishing_needs_a_draft_valid_under_the_current_limits(
    make_surveys: Any, sample_definition: dict[str, Any]
) -> None:
    crm = make_surveys(surveys={"definitions": {"max_pages": 1}})
    sid = create(crm)
    with crm.read() as conn:
        (only,) = service.list_versions(conn, sid)
    # Saved under wider limits than now hold.
    with crm.transaction() as tx:
        tx.conn.execute(
            survey_version.update()
            .where(survey_version.c.id == only.id)
            .values(definition=to_json(read_definition(sample_definition)))
        )
    with pytest.raises(ValidationError) as refused, crm.transaction() as tx:
        service.publish(tx, sid)
    assert refused.value.field == "definition.pages"
    with crm.read() as conn:
        assert service.get_survey(conn, sid).status == "draft"
        status = conn.execute(
            select(survey_version.c.status).where(survey_version.c.id == only.id)
        ).scalar_one()
        assert status == "draft"


def test_a_closed_survey_is_reopened_before_a_new_version_is_published(crm: Crm) -> None:
    sid = create(crm)
    with crm.transaction() as tx:
        service.publish(tx, sid)
        service.close(tx, sid)
    with crm.transaction() as tx:
        current = service.get_survey(tx.conn, sid)
        service.save_definition(tx, sid, service.starter_definition("en"), current.version)
    with pytest.raises(ConflictError, match="reopen"), crm.transaction() as tx:
        service.publish(tx, sid)
    with crm.transaction() as tx:
        service.reopen(tx, sid)
        assert service.publish(tx, sid).status == "active"


def test_a_change_without_the_version_read_is_refused(crm: Crm) -> None:
    sid = create(crm)
    with pytest.raises(ValidationError) as refused, crm.transaction() as tx:
        service.update_survey(tx, sid, {"name": "Other"}, None)
    assert refused.value.field == "version"
    with pytest.raises(ValidationError) as refused, crm.transaction() as tx:
        service.save_definition(tx, sid, service.starter_definition("en"), None)
    assert refused.value.field == "version"
