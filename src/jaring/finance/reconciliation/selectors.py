"""Reads of the reconciliation, always region-scoped to the finance role."""

from __future__ import annotations

from django.db.models import Count, Q, Sum
from django.http import Http404

from jaring.accounts.rules import Capability
from jaring.accounts.scoping import scoped
from jaring.finance.reconciliation import rules
from jaring.finance.reconciliation.models import Difference, Statement

PAGE_ROWS = 200
EMPTY = {
    "n": 0,
    "bpjs": 0,
    "ours": 0,
    "open": 0,
}  # the page lists this many per kind; the Excel lists them all


def statements_for(user):
    return scoped(Statement.objects.select_related("source"), user, Capability.MANAGE_FINANCE)


def statement_for(user, pk: int) -> Statement:
    statement = statements_for(user).filter(pk=pk).first()
    if statement is None:
        raise Http404(pk)
    return statement


def difference_for(statement: Statement, pk) -> Difference:
    difference = statement.differences.filter(pk=pk).first() if str(pk).isdigit() else None
    if difference is None:
        raise Http404(pk)
    return difference


def summary(statement: Statement) -> list[dict]:
    """Per kind: how many, the rupiah each side names, how many are still undecided."""
    rows = {
        row["kind"]: row
        for row in statement.differences.values("kind").annotate(
            n=Count("id"),
            bpjs=Sum("bpjs_amount"),
            ours=Sum("ours_amount"),
            open=Count("id", filter=Q(action="")),
        )
    }
    return [{"kind": kind, "label": kind.label, **rows.get(kind, EMPTY)} for kind in rules.Kind]


def differences(statement: Statement, kind: str | None = None):
    rows = statement.differences.select_related("enrolment__worker", "acted_by").order_by(
        "kind", "kpj", "pk"
    )
    if kind in rules.Kind.values:
        rows = rows.filter(kind=kind)
    return rows


def rejected_rows(statement: Statement):
    return statement.lines.exclude(problem="").order_by("row_number")
