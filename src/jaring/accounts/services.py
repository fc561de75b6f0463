"""Writes to accounts: granting and revoking roles, always within the granter's own scope."""

from __future__ import annotations

import functools
from typing import TYPE_CHECKING

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import DEFAULT_DB_ALIAS, transaction
from django.utils.translation import gettext as _

from jaring.accounts import scoping
from jaring.accounts.models import RoleAssignment, User
from jaring.accounts.rules import RoleCode, scope_level_error
from jaring.core.middleware import mark_personal

if TYPE_CHECKING:  # accounts sits below regions: the region arrives as an object
    from jaring.regions.models import Region


@transaction.atomic
def grant_role(
    user: User, role: RoleCode, region: Region | None, granted_by: User | None = None
) -> RoleAssignment:
    """Give ``user`` a role for ``region`` (None: national). Idempotent.

    A granter other than the system (``granted_by=None``) is checked by :func:`grant_refusal`.
    """
    refusal = grant_refusal(granted_by, user, role, region.code if region else None)
    if refusal:
        raise PermissionDenied(refusal)
    error = scope_level_error(role, region.level if region else None)
    if error:
        raise ValidationError(error)
    assignment, _ = RoleAssignment.objects.get_or_create(
        user=user, role=role.value, region=region, defaults={"granted_by": granted_by}
    )
    return assignment


def grant_refusal(
    granter: User | None, user: User | None, role: RoleCode | str, region_code: str | None
) -> str | None:
    """Why ``granter`` may not grant (or revoke) ``role`` in ``region_code`` for ``user``, or None.

    Nobody changes its own roles; below a superuser, a role is granted only where the granter
    holds a role that may grant it (``rules.GRANTABLE_ROLES``), never nationally.
    """
    if granter is None:
        return None
    if user is not None and user.pk == granter.pk:
        return _("Nobody may change their own role assignments.")
    if granter.is_superuser:
        return None
    if region_code is None or not scoping.grant_scope(granter, RoleCode(role)).contains(
        region_code
    ):
        return _("You may not grant this role in this region.")
    return None


def log_personal_access(
    user: User,
    action: str,
    object_type: str,
    object_id: object = "",
    region_code: str = "",
    reason: str = "",
    request=None,
    detail: dict | None = None,
):
    """Record that ``user`` saw or exported personal data (append-only; auditors read it).

    Every read is a row, a reload included: an append-only audit log never decides that a
    read was not worth keeping."""
    mark_personal(request)  # the response carries what was logged: Cache-Control: no-store
    row = personal_access(
        user,
        action,
        object_type,
        object_id,
        region_code,
        reason,
        request.META.get("REMOTE_ADDR") if request else None,
        detail,
    )
    row.save(force_insert=True)
    return row


def personal_access(
    user: User,
    action: str,
    object_type: str,
    object_id: object = "",
    region_code: str = "",
    reason: str = "",
    ip_address: str | None = None,
    detail: dict | None = None,
):
    """The access-log row (unsaved) of one read: the one definition of what a row holds."""
    from jaring.accounts.models import PersonalDataAccess

    return PersonalDataAccess(
        user=user,
        action=action,
        object_type=object_type,
        object_id=str(object_id)[:64],
        region_code=region_code,
        reason=reason[:255],
        ip_address=ip_address,
        detail=detail or {},
    )


def personal_access_insert(row, expressions: dict[str, str]) -> tuple[str, list]:
    """``INSERT INTO … SELECT …`` of the access-log ``row`` (from :func:`personal_access`) for a
    statement that also reads: the columns named in ``expressions`` take those SQL expressions
    (e.g. the id of a worker found by the same statement), the others ``row``'s values as
    parameters, prepared by the model's own fields (``at`` is stamped now)."""
    from django.db import connections

    connection = connections[DEFAULT_DB_ALIAS]
    given = tuple(sorted(expressions.items()))
    sql, fields = _insert_statement(type(row), connection.vendor, given)
    params = [field.get_db_prep_save(field.pre_save(row, add=True), connection) for field in fields]
    return sql, params


@functools.cache
def _insert_statement(model, vendor: str, expressions: tuple) -> tuple[str, list]:
    from django.db import connections

    quote = connections[DEFAULT_DB_ALIAS].ops.quote_name
    given = dict(expressions)
    columns, values, fields = [], [], []
    for field in model._meta.concrete_fields:
        if field.primary_key:
            continue
        columns.append(quote(field.column))
        if field.attname in given:
            values.append(given[field.attname])
        else:
            values.append("%s")
            fields.append(field)
    table = quote(model._meta.db_table)
    # nosec B608 - identifiers from model metadata, values are parameters
    sql = f"INSERT INTO {table} ({', '.join(columns)}) SELECT {', '.join(values)}"
    return sql, fields
