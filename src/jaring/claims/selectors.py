"""Reads of claims, always scoped to the user's region through accounts.scoping."""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.core.exceptions import PermissionDenied
from django.db.models import Count, Q, QuerySet, Sum
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from jaring.accounts.models import PersonalDataAccess
from jaring.accounts.rules import Capability
from jaring.accounts.scoping import scope_for, scoped
from jaring.accounts.services import log_personal_access
from jaring.claims import rules, services
from jaring.claims.models import (
    BenefitPayment,
    Claim,
    ClaimDocument,
    ClaimStatus,
    DeathList,
    DeathRecord,
)
from jaring.claims.participants import makers_of
from jaring.programs.rulebook import default_rulebook
from jaring.programs.rules import Program


def claims_for(user) -> QuerySet[Claim]:
    return scoped(
        Claim.objects.select_related("worker", "village__parent"), user, Capability.VIEW_REGISTRY
    )


def claim_for(user, pk: int) -> Claim:
    claim = claims_for(user).filter(pk=pk).first()
    if claim is None:
        raise Http404(pk)
    return claim


def may_prepare(user, claim: Claim) -> bool:
    return scope_for(user, Capability.PREPARE_CLAIMS).contains(claim.village_id)


def may_approve(user, claim: Claim) -> bool:
    return scope_for(user, Capability.APPROVE_CLAIMS).contains(claim.village_id)


def may_approve_now(user, claim: Claim) -> bool:
    """The approve button: a checker of the region who made no part of this submitted claim."""
    return (
        claim.status == ClaimStatus.SUBMITTED
        and may_approve(user, claim)
        and user.pk not in makers_of(claim)
    )


def next_step(claim: Claim) -> str:
    """Who acts next on the claim, and how: "Berikutnya: …" on its page."""
    if claim.status == ClaimStatus.SUBMITTED:
        return _(
            "a claims supervisor or BPJS officer who did not prepare this claim approves, "
            "returns or rejects it"
        )
    if claim.status == ClaimStatus.REPORTED:
        return _reported_step(claim)
    return {
        ClaimStatus.POTENTIAL: _("the claims officer opens the claim or dismisses it"),
        ClaimStatus.APPROVED: _("the claims officer records the payment to the heirs"),
        ClaimStatus.PAID: ""
        if hasattr(claim, "handover")
        else _("the claims officer records the handover"),
    }.get(claim.status, "")


def _reported_step(claim: Claim) -> str:
    unchecked = claim.documents.filter(verified_at__isnull=True).exists()
    if unchecked:
        return _("an officer other than the uploader checks the documents")
    if services.submission_problems(claim):
        return _("the claims officer completes the claim")
    return _("the claims officer submits the claim for approval")


def may_see_personal_data(user, claim: Claim) -> bool:
    return scope_for(user, Capability.VIEW_PERSONAL_DATA).contains(claim.village_id)


def family_of(user, claim: Claim, request=None) -> list:
    """The family of a claim (names, NIK hints): for personal-data roles only, and logged."""
    if not may_see_personal_data(user, claim):
        raise PermissionDenied
    log_personal_access(
        user,
        PersonalDataAccess.Action.VIEW_LIST,
        "claim_family",
        claim.pk,
        claim.village_id,
        request=request,
    )
    return list(claim.family.all())


def document_for(user, pk: int) -> ClaimDocument:
    """A document only for users who may see the claim's personal data."""
    document = ClaimDocument.objects.select_related("claim").filter(pk=pk).first()
    if document is None or not may_see_personal_data(user, document.claim):
        raise Http404(pk)
    return document


@dataclass(frozen=True)
class ChecklistItem:
    kind: str
    required: bool
    documents: list[ClaimDocument]

    @property
    def verified(self) -> bool:
        return any(d.verified_at for d in self.documents)


def checklist(claim: Claim) -> list[ChecklistItem]:
    """Required documents in order, then anything else uploaded."""
    required = services.required_documents(claim)
    documents = list(claim.documents.select_related("uploaded_by", "verified_by"))
    kinds = required + sorted({d.kind for d in documents} - set(required))
    return [
        ChecklistItem(kind, kind in required, [d for d in documents if d.kind == kind])
        for kind in kinds
    ]


def service_level_of(claim: Claim, today: datetime.date | None = None) -> rules.ServiceLevel:
    return rules.service_level(
        default_rulebook(),
        Program(claim.program),
        claim.documents_complete_on,
        claim.paid_on,
        today or timezone.localdate(),
        claim.benefit_total,
    )


def with_service_levels(claims, today: datetime.date | None = None) -> list[tuple]:
    today = today or timezone.localdate()
    return [(claim, service_level_of(claim, today)) for claim in claims]


def overdue(claims: QuerySet[Claim], today: datetime.date | None = None) -> QuerySet[Claim]:
    """Unpaid claims past their payment deadline, filtered in SQL."""
    today = today or timezone.localdate()
    book = default_rulebook()
    late = Q(pk__in=[])
    for program in (Program.JKM, Program.JKK):
        cutoff = rules.latest_overdue_completion(book, program, today)
        late |= Q(program=program.value, documents_complete_on__lte=cutoff)
    return claims.filter(late, paid_on__isnull=True).exclude(
        status__in=[ClaimStatus.REJECTED, ClaimStatus.DISMISSED]
    )


def discovery_counts(user) -> dict:
    """How many potential claims death lists found, and what became of them."""
    found = claims_for(user).filter(reported_by=Claim.Reporter.DEATH_LIST)
    return found.aggregate(
        found=Count("id"),
        waiting=Count("id", filter=Q(status=ClaimStatus.POTENTIAL)),
        opened=Count("id", filter=~Q(status__in=[ClaimStatus.POTENTIAL, ClaimStatus.DISMISSED])),
        paid=Count("id", filter=Q(status=ClaimStatus.PAID)),
        dismissed=Count("id", filter=Q(status=ClaimStatus.DISMISSED)),
    )


def status_counts(user) -> dict[str, int]:
    rows = claims_for(user).values("status").annotate(n=Count("id"))
    return {row["status"]: row["n"] for row in rows}


def paid_total(user) -> int:
    return (
        claims_for(user)
        .filter(status=ClaimStatus.PAID)
        .aggregate(total=Sum("benefit_total"))["total"]
        or 0
    )


def death_lists_for(user) -> QuerySet[DeathList]:
    return scoped(
        DeathList.objects.select_related("region", "created_by"), user, Capability.PREPARE_CLAIMS
    )


def death_list_for(user, pk: int) -> DeathList:
    death_list = death_lists_for(user).filter(pk=pk).first()
    if death_list is None:
        raise Http404(pk)
    return death_list


def death_records(death_list: DeathList) -> QuerySet[DeathRecord]:
    return death_list.records.select_related("worker__village", "claim")


def payments_of(claim: Claim) -> list[BenefitPayment]:
    return list(
        BenefitPayment.objects.filter(instalment__claim=claim).select_related(
            "instalment", "recipient", "recorded_by"
        )
    )
