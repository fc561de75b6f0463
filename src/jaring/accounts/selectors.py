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
        words = filters["username"]
        rows = rows.filter(
            Q(user__username__icontains=words)
            | Q(user__first_name__icontains=words)
            | Q(user__last_name__icontains=words)
        )
    if filters.get("workers") is not None or filters.get("claim"):
        rows = rows.filter(_reads_of(objects_about(filters.get("workers"), filters.get("claim"))))
    if filters.get("action"):
        rows = rows.filter(action=filters["action"])
    if filters.get("since"):
        rows = rows.filter(at__date__gte=filters["since"])
    if filters.get("until"):
        rows = rows.filter(at__date__lte=filters["until"])
    return rows.order_by("-at", "-id")


def objects_about(
    workers=None, claim: str = "", nik: str = "", user=None
) -> list[tuple[str, list]]:
    """(object type, ids) of the objects about these workers, this claim or this NIK, as the apps
    that own them answer (``accounts.signals.objects_named``); with ``user``, only objects in
    that auditor's regions (a NIK elsewhere is not even confirmed to exist)."""
    from jaring.accounts.signals import answers, objects_named

    found = answers(objects_named, workers=workers, claim=claim, nik=nik, user=user)
    return [pair for answer in found for pair in answer]


def _reads_of(objects: list[tuple[str, list]]) -> Q:
    reads = Q(pk__in=[])  # nothing matched: no row
    for object_type, ids in objects:
        reads |= Q(object_type=object_type, object_id__in=[str(pk) for pk in ids])
    return reads


def describe_reads(viewer, rows) -> list:
    """Each row with ``read``: whose data it was (masked as ``viewer`` may see it) and a link;
    a list's row with ``listed``: how many people it showed."""
    from jaring.accounts.signals import answers, read_objects

    rows = list(rows)
    keys = {(row.object_type, row.object_id) for row in rows if row.object_id}
    known = {}
    for answer in answers(read_objects, viewer=viewer, keys=keys):
        known.update(answer)
    for row in rows:
        row.read = known.get((row.object_type, row.object_id))
        row.listed = len(row.detail.get("ids") or row.detail.get("claims") or [])
    return rows


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
