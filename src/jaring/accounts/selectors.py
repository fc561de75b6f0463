"""Reads about users and their roles."""

from django.db.models import QuerySet

from jaring.accounts.models import RoleAssignment


def role_assignments_of(user) -> QuerySet[RoleAssignment]:
    return user.role_assignments.select_related("region", "region__parent").order_by(
        "role", "region_id"
    )


def access_log_for(user, filters: dict) -> QuerySet:
    """Personal-data reads an auditor may inspect: those about its regions, or made by users of
    offices in its regions (list views carry no single region)."""
    from jaring.accounts.models import PersonalDataAccess
    from jaring.accounts.rules import Capability
    from jaring.accounts.scoping import scope_for

    scope = scope_for(user, Capability.VIEW_AUDIT_LOG)
    rows = PersonalDataAccess.objects.select_related("user").filter(
        scope.q("region_code") | scope.q("user__org_unit__region__code")
    )
    if filters.get("username"):
        rows = rows.filter(user__username=filters["username"])
    if filters.get("action"):
        rows = rows.filter(action=filters["action"])
    if filters.get("since"):
        rows = rows.filter(at__date__gte=filters["since"])
    if filters.get("until"):
        rows = rows.filter(at__date__lte=filters["until"])
    return rows.order_by("-at", "-id")
