"""Reads of claims, always scoped to the user's region through accounts.scoping."""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.core.exceptions import PermissionDenied
from django.db.models import Count, F, Q, QuerySet, Sum
from django.http import Http404
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from jaring.accounts.models import PersonalDataAccess
from jaring.accounts.rules import Capability
from jaring.accounts.scoping import scope_for, scoped
from jaring.accounts.services import log_personal_access
from jaring.accounts.signals import ReadObject
from jaring.claims import rules, services
from jaring.claims.models import (
    AccidentReport,
    BenefitPayment,
    Claim,
    ClaimDocument,
    ClaimReport,
    ClaimStatus,
    DeathList,
    DeathRecord,
    DisabilityAssessment,
    IncapacityPeriod,
    ReturnToWork,
    SuspectedAccident,
    Treatment,
)
from jaring.claims.participants import makers_of
from jaring.core import crypto
from jaring.core.masking import mask_name
from jaring.programs import rules as program_rules
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


def may_record_bpjs(user, claim: Claim) -> bool:
    return scope_for(user, Capability.RECORD_BPJS_CLAIMS).contains(claim.village_id)


def may_approve_now(user, claim: Claim) -> bool:
    """The check button: a Pemda checker of the region who made no part of this claim."""
    return (
        claim.status == ClaimStatus.CHECKING
        and may_approve(user, claim)
        and user.pk not in makers_of(claim)
    )


def next_step(claim: Claim) -> str:
    """Who acts next on the claim, and how: "Berikutnya: …" on its page."""
    if claim.status == ClaimStatus.REPORTED:
        return _reported_step(claim)
    return {
        ClaimStatus.POTENTIAL: _("the claims officer opens the claim or dismisses it"),
        ClaimStatus.CHECKING: _(
            "a claims supervisor who did not prepare this claim checks the file, or returns it"
        ),
        ClaimStatus.CHECKED: _(
            "the claims officer takes the file with its cover letter to the BPJS branch and "
            "records when and how it was sent"
        ),
        ClaimStatus.SENT: _(
            "the BPJS officer records the receipt of the complete file and BPJS's claim number, "
            "or asks for more documents"
        ),
        ClaimStatus.AT_BPJS: _(
            "BPJS decides: approves with its amounts, refuses, or asks for more documents"
        ),
        ClaimStatus.APPROVED: _("BPJS pays the heir's account; the BPJS officer records it"),
        ClaimStatus.PAID: _handover_step(claim),
    }.get(claim.status, "")


def _handover_step(claim: Claim) -> str:
    handover = getattr(claim, "handover", None)
    if handover is None:
        return _("the claims officer records the handover")
    if not handover.is_signed:
        return _("the claims officer records that the berita acara was signed")
    return ""


def _reported_step(claim: Claim) -> str:
    unchecked = claim.documents.filter(verified_at__isnull=True).exists()
    if unchecked:
        return _("an officer other than the uploader checks the documents")
    if services.submission_problems(claim):
        return _("the claims officer completes the claim")
    return _("the claims officer puts the file forward for the Pemda's check")


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
    kinds = required + sorted({k for d in documents for k in d.kinds} - set(required))
    return [
        ChecklistItem(kind, kind in required, [d for d in documents if kind in d.kinds])
        for kind in kinds
    ]


def service_level_of(claim: Claim, today: datetime.date | None = None) -> rules.ServiceLevel:
    """BPJS's service level, from its receipt of the complete file; the late compensation on
    BPJS's amount once decided, else on the expected one."""
    return rules.service_level(
        default_rulebook(),
        Program(claim.program),
        claim.bpjs_received_on,
        claim.paid_on,
        today or timezone.localdate(),
        claim.benefit_total if claim.bpjs_total is None else claim.bpjs_total,
    )


def with_service_levels(claims, today: datetime.date | None = None) -> list[tuple]:
    today = today or timezone.localdate()
    return [(claim, service_level_of(claim, today)) for claim in claims]


