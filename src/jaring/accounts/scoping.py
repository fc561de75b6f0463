"""Region scoping: the one place that decides which rows a user may see.

Every selector that reads region-bound data passes its queryset through :func:`scoped`. A model
declares which of its fields holds a region code in ``scope_field`` (``"code"`` for Region,
``"region__code"`` or ``"village__code"`` elsewhere; a tuple of fields for a row that belongs to
two regions, such as a transfer between them); views never filter by region themselves.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.core.exceptions import PermissionDenied
from django.db.models import Q, QuerySet

from jaring.accounts.rules import (
    GRANTABLE_ROLES,
    ROLE_CAPABILITIES,
    Capability,
    RoleCode,
    capabilities_of,
)
from jaring.core.region_codes import is_within, level_of

_CACHE_ATTR = "_jaring_role_scopes"


@dataclass(frozen=True)
class RegionScope:
    """A set of region subtrees; ``everything`` is the whole country."""

    codes: frozenset[str] = frozenset()
    everything: bool = False

    @classmethod
    def of(cls, codes) -> RegionScope:
        # Drop codes that already lie under another code of the scope.
        codes = set(codes)
        roots = {c for c in codes if not any(o != c and is_within(c, o) for o in codes)}
        return cls(codes=frozenset(roots))

    @property
    def is_empty(self) -> bool:
        return not self.everything and not self.codes

    def contains(self, code: str | None) -> bool:
        if self.everything:
            return True
        return code is not None and any(is_within(code, root) for root in self.codes)

    def q(self, field: str) -> Q:
        if self.everything:
            return Q()
        condition = Q(pk__in=[])
        for root in sorted(self.codes):
            condition |= Q(**{field: root}) | Q(**{f"{field}__startswith": root + "."})
        return condition

    def q_by_level(self, columns: dict[int, str]) -> Q:
        """The same filter for a model that keeps one indexed column per region level."""
        if self.everything:
            return Q()
        condition = Q(pk__in=[])
        for root in sorted(self.codes):
            condition |= Q(**{columns[level_of(root)]: root})
        return condition


def _role_regions(user) -> list[tuple[RoleCode, str | None]]:
    cached = getattr(user, _CACHE_ATTR, None)
    if cached is None:
        cached = [
            (RoleCode(role), region_id)
            for role, region_id in user.role_assignments.values_list("role", "region_id")
        ]
        setattr(user, _CACHE_ATTR, cached)
    return cached


def roles_of(user) -> frozenset[RoleCode]:
    if not user.is_authenticated or not user.is_active:
        return frozenset()
    return frozenset(role for role, _ in _role_regions(user))


def capabilities(user) -> frozenset[Capability]:
    if user.is_authenticated and user.is_active and user.is_superuser:
        return frozenset(Capability)
    return capabilities_of(roles_of(user))


def scope_for(user, capability: Capability) -> RegionScope:
    """Where ``user`` may exercise ``capability``: the union of the regions of its roles."""
    if not user.is_authenticated or not user.is_active:
        return RegionScope()
    if user.is_superuser:
        return RegionScope(everything=True)
    regions = [
        region for role, region in _role_regions(user) if capability in ROLE_CAPABILITIES[role]
    ]
    if any(region is None for region in regions):
        return RegionScope(everything=True)
    return RegionScope.of(regions)


def grant_scope(user, role: RoleCode) -> RegionScope:
    """Where ``user`` may grant ``role``: the regions of its roles that may grant it."""
    if not user.is_authenticated or not user.is_active:
        return RegionScope()
    if user.is_superuser:
        return RegionScope(everything=True)
    return RegionScope.of(
        region
        for held, region in _role_regions(user)
        if region is not None and role in GRANTABLE_ROLES.get(held, frozenset())
    )


def grants_q(user, field_prefix: str = "") -> Q:
    """Role assignments (``role``, ``region``) that ``user`` may grant, as a filter."""
    if user.is_superuser:
        return Q()
    allowed = Q(pk__in=[])
    for role in RoleCode:
        scope = grant_scope(user, role)
        if not scope.is_empty:
            allowed |= Q(**{f"{field_prefix}role": role.value}) & scope.q(
                f"{field_prefix}region__code"
            )
    return allowed


def scoped(queryset: QuerySet, user, capability: Capability) -> QuerySet:
    """``queryset`` narrowed to the rows in the user's scope for ``capability``."""
    return within(queryset, scope_for(user, capability))


def within(queryset: QuerySet, scope: RegionScope) -> QuerySet:
    """``queryset`` narrowed to the rows in ``scope``."""
    model = queryset.model
    columns = getattr(model, "scope_columns", None)
    if columns:
        return queryset.filter(scope.q_by_level(columns))
    fields = model.scope_field
    if isinstance(fields, str):
        return queryset.filter(scope.q(fields))
    condition = Q(pk__in=[])
    for field in fields:  # a row of two regions: in scope when either is
        condition |= scope.q(field)
    return queryset.filter(condition)


def require(user, capability: Capability, region_code: str | None = None) -> None:
    """Raise PermissionDenied unless the user may use ``capability`` (in ``region_code``)."""
    scope = scope_for(user, capability)
    allowed = not scope.is_empty if region_code is None else scope.contains(region_code)
    if not allowed:
        raise PermissionDenied


def require_in(user, capability: Capability, region_code: str | None) -> None:
    """The check every write service makes before it writes, for the acting ``user``.

    Raises PermissionDenied unless ``user`` may use ``capability`` in ``region_code``. Views and
    the API do not repeat it: they find the object through a selector (a foreign object stays a
    404) and let the service refuse the action (a 403). ``user=None`` is the system itself — a
    management command, the demo seed, a background task — and is allowed: those callers act for
    the operator of the server, who is not a user of the application.
    """
    require_one_of_in(user, (capability,), region_code)


def require_one_of_in(user, capabilities, region_code: str | None) -> None:
    """:func:`require_in` for an action that any of several capabilities allows."""
    if user is None:
        return
    if not any(scope_for(user, c).contains(region_code) for c in capabilities):
        raise PermissionDenied
