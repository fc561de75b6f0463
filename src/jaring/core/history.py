"""History rows for set-based writes, and history read back for people.

django-simple-history records a row per ``save()``; bulk SQL bypasses that, so bulk paths call
:func:`record_history` to write the same rows set-based: the current state of every affected
row, with who, when and why.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from django.db import connection
from django.utils import timezone
from django.utils.translation import gettext

HISTORY_FIELDS = {
    "history_id",
    "history_date",
    "history_change_reason",
    "history_type",
    "history_user",
    "history_relation",
}


def history_columns(model) -> list[str]:
    """Columns the historical table copies from ``model`` (generated columns excluded)."""
    historical = model.history.model
    base = {field.column for field in model._meta.concrete_fields}
    return [
        field.column
        for field in historical._meta.concrete_fields
        if field.name not in HISTORY_FIELDS
        and field.column in base
        and not getattr(field, "generated", False)
    ]


def record_history(
    model,
    where_sql: str,
    params: list,
    history_type: str,
    user_id,
    reason: str,
    alias: str = "t",
    joins: str = "",
) -> int:
    """Copy the rows of ``model`` matching ``where_sql`` (aliased ``alias``) into its history."""
    quote = connection.ops.quote_name
    source = quote(model._meta.db_table)
    selected = ", ".join(f"{alias}.{quote(c)}" for c in history_columns(model))
    sql = (
        f"{_history_insert(model)} SELECT {selected}, %s, %s, %s, %s "  # nosec B608
        f"FROM {source} AS {alias} {joins} WHERE {where_sql}"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [timezone.now(), history_type, user_id, reason[:100], *params])
        return cursor.rowcount


def insert_with_history(
    model,
    insert_sql: str,
    params: list,
    user_id,
    reason: str,
    written: dict,
) -> None:
    """Run ``insert_sql`` (an ``INSERT INTO`` ``model``'s table) and record each new row's
    creation ('+') in its history. On PostgreSQL in the same statement: the insert returns
    the rows it wrote to the history's insert (a writable CTE), where finding them again by an
    index look-up cost a tenth of a 1M-row import. Elsewhere, ``record_history`` finds them by
    ``written``: its ``where_sql`` and ``params``, and ``alias`` and ``joins`` if needed."""
    if connection.vendor != "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(insert_sql, params)
        record_history(model, history_type="+", user_id=user_id, reason=reason, **written)
        return
    column_list = _column_list(model)
    sql = (
        f"WITH written AS ({insert_sql} RETURNING {column_list}) "  # nosec B608
        f"{_history_insert(model)} SELECT {column_list}, %s, '+', %s, %s FROM written"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [*params, timezone.now(), user_id, reason[:100]])


def _column_list(model) -> str:
    return ", ".join(connection.ops.quote_name(c) for c in history_columns(model))


def _history_insert(model) -> str:
    """The head of an INSERT into ``model``'s history: its copied columns, then who, when, why."""
    target = connection.ops.quote_name(model.history.model._meta.db_table)
    return (
        f"INSERT INTO {target} ({_column_list(model)}, history_date, history_type, "
        f"history_user_id, history_change_reason)"
    )


@dataclass(frozen=True)
class Change:
    field: str  # the field's name
    label: str  # its verbose name, in the active language
    before: str
    after: str


@dataclass(frozen=True)
class Entry:
    """One history row of a record as a person reads it: who, when, what before and after."""

    when: object
    who: object
    kind: str  # "+" created, "~" changed, "-" deleted
    reason: str
    changes: list[Change]


def _shown(field, value) -> str:
    """A stored value as a person reads it: the related row's name, a choice's label, yes/no,
    JSON for structured data, "" for nothing."""
    if value is None:
        return ""
    if field.is_relation:  # the related row's name, not its id
        related = field.related_model._default_manager.filter(pk=value).first()
        return str(related) if related is not None else str(value)
    if isinstance(value, list | dict):
        return json.dumps(value, ensure_ascii=False)
    if field.choices:
        return str(dict(field.flatchoices).get(value, value))
    if isinstance(value, bool):
        return gettext("yes") if value else gettext("no")
    return str(value)


def entries(instance, limit: int = 50) -> list[Entry]:
    """The newest ``limit`` history rows of ``instance`` (a model with ``HistoricalRecords``),
    each compared with the row before it."""
    model = type(instance)
    rows = list(
        instance.history.select_related("history_user").order_by("-history_date", "-history_id")[
            : limit + 1
        ]
    )
    pk_name = model._meta.pk.name
    tracked = {
        f.name: f.attname
        for f in model.history.model._meta.concrete_fields
        if f.name not in HISTORY_FIELDS and f.name != pk_name
    }
    fields = {name: model._meta.get_field(name) for name in tracked}
    names = {name: str(field.verbose_name) for name, field in fields.items()}
    result = []
    for newer, older in zip(rows[:limit], [*rows[1:], None], strict=False):
        if older is None:
            changes = [
                Change(name, label, "", _shown(fields[name], getattr(newer, tracked[name])))
                for name, label in names.items()
            ]
        else:
            delta = newer.diff_against(older, included_fields=list(names))
            changes = [
                Change(
                    c.field,
                    names[c.field],
                    _shown(fields[c.field], c.old),
                    _shown(fields[c.field], c.new),
                )
                for c in delta.changes
            ]
        result.append(
            Entry(
                newer.history_date,
                newer.history_user,
                newer.history_type,
                newer.history_change_reason or "",
                changes,
            )
        )
    return result


def seed_history(app_label: str, model_name: str, reason: str = "Riwayat awal"):
    """A migration operation's function: one "+" history row for every existing row of a model
    that starts being tracked, so its first change still shows what it was before. For small
    reference tables (a few hundred rows)."""

    def forwards(apps, schema_editor):
        model = apps.get_model(app_label, model_name)
        historical = apps.get_model(app_label, f"Historical{model_name}")
        kept = {f.attname for f in historical._meta.concrete_fields}
        columns = [f.attname for f in model._meta.concrete_fields if f.attname in kept]
        now = timezone.now()
        historical.objects.bulk_create(
            (
                historical(
                    **{c: getattr(row, c) for c in columns},
                    history_date=now,
                    history_type="+",
                    history_change_reason=reason,
                )
                for row in model.objects.iterator(chunk_size=500)
            ),
            batch_size=500,
        )

    return forwards
