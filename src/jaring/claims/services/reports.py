"""The branch's claim report / benefit payment report, imported: each row matched to a claim
(BPJS claim number, else KPJ + event date) and applied through the same services as the BPJS
officer's screen — receipt, decision, payment — row by row, each row all or nothing.

The whole file is one transaction; a row that a service refuses is rolled back to its savepoint
and kept with the reason, so nothing is half-applied. The same file for the same kabupaten is
found again (never applied twice); a later report repeating earlier rows finds them already
recorded (``unchanged``).
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from jaring.accounts.rules import Capability
from jaring.accounts.scoping import require_in, scoped
from jaring.claims.claim_report import ReportRow, Status, read_row, report_schema
from jaring.claims.models import (
    BenefitPayment,
    Claim,
    ClaimReport,
    ClaimReportRow,
    ClaimStatus,
    Instalment,
)
from jaring.claims.services.bpjs import BpjsDecision, Outcome, record_decision, record_receipt
from jaring.claims.services.common import DEATH_EVENTS
from jaring.claims.services.payments import NOT_APPROVED, BankTransfer, record_benefit_payment
from jaring.core import sealed
from jaring.core.crypto import file_sha256
from jaring.core.masking import mask_kpj
from jaring.core.spreadsheets import FileRefused, open_sheet
from jaring.core.text import name_key
from jaring.enrolment.services import branch_format
from jaring.regions.models import Region

Result = ClaimReportRow.Outcome
# Still with the Pemda: a report row can only be the branch's request for more documents.
NOT_YET_SENT = {
    ClaimStatus.POTENTIAL,
    ClaimStatus.REPORTED,
    ClaimStatus.CHECKING,
    ClaimStatus.CHECKED,
    ClaimStatus.DISMISSED,
}


@dataclass(frozen=True)
class ReportImport:
    report: ClaimReport
    created: bool

    def summary(self) -> dict:
        r = self.report
        return {
            "report": r.pk,
            "created": self.created,
            "rows": r.rows,
            "applied": r.applied,
            "unchanged": r.unchanged,
            "unmatched": r.unmatched,
            "invalid": r.invalid,
        }


def reports_dir() -> Path:
    path = Path(settings.MEDIA_ROOT) / "claims" / "bpjs-reports"
    path.mkdir(parents=True, exist_ok=True)
    return path


def import_claim_report(
    path: Path, region: Region, user, file_name: str = "", today: datetime.date | None = None
) -> ReportImport:
    """Apply a branch's claim report for the kabupaten ``region``.

    Raises ``FileRefused`` when the file cannot be read (nothing is recorded); every row that
    cannot be applied is kept with its reason."""
    require_in(user, Capability.RECORD_BPJS_CLAIMS, region.code)
    today = today or timezone.localdate()
    digest = file_sha256(path)
    with transaction.atomic():
        # One import per kabupaten at a time: a concurrent re-import waits, then finds this one.
        Region.objects.select_for_update().get(pk=region.pk)
        existing = ClaimReport.objects.filter(region=region, sha256=digest).first()
        if existing is not None:
            return ReportImport(existing, False)
        branch = branch_format(region.code)
        sheet = open_sheet(path, report_schema(branch.claim_report_columns if branch else []))
        fields = sheet.layout.fields
        if "bpjs_number" not in fields and "kpj" not in fields:
            raise FileRefused(
                "missing_columns",
                "Kolom wajib tidak ditemukan: No Klaim (atau No KPJ). Kolom yang ada: "
                + ", ".join(sheet.layout.headers),
            )
        report = ClaimReport.objects.create(
            region=region,
            file_name=(file_name or path.name)[:255],
            sha256=digest,
            imported_by=user,
        )
        claims = _claims_of(region, user)
        lines = [
            _apply_row(
                report,
                read_row(raw["_row"], {f: raw.get(h) for f, h in fields.items()}, today),
                claims,
                user,
            )
            for chunk in sheet.chunks
            for raw in chunk.iter_rows(named=True)
        ]
        ClaimReportRow.objects.bulk_create(lines)
        kept = reports_dir() / f"laporan-klaim-{report.pk}{path.suffix.lower()}"
        sealed.seal_file(path, kept)  # names, KPJs and account numbers: kept sealed, 0600
        report.file_path = str(kept)
        report.rows = len(lines)
        for outcome in Result.values:
            setattr(report, outcome, sum(1 for line in lines if line.outcome == outcome))
        report.save()
    return ReportImport(report, True)


def _claims_of(region: Region, user):
    claims = Claim.objects.filter(village__code__startswith=f"{region.code}.")
    return claims if user is None else scoped(claims, user, Capability.RECORD_BPJS_CLAIMS)


def _apply_row(report: ClaimReport, row: ReportRow, claims, user) -> ClaimReportRow:
    line = ClaimReportRow(report=report, row_number=row.number, bpjs_claim_number=row.bpjs_number)
    if row.problem:
        line.outcome, line.reason = Result.INVALID, row.problem
        return line
    claim, reason = _claim_for(row, claims)
    if claim is None:
        line.outcome, line.reason = Result.UNMATCHED, reason
        return line
    line.claim = claim
    try:
        with transaction.atomic():  # the row's savepoint: all its steps, or none
            steps = _apply(claim, row, user)
    except ValidationError as exc:
        line.outcome, line.reason = Result.INVALID, " ".join(exc.messages)[:500]
    except PermissionDenied:
        line.outcome, line.reason = Result.INVALID, _("Outside your region.")
    else:
        line.outcome = Result.APPLIED if steps else Result.UNCHANGED
        line.steps = " ".join(steps)
    return line


def _claim_for(row: ReportRow, claims) -> tuple[Claim | None, str]:
    """The claim a row names: by BPJS's claim number, else by KPJ and event date."""
    if row.bpjs_number:
        claim = claims.filter(bpjs_claim_number=row.bpjs_number).first()
        if claim is not None:
            return claim, ""
    if not row.kpj:
        return None, _("No claim with BPJS claim number %(number)s.") % {"number": row.bpjs_number}
    if row.event_date is None:
        return None, _("BPJS claim number unknown here; a KPJ needs the event date to match.")
    claim = (
        claims.filter(enrolment__kpj_number=row.kpj, event_date=row.event_date)
        .order_by("-id")
        .first()
    )
    if claim is None:
        return None, _("No claim for KPJ %(kpj)s with an event on %(day)s.") % {
            "kpj": mask_kpj(row.kpj),
            "day": row.event_date.isoformat(),
        }
    return claim, ""


