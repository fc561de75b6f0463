"""Reads of reference data: the screens' scoped lists, and what a printed document needs."""

from __future__ import annotations

from django.db.models import Q, QuerySet

from jaring.accounts.rules import Capability
from jaring.accounts.scoping import scope_for, scoped
from jaring.core.region_codes import ancestor_codes, level_of
from jaring.reference.models import Letterhead, Plkk, Signatory
from jaring.regions.models import Level, Region


def editable(queryset: QuerySet, user) -> QuerySet:
    """The rows of a regional reference model that ``user`` may see and edit."""
    return scoped(queryset, user, Capability.MANAGE_REFERENCE)


def regions_for_editing(user, levels=(Level.PROVINCE, Level.REGENCY)) -> QuerySet:
    """The regions ``user`` may attach reference rows to, at the given levels."""
    scope = scope_for(user, Capability.MANAGE_REFERENCE)
    return Region.objects.filter(level__in=levels).filter(scope.q("code")).order_by("code")


def _up(region_code: str) -> list[str]:
    """``region_code`` and the codes of the regions above it, nearest first."""
    return [region_code, *reversed(ancestor_codes(region_code))]


def letterhead_for(region_code: str) -> Letterhead | None:
    """The letterhead for a document about ``region_code``: its own, else the nearest above."""
    codes = _up(region_code)
    found = {lh.region_id: lh for lh in Letterhead.objects.filter(region_id__in=codes)}
    return next((found[c] for c in codes if c in found), None)


def signatory_for(region_code: str, purpose: str) -> Signatory | None:
    """Who signs a ``purpose`` document about ``region_code`` (nearest region up that has one)."""
    codes = _up(region_code)
    found = {s.region_id: s for s in Signatory.objects.filter(region_id__in=codes, purpose=purpose)}
    return next((found[c] for c in codes if c in found), None)


def plkk_near(region_code: str) -> list[Plkk]:
    """The active PLKK of the kabupaten/kota of ``region_code`` (a village, a district...)."""
    regency = _up(region_code)[-2] if level_of(region_code) > Level.PROVINCE else region_code
    return list(
        Plkk.objects.filter(active=True)
        .filter(Q(region__code=regency) | Q(region__code__startswith=regency + "."))
        .select_related("region")
        .order_by("name")
    )


def document_heading(region_code: str, purpose: str) -> dict:
    """What a printed document about ``region_code`` needs: its ``letterhead`` and the
    ``signatory`` for ``purpose`` (a ``Signatory.Purpose``), each None when not recorded."""
    return {
        "letterhead": letterhead_for(region_code),
        "signatory": signatory_for(region_code, purpose),
    }
