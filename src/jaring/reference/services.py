"""Writes of reference data, one path for every kind of it: checked against the writer's scope
(old and new region), validated, saved in a transaction with a history row naming the writer."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.db import transaction

from jaring.accounts.rules import Capability
from jaring.accounts.scoping import require_in


def region_of(instance) -> str | None:
    """The region code a reference row belongs to (its model's ``scope_field``), or None for
    national data (a model without one, such as occupations)."""
    path = getattr(type(instance), "scope_field", None)
    if path is None:
        return None
    value = instance
    for name in path.split("__"):
        value = getattr(value, name, None)
        if value is None:
            return None
    return value


def may_edit_national(user) -> bool:
    """National reference data (occupations) is the superuser's; ``None`` is the system."""
    return user is None or (user.is_active and user.is_superuser)


@transaction.atomic
def save_reference(instance, user, reason: str = ""):
    """Create or change one reference row as ``user``.

    A regional row needs ``MANAGE_REFERENCE`` in its region before and after the change (nobody
    moves a row into or out of another region); a national row needs a superuser. Invalid data
    raises ``ValidationError`` and nothing is written.
    """
    model = type(instance)
    regions = {region_of(instance)}
    if instance.pk is not None and not instance._state.adding:
        before = model.objects.select_for_update().filter(pk=instance.pk).first()
        if before is not None:
            regions.add(region_of(before))
    if getattr(model, "scope_field", None) is None:
        if not may_edit_national(user):
            raise PermissionDenied
    else:
        for code in regions:
            if code is None:
                raise PermissionDenied
            require_in(user, Capability.MANAGE_REFERENCE, code)
    instance.full_clean()
    instance._history_user = user
    instance._change_reason = reason[:100]
    instance.save()
    return instance
