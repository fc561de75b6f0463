"""Writes to accounts: granting and revoking roles, always within the granter's own scope."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction

from jaring.accounts import scoping
from jaring.accounts.models import RoleAssignment, User
from jaring.accounts.rules import Capability, RoleCode, scope_level_error

if TYPE_CHECKING:  # accounts sits below regions: the region arrives as an object
    from jaring.regions.models import Region


@transaction.atomic
def grant_role(
    user: User, role: RoleCode, region: Region | None, granted_by: User | None = None
) -> RoleAssignment:
    """Give ``user`` a role for ``region`` (None: national). Idempotent.

    A granter other than a superuser (or the system, ``granted_by=None``) may only grant within
    its own user-management scope, and never the national role.
    """
    if granted_by is not None and not granted_by.is_superuser:
        scope = scoping.scope_for(granted_by, Capability.MANAGE_USERS)
        if region is None or not scope.contains(region.code):
            raise PermissionDenied("outside the granter's region")
    error = scope_level_error(role, region.level if region else None)
    if error:
        raise ValidationError(error)
    assignment, _ = RoleAssignment.objects.get_or_create(
        user=user, role=role.value, region=region, defaults={"granted_by": granted_by}
    )
    return assignment


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
    """Record that ``user`` saw or exported personal data (append-only; auditors read it)."""
    from jaring.accounts.models import PersonalDataAccess

    return PersonalDataAccess.objects.create(
        user=user,
        action=action,
        object_type=object_type,
        object_id=str(object_id)[:64],
        region_code=region_code,
        reason=reason[:255],
        ip_address=request.META.get("REMOTE_ADDR") if request else None,
        detail=detail or {},
    )