def overdue(claims: QuerySet[Claim], today: datetime.date | None = None) -> QuerySet[Claim]:
    """Files BPJS received and has not paid past its deadline, filtered in SQL."""
    today = today or timezone.localdate()
    book = default_rulebook()
    late = Q(pk__in=[])
    for program in (Program.JKM, Program.JKK):
        cutoff = rules.latest_overdue_receipt(book, program, today)
        late |= Q(program=program.value, bpjs_received_on__lte=cutoff)
    return claims.filter(
        late, paid_on__isnull=True, status__in=[ClaimStatus.AT_BPJS, ClaimStatus.APPROVED]
    )


def amount_differences(claims: QuerySet[Claim]) -> QuerySet[Claim]:
    """Claims where BPJS's cash benefit differs from Jaring's expected one: to follow up."""
    return claims.filter(bpjs_total__isnull=False).exclude(bpjs_total=F("benefit_total"))


def waiting_potential(claims: QuerySet[Claim]) -> QuerySet[Claim]:
    """Potential claims from death lists no officer has opened or dismissed yet."""
    return claims.filter(status=ClaimStatus.POTENTIAL)


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
        claims_for(user).filter(status=ClaimStatus.PAID).aggregate(total=Sum("bpjs_total"))["total"]
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


def claim_reports_for(user) -> QuerySet[ClaimReport]:
    return scoped(
        ClaimReport.objects.select_related("region", "imported_by"),
        user,
        Capability.RECORD_BPJS_CLAIMS,
    )


def claim_report_for(user, pk: int) -> ClaimReport:
    report = claim_reports_for(user).filter(pk=pk).first()
    if report is None:
        raise Http404(pk)
    return report


def death_records(death_list: DeathList) -> QuerySet[DeathRecord]:
    return death_list.records.select_related("worker__village", "claim")


def payments_of(claim: Claim) -> list[BenefitPayment]:
    return list(
        BenefitPayment.objects.filter(instalment__claim=claim).select_related(
            "instalment", "recipient", "recorded_by"
        )
    )


# --- The JKK path ---------------------------------------------------------------------------


@dataclass(frozen=True)
class JkkPath:
    """Everything the claim page shows of a work accident's path, with its deadlines."""

    stage_one: AccidentReport | None
    stage_one_deadline: rules.Deadline | None
    stage_two: AccidentReport | None
    treatments: list[Treatment]
    periods: list[IncapacityPeriod]
    expected_total: int
    paid_total: int
    return_to_work: ReturnToWork | None
    assessment: DisabilityAssessment | None
    suspicion: SuspectedAccident | None
    ruling_deadline: rules.Deadline | None
    claim_deadline: datetime.date | None
    claim_deadline_ref: str
    claim_deadline_passed: bool


def jkk_path(claim: Claim, today: datetime.date | None = None) -> JkkPath:
    """The JKK path of ``claim`` (a claim the caller already found through ``claim_for``)."""
    today = today or timezone.localdate()
    book = default_rulebook()
    reports = {r.stage: r for r in claim.accident_reports.select_related("recorded_by")}
    stage_one = reports.get(AccidentReport.Stage.FIRST)
    periods = list(claim.incapacity_periods.select_related("recorded_by", "paid_recorded_by"))
    suspicion = SuspectedAccident.objects.filter(claim=claim).first()
    deadline, deadline_ref = program_rules.claim_deadline(book, Program.JKK, claim.event_date)
    return JkkPath(
        stage_one=stage_one,
        stage_one_deadline=rules.stage_one_deadline(book, stage_one.accident_at, stage_one.made_at)
        if stage_one
        else None,
        stage_two=reports.get(AccidentReport.Stage.SECOND),
        treatments=list(claim.treatments.select_related("plkk", "recorded_by")),
        periods=periods,
        expected_total=sum(p.expected_amount for p in periods),
        paid_total=sum(p.bpjs_paid_amount or 0 for p in periods),
        return_to_work=ReturnToWork.objects.filter(claim=claim).first(),
        assessment=DisabilityAssessment.objects.filter(claim=claim).first(),
        suspicion=suspicion,
        ruling_deadline=rules.ruling_deadline(
            book, suspicion.notified_on, suspicion.ruled_on, today
        )
        if suspicion
        else None,
        claim_deadline=deadline,
        claim_deadline_ref=deadline_ref,
        # The file must reach BPJS by the deadline: past it, an unsent claim has lapsed.
        claim_deadline_passed=bool(deadline) and claim.sent_on is None and today > deadline,
    )