def _apply(claim: Claim, row: ReportRow, user) -> list[str]:
    """The steps the row records that Jaring does not have yet, in order."""
    steps = []
    if claim.status in NOT_YET_SENT and row.status != Status.MORE_DOCUMENTS:
        raise ValidationError(
            _("The file is not recorded as sent to BPJS in Jaring (status: %(status)s)."),
            code="report_not_sent",
            params={"status": claim.get_status_display()},
        )
    if claim.status == ClaimStatus.SENT and row.status != Status.MORE_DOCUMENTS:
        if row.received_on is None or not row.bpjs_number:
            raise ValidationError(
                _("The file is not received in Jaring yet: give the receipt date and number."),
                code="report_receipt_missing",
            )
        record_receipt(claim, user, row.received_on, row.bpjs_number)
        steps.append("receipt")
    elif row.bpjs_number and claim.bpjs_claim_number not in {"", row.bpjs_number}:
        raise ValidationError(
            _("The claim has BPJS claim number %(ours)s in Jaring."),
            code="report_number_differs",
            params={"ours": claim.bpjs_claim_number},
        )
    claim.refresh_from_db()
    if row.decides:
        steps += _decide(claim, row, user)
        claim.refresh_from_db()
    if row.pays:
        steps += _pay(claim, row, user)
    return steps


def _outcome_of(row: ReportRow) -> str:
    return Outcome.APPROVED if row.status in {Status.APPROVED, Status.PAID} else row.status


def _recorded_outcome(claim: Claim) -> str | None:
    """BPJS's decision as Jaring has it recorded, or None."""
    if claim.status in {ClaimStatus.APPROVED, ClaimStatus.PAID}:
        return Outcome.APPROVED
    if claim.bpjs_decided_on is None:
        return None
    if claim.status == ClaimStatus.REJECTED:
        return Outcome.REFUSED
    return Outcome.MORE_DOCUMENTS


def _decide(claim: Claim, row: ReportRow, user) -> list[str]:
    outcome = _outcome_of(row)
    if claim.status in {ClaimStatus.SENT, ClaimStatus.AT_BPJS}:
        if row.decided_on is None:
            raise ValidationError(
                _("The decision date is missing."), code="report_decision_date_missing"
            )
        record_decision(claim, user, BpjsDecision(outcome, row.decided_on, row.reason, row.amounts))
        return ["decision"]
    recorded = _recorded_outcome(claim)
    if recorded == outcome:
        return []
    raise ValidationError(
        _("The report's decision differs from the claim's status in Jaring: %(status)s."),
        code="report_decision_differs",
        params={"status": claim.get_status_display()},
    )


def _pay(claim: Claim, row: ReportRow, user) -> list[str]:
    if row.paid_on is None or row.paid_amount is None or not row.reference:
        raise ValidationError(
            _("A paid row needs the payment date, the amount and the transfer reference."),
            code="report_payment_incomplete",
        )
    if BenefitPayment.objects.filter(
        instalment__claim=claim, reference=row.reference.strip()
    ).exists():
        return []
    instalment = claim.instalments.filter(kind=Instalment.Kind.CASH).first()
    if instalment is None:
        raise ValidationError(NOT_APPROVED, code="claim_not_approved")
    transfer = BankTransfer(
        row.paid_amount,
        row.paid_on,
        row.bank,
        row.account_number,
        row.account_holder,
        row.reference,
    )
    record_benefit_payment(instalment, _recipient(claim, row), transfer, user)
    return ["payment"]


def _recipient(claim: Claim, row: ReportRow):
    """Whom BPJS paid: the participant, the only heir, or the heir holding the account."""
    if claim.event not in DEATH_EVENTS:
        return None
    heirs = list(claim.family.filter(is_heir=True))
    if len(heirs) == 1:
        return heirs[0]
    holder = name_key(row.account_holder)
    named = [heir for heir in heirs if holder and name_key(heir.full_name) == holder]
    if len(named) != 1:
        raise ValidationError(
            _("Several heirs: the account holder must be named as one of them."),
            code="report_recipient_unknown",
        )
    return named[0]
