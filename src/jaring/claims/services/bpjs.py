"""The file at BPJS: sent by the Pemda, received by the branch, decided and paid by BPJS.

The Pemda records how and when it carried the checked file to the branch; the BPJS officer (or,
later, an import of the branch's claim report) records the receipt of the complete file — the
start of BPJS's service level — the BPJS claim number, the decision with its reason and the
amounts per component as BPJS computed them. Jaring's own computation stays on the claim as the
expected amount; ``Claim.amount_difference`` flags a difference for follow-up.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from jaring.accounts.rules import Capability
from jaring.accounts.scoping import require_in, require_one_of_in
from jaring.claims.models import Claim, ClaimStatus, SentVia
from jaring.claims.services.decisions import require_note, transition
from jaring.claims.services.payments import create_instalments

# Who carries the checked file to the branch: the officer who prepared it or the checker.
PEMDA_CLAIMS = (Capability.PREPARE_CLAIMS, Capability.APPROVE_CLAIMS)


class Outcome:
    APPROVED = "approved"
    REFUSED = "refused"
    MORE_DOCUMENTS = "more_documents"
    ALL = (APPROVED, REFUSED, MORE_DOCUMENTS)


@dataclass(frozen=True)
class BpjsDecision:
    outcome: str
    decided_on: datetime.date
    reason: str = ""
    # Per component code, the amount BPJS computed (approved only).
    amounts: dict[str, int] = field(default_factory=dict)


def _not_future(day: datetime.date, code: str) -> None:
    if day > timezone.localdate():
        raise ValidationError(_("The date cannot be in the future."), code=code)


@transaction.atomic
def record_sending(claim: Claim, user, sent_on: datetime.date, via: str) -> None:
    """The checked file is submitted to the branch: when, how and by whom."""
    require_one_of_in(user, PEMDA_CLAIMS, claim.village_id)
    if via not in SentVia.values:
        raise ValidationError(_("Choose how the file was sent."), code="sent_via_unknown")
    _not_future(sent_on, "sent_on_future")
    if sent_on < claim.reported_on:
        raise ValidationError(
            _("The file cannot be sent before the claim was reported."),
            code="sent_before_report",
        )
    transition(
        claim,
        ClaimStatus.CHECKED,
        ClaimStatus.SENT,
        user,
        "Dikirim ke BPJS",
        sent_on=sent_on,
        sent_via=via,
        sent_by=user,
    )


@transaction.atomic
def record_receipt(claim: Claim, user, received_on: datetime.date, bpjs_number: str) -> None:
    """BPJS received the complete file (its service level starts) under its claim number."""
    require_in(user, Capability.RECORD_BPJS_CLAIMS, claim.village_id)
    claim = Claim.objects.get(pk=claim.pk)
    _not_future(received_on, "received_on_future")
    if claim.sent_on and received_on < claim.sent_on:
        raise ValidationError(
            _("BPJS cannot receive the file before the Pemda sent it."),
            code="received_before_sent",
        )
    if not bpjs_number.strip():
        raise ValidationError(_("Write BPJS's claim number."), code="bpjs_number_missing")
    try:
        with transaction.atomic():
            transition(
                claim,
                ClaimStatus.SENT,
                ClaimStatus.AT_BPJS,
                user,
                f"Diterima BPJS {bpjs_number.strip()}",
                bpjs_received_on=received_on,
                bpjs_claim_number=bpjs_number.strip(),
                bpjs_received_by=user,
            )
    except IntegrityError as exc:
        raise ValidationError(
            _("This BPJS claim number is already recorded on another claim."),
            code="bpjs_number_duplicate",
        ) from exc


@transaction.atomic
def record_decision(claim: Claim, user, decision: BpjsDecision) -> None:
    """BPJS's decision: approved with its amounts (the payment follows), refused with its reason,
    or more documents needed — the file goes back to the Pemda, and a new receipt restarts the
    service level once it is complete."""
    require_in(user, Capability.RECORD_BPJS_CLAIMS, claim.village_id)
    claim = Claim.objects.get(pk=claim.pk)
    if decision.outcome not in Outcome.ALL:
        raise ValidationError(_("Unknown decision."), code="bpjs_outcome_unknown")
    _not_future(decision.decided_on, "decided_on_future")
    if decision.outcome == Outcome.MORE_DOCUMENTS:
        require_note(decision.reason)
        transition(
            claim,
            (ClaimStatus.SENT, ClaimStatus.AT_BPJS),
            ClaimStatus.REPORTED,
            user,
            f"BPJS meminta dokumen tambahan: {decision.reason.strip()}",
            bpjs_reason=decision.reason.strip(),
            bpjs_decided_on=decision.decided_on,
            bpjs_decided_by=user,
            bpjs_received_on=None,
            bpjs_received_by=None,
            sent_on=None,
            sent_via="",
            sent_by=None,
            submitted_by=None,
            submitted_at=None,
            decided_by=None,
            decided_at=None,
        )
        return
    if claim.bpjs_received_on and decision.decided_on < claim.bpjs_received_on:
        raise ValidationError(
            _("BPJS cannot decide before it received the file."), code="decided_before_received"
        )
    if decision.outcome == Outcome.REFUSED:
        require_note(decision.reason)
        transition(
            claim,
            ClaimStatus.AT_BPJS,
            ClaimStatus.REJECTED,
            user,
            f"Ditolak BPJS: {decision.reason.strip()}",
            bpjs_reason=decision.reason.strip(),
            bpjs_decided_on=decision.decided_on,
            bpjs_decided_by=user,
        )
        return
    components = _bpjs_components(claim, decision.amounts)
    total = sum(c["amount"] for c in components)
    if total <= 0:
        raise ValidationError(
            _("Enter the amounts BPJS approved (whole rupiah)."), code="bpjs_amount_missing"
        )
    transition(
        claim,
        ClaimStatus.AT_BPJS,
        ClaimStatus.APPROVED,
        user,
        "Disetujui BPJS",
        bpjs_reason=decision.reason.strip(),
        bpjs_decided_on=decision.decided_on,
        bpjs_decided_by=user,
        bpjs_components=components,
        bpjs_total=total,
    )
    create_instalments(Claim.objects.get(pk=claim.pk), decision.decided_on)


def _bpjs_components(claim: Claim, amounts: dict[str, int]) -> list[dict]:
    """BPJS's amounts for the components Jaring expects (a missing one is zero)."""
    expected = [c["code"] for c in claim.components]
    unknown = set(amounts) - set(expected)
    if unknown:
        raise ValidationError(
            _("Unknown benefit component: %(codes)s."),
            code="bpjs_component_unknown",
            params={"codes": ", ".join(sorted(unknown))},
        )
    rows = []
    for code in expected:
        amount = amounts.get(code, 0)
        if isinstance(amount, bool) or not isinstance(amount, int) or amount < 0:
            raise ValidationError(
                _("Amounts are whole rupiah, zero or more."), code="bpjs_amount_invalid"
            )
        rows.append({"code": code, "amount": amount})
    return rows
