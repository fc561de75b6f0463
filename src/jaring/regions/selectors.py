"""Reads of the region table. User-facing reads are scoped; reference look-ups are not."""

from django.db.models import QuerySet
from django.http import Http404

from jaring.accounts.rules import Capability
from jaring.accounts.scoping import scope_for, scoped
from jaring.core import region_codes
from jaring.core.text import name_key
from jaring.regions.models import Level, Region

SEARCH_LIMIT = 50


def visible_regions(user) -> QuerySet[Region]:
    return scoped(Region.objects.all(), user, Capability.VIEW_REGIONS)


def top_regions(user) -> QuerySet[Region]:
    """The roots a user's browsing starts from: its scope's regions, or the provinces."""
    scope = scope_for(user, Capability.VIEW_REGIONS)
    if scope.everything:
        return Region.objects.filter(level=Level.PROVINCE)
    return Region.objects.filter(code__in=scope.codes)


def region_for(user, code: str) -> Region:
    """A region the user may see, or 404 (a foreign region looks the same as a missing one)."""
    region = visible_regions(user).select_related("parent").filter(code=code).first()
    if region is None:
        raise Http404(code)
    return region


def children_of(user, region: Region) -> QuerySet[Region]:
    return visible_regions(user).filter(parent=region).order_by("name")


def ancestors_of(region: Region) -> list[Region]:
    """The chain above a region, for breadcrumbs (names of parents are public reference data)."""
    codes = region_codes.ancestor_codes(region.code)
    by_code = Region.objects.in_bulk(codes)
    return [by_code[code] for code in codes if code in by_code]


def search_regions(user, query: str, limit: int = SEARCH_LIMIT) -> QuerySet[Region]:
    key = name_key(query)
    if not key:
        return Region.objects.none()
    return (
        visible_regions(user)
        .filter(name_key__contains=key)
        .select_related("parent")
        .order_by("level", "name_key")[:limit]
    )
