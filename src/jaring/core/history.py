"""History rows for set-based writes.

django-simple-history records a row per ``save()``; bulk SQL bypasses that, so bulk paths call
:func:`record_history` to write the same rows set-based: the current state of every affected
row, with who, when and why.
"""

from __future__ import annotations

from django.db import connection
from django.utils import timezone

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
    columns = history_columns(model)
    target = quote(model.history.model._meta.db_table)
    source = quote(model._meta.db_table)
    column_list = ", ".join(quote(c) for c in columns)
    selected = ", ".join(f"{alias}.{quote(c)}" for c in columns)
    sql = (
        f"INSERT INTO {target} ({column_list}, history_date, history_type, history_user_id, "  # nosec B608
        f"history_change_reason) SELECT {selected}, %s, %s, %s, %s FROM {source} AS {alias} "
        f"{joins} WHERE {where_sql}"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [timezone.now(), history_type, user_id, reason[:100], *params])
        return cursor.rowcount
