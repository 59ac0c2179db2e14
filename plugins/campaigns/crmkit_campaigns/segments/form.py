"""The segment builder form: rows of criterion, operator, value and options, or the JSON.

The form works without JavaScript: every action (preview, add a row, remove one, save) is a
submit button, and the page comes back with what was typed. The rows stand for a flat
``all`` or ``any`` of criteria; a definition nesting deeper is edited as JSON. The JSON
textarea wins when it was changed since the page showed it.

A row shown from a definition keeps that criterion's JSON in a hidden field: while its
inputs stay as shown, the row stands for that JSON exactly (a list item holding a comma, an
option value holding ``;``, a number or a boolean survive a save unchanged); a row typed or
changed is read from its text, where a list is comma-separated text.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any

from attrs import evolve, frozen

from crmkit import ValidationError

MAX_ROWS = 50
MATCHES = ("all", "any")
MAX_NESTING = 32
"""How deeply the JSON typed in the form may nest (as the kernel bounds a JSON body)."""
_ROW_PATH = re.compile(r"^definition\.(?:all|any)\[(\d+)\]")


@frozen
class Row:
    """One row of the form, as typed."""

    criterion: str = ""
    op: str = ""
    value: str = ""
    options: str = ""
    """``name=value`` pairs separated by ``;`` (``channel=email; within_days=180``)."""
    source: str = ""
    """The JSON of the criterion the row was shown from, if any."""


@frozen
class BuilderForm:
    """What the builder form holds."""

    name: str = ""
    description: str = ""
    version: str = ""
    match: str = "all"
    rows: tuple[Row, ...] = (Row(),)
    definition: str = ""
    """The JSON, as the textarea holds it."""
    nested: bool = False
    """The definition nests deeper than the rows show: only the JSON edits it."""


def from_definition(
    definition: Any, *, name: str = "", description: str = "", version: str = ""
) -> BuilderForm:
    """The form showing a saved (or previewed) definition."""
    text = json.dumps(definition, indent=2, ensure_ascii=False)
    flat = flat_rows(definition)
    if flat is None:
        return BuilderForm(name, description, version, "all", (), text, nested=True)
    match, rows = flat
    return BuilderForm(name, description, version, match, tuple(rows) or (Row(),), text)


def flat_rows(definition: Any) -> tuple[str, list[Row]] | None:
    """``definition`` as a match and rows, or None when it nests deeper than rows show."""
    if not isinstance(definition, Mapping):
        return None
    if "criterion" in definition:
        definition = {"all": [definition]}
    if len(definition) != 1 or next(iter(definition)) not in MATCHES:
        return None
    match, items = next(iter(definition.items()))
    if not isinstance(items, list) or len(items) > MAX_ROWS:
        return None
    rows = []
    for item in items:
        if not isinstance(item, Mapping) or "criterion" not in item:
            return None
        rows.append(row_of(item, json.dumps(item, ensure_ascii=False)))
    return match, rows


def row_of(item: Mapping[str, Any], source: str = "") -> Row:
    """The row showing the criterion ``item``."""
    options = item.get("with")
    pairs = options.items() if isinstance(options, Mapping) else ()
    # Stripped as the form's inputs are read, so that a row left as shown compares equal.
    return Row(
        criterion=shown(item.get("criterion")).strip(),
        op=shown(item.get("op")).strip(),
        value=shown(item.get("value")).strip(),
        options="; ".join(f"{k}={shown(v)}" for k, v in pairs).strip(),
        source=source,
    )


def shown(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, list):
        return ", ".join(shown(v) for v in value)
    return str(value)


def read(form: Mapping[str, str]) -> BuilderForm:
    """The builder form as posted."""
    count = min(_number(form.get("rows", "1")), MAX_ROWS)
    rows = tuple(
        Row(
            criterion=form.get(f"criterion_{i}", "").strip(),
            op=form.get(f"op_{i}", "").strip(),
            value=form.get(f"value_{i}", "").strip(),
            options=form.get(f"with_{i}", "").strip(),
            source=form.get(f"source_{i}", ""),
        )
        for i in range(count)
    )
    definition = form.get("definition", "")
    changed = definition.strip() != form.get("definition_shown", "").strip()
    return BuilderForm(
        name=form.get("name", ""),
        description=form.get("description", ""),
        version=form.get("version", ""),
        match=form.get("match", "all") if form.get("match") in MATCHES else "all",
        rows=rows,
        definition=definition,
        nested=form.get("nested") == "1" or (changed and bool(definition.strip())),
    )


def _number(text: str) -> int:
    return int(text) if text.isdigit() and text.isascii() and len(text) < 4 else 1


def definition_of(built: BuilderForm) -> Any:
    """The definition the form stands for: its JSON when that is what was edited, else its rows."""
    if built.nested:
        return parse_json(built.definition, "definition")
    typed = [i for i, row in enumerate(built.rows) if row.criterion]
    leaves = [leaf_of(built.rows[i], f"definition.{built.match}[{n}]") for n, i in enumerate(typed)]
    return {built.match: leaves}


def parse_json(text: str, field: str) -> Any:
    """``text`` parsed as JSON, refused (naming ``field``) when it is not JSON or nests deeper
    than MAX_NESTING levels (measured first: parsing recurses once per level)."""
    if nesting(text) > MAX_NESTING:
        raise ValidationError(field, f"arrays and objects nest deeper than {MAX_NESTING} levels")
    try:
        return json.loads(text)
    except ValueError as exc:
        raise ValidationError(field, f"not JSON: {exc}") from None


def nesting(text: str) -> int:
    """How deeply the arrays and objects of JSON ``text`` nest (brackets in strings aside)."""
    depth = deepest = 0
    in_string = escaped = False
    for char in text:
        if in_string:
            escaped = not escaped and char == "\\"
            in_string = escaped or char != '"'
        elif char == '"':
            in_string = True
        elif char in "[{":
            depth += 1
            deepest = max(deepest, depth)
        elif char in "]}":
            depth -= 1
    return deepest


def leaf_of(row: Row, path: str) -> Any:
    """The criterion the row stands for: its source JSON while the row is as shown from it,
    else what was typed (``path``: where the criterion stands, for a refusal)."""
    if row.source:
        source = parse_json(row.source, path)
        if isinstance(source, Mapping) and row_of(source, row.source) == row:
            return source
    leaf: dict[str, Any] = {"criterion": row.criterion}
    if row.op:
        leaf["op"] = row.op
    if row.value:
        leaf["value"] = row.value
    if row.options:
        options: dict[str, str] = {}
        for pair in row.options.split(";"):
            if not pair.strip():
                continue
            name, equals, value = pair.partition("=")
            if not equals or not name.strip():
                raise ValidationError(f"{path}.with", f"expected name=value pairs, got {pair!r}")
            options[name.strip()] = value.strip()
        leaf["with"] = options
    return leaf


def with_row_added(built: BuilderForm) -> BuilderForm:
    return evolve(built, rows=(*built.rows, Row())[:MAX_ROWS])


def with_row_removed(built: BuilderForm, index: int) -> BuilderForm:
    rows = tuple(row for i, row in enumerate(built.rows) if i != index)
    return evolve(built, rows=rows or (Row(),))


def error_row(built: BuilderForm, error: Exception | None) -> int | None:
    """The row a refusal names: ``definition.all[2].value`` names the third row holding a
    criterion (rows left empty are not part of the definition)."""
    if built.nested:
        return None
    found = _ROW_PATH.match(getattr(error, "field", "") or "")
    if not found:
        return None
    typed = [i for i, row in enumerate(built.rows) if row.criterion]
    index = int(found.group(1))
    return typed[index] if index < len(typed) else None
