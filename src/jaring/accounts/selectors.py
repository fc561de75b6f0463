"""Reads about users and their roles."""

from django.db.models import QuerySet

from jaring.accounts.models import RoleAssignment


def role_assignments_of(user) -> QuerySet[RoleAssignment]:
    return user.role_assignments.select_related("region", "region__parent").order_by(
        "role", "region_id"
    )
