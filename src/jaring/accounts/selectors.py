"""Reads about users and their roles."""

from django.db.models import Q, QuerySet

from jaring.accounts.models import OrgUnit, RoleAssignment, User
from jaring.accounts.rules import Capability
from jaring.accounts.scoping import grants_q, scope_for


def role_assignments_of(user) -> QuerySet[RoleAssignment]:
    return user.role_assignments.select_related("region", "region__parent").order_by(
        "role", "region_id"
    )


def access_log_for(user, filters: dict) -> QuerySet:
    """Personal-data reads an auditor may inspect: those about its regions, or made by users of
    offices in its regions (list views carry no single region)."""
    from jaring.accounts.models import PersonalDataAccess

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


def manageable_users(manager) -> QuerySet[User]:
    """Users ``manager`` may edit: in offices of its region, holding only roles it may grant
    there; never a superuser. Its own user stays visible (its privileges are read-only)."""
    users = User.objects.all()
    if manager.is_superuser:
        return users
    scope = scope_for(manager, Capability.MANAGE_USERS)
    beyond = RoleAssignment.objects.exclude(grants_q(manager)).values("user_id")
    managed = scope.q("org_unit__region__code") & Q(is_superuser=False) & ~Q(pk__in=beyond)
    return users.filter(managed | Q(pk=manager.pk))


def manageable_assignments(manager) -> QuerySet[RoleAssignment]:
    """Role assignments ``manager`` may change or revoke: never its own."""
    assignments = RoleAssignment.objects.select_related("user", "region")
    if manager.is_superuser:
        return assignments.exclude(user=manager)
    return assignments.filter(grants_q(manager)).exclude(user=manager)


def manageable_offices(manager) -> QuerySet[OrgUnit]:
    return OrgUnit.objects.filter(scope_for(manager, Capability.MANAGE_USERS).q("region__code"))