def scholarship_panel(claim: Claim) -> dict:
    """The scholarship year by year: each granted child with its projection from its current
    class, the years applied for and BPJS's payments, and the claim's totals against the cap."""
    granted = claim.scholarship.get("children", []) if claim.scholarship.get("eligible") else []
    members = {member.pk: member for member in claim.family.all()}
    years = list(claim.scholarship_years.select_related("child"))
    children = [
        {
            "member": members.get(entry["member_id"]),
            "entry": entry,
            "years": [year for year in years if year.child_id == entry["member_id"]],
        }
        for entry in granted
    ]
    return {
        "children": children,
        "granted_total": sum(year.amount for year in years),
        "paid_total": sum(year.paid_amount or 0 for year in years),
        "unpaid": [year for year in years if not year.is_paid],
    }


@dataclass(frozen=True)
class HistoryGroup:
    """Consecutive history rows of the same kind (who, status, why), newest first: shown as one
    line ("3 × Dokumen diunggah") that expands to each time."""

    rows: list

    @property
    def latest(self):
        return self.rows[0]

    @property
    def count(self) -> int:
        return len(self.rows)


def group_repeats(rows, key) -> list[HistoryGroup]:
    groups: list[list] = []
    for row in rows:
        if groups and key(groups[-1][0]) == key(row):
            groups[-1].append(row)
        else:
            groups.append([row])
    return [HistoryGroup(rows) for rows in groups]


def history_of(claim: Claim, limit: int = 200) -> list[HistoryGroup]:
    """The claim's history, newest first, repeated events grouped."""
    rows = claim.history.select_related("history_user").order_by("-history_date", "-history_id")
    return group_repeats(
        rows[:limit], lambda h: (h.history_user_id, h.status, h.history_change_reason or "")
    )


def read_claims(viewer, keys, **_):
    """The access log asks whose data its claim and claim-document rows read."""
    wanted = {kind: set() for kind in ("claim", "claim_document")}
    for kind, pk in keys:
        if kind in wanted and pk.isdigit():
            wanted[kind].add(int(pk))
    documents = dict(
        ClaimDocument.objects.filter(pk__in=wanted["claim_document"]).values_list("pk", "claim_id")
    )
    claims = Claim.objects.filter(pk__in=wanted["claim"] | set(documents.values()))
    personal = scope_for(viewer, Capability.VIEW_PERSONAL_DATA)
    about = {}
    for claim in claims.select_related("worker").only("pk", "village_id", "worker__full_name"):
        name = claim.worker.full_name
        about[claim.pk] = ReadObject(
            name if personal.contains(claim.village_id) else mask_name(name),
            reverse("claims:detail", args=[claim.pk]),
            claim.worker_id,
        )
    found = {("claim", str(pk)): about[pk] for pk in wanted["claim"] if pk in about}
    found.update({("claim_document", str(pk)): about[claim] for pk, claim in documents.items()})
    return found


def claims_named(workers=None, claim: str = "", nik: str = "", user=None, **_):
    """The access log's filter: the claims (and their documents) of these workers, of the worker
    with this NIK (its blind index), or with this claim number."""
    claims = Claim.objects.none()
    if nik:
        claims = Claim.objects.filter(worker__nik_index=crypto.nik_index(nik))
    elif workers:
        claims = Claim.objects.filter(worker_id__in=workers)
    elif claim:
        claims = Claim.objects.filter(number=claim.strip())
    else:
        return []
    if user is not None:
        claims = scoped(claims, user, Capability.VIEW_AUDIT_LOG)
    ids = list(claims.values_list("pk", flat=True))
    documents = list(ClaimDocument.objects.filter(claim_id__in=ids).values_list("pk", flat=True))
    return [("claim", ids), ("claim_document", documents)]
