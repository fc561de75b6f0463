"""Writes to accounts: granting and revoking roles, always within the granter's own scope."""

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction

from jaring.accounts import scoping
from jaring.accounts.models import RoleAssignment, User
from jaring.accounts.rules import Capability, RoleCode, scope_level_error
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
