"""Instalments, benefit payments to the heir's account, and the public handover."""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from jaring.accounts.rules import Capability
from jaring.accounts.scoping import require_in
from jaring.claims import rules
from jaring.claims.models import (
    BenefitPayment,
    Claim,
    ClaimStatus,
    FamilyMember,
    Handover,
    Instalment,
)
from jaring.claims.services.common import DEATH_EVENTS, PHOTO, store_upload
from jaring.core import crypto
from jaring.core.events import Change, region_changed


def create_instalments(claim: Claim, today: datetime.date) -> None:
    """What BPJS is to pay once it approved: the cash benefit as BPJS computed it. The
    scholarship is not scheduled here: BPJS pays it year by year on application (scholarship)."""
    if claim.bpjs_total:
        Instalment.objects.create(
            claim=claim, kind=Instalment.Kind.CASH, due_on=today, amount=claim.bpjs_total
        )


NOT_APPROVED = _("BPJS has not approved the claim yet.")


# --- Payment and handover --------------------------------------------------------------------


def _check_recipient(claim: Claim, recipient: FamilyMember | None) -> None:
    """Death benefits go to an heir; other benefits to the participant (``None``)."""
    if claim.event in DEATH_EVENTS:
        if recipient is None or recipient.claim_id != claim.pk or not recipient.is_heir:
            raise ValidationError(
                _("The recipient must be an heir of this claim."), code="recipient_not_heir"
            )
    elif recipient is not None:
        raise ValidationError(
            _("This benefit is paid to the participant."), code="recipient_not_participant"
        )


@dataclass(frozen=True)
class BankTransfer:
    amount: int
    paid_on: datetime.date
    bank: str
    account_number: str
    account_holder: str
    reference: str


@transaction.atomic
def record_benefit_payment(
    instalment: Instalment, recipient: FamilyMember | None, transfer: BankTransfer, user
) -> BenefitPayment:
    """BPJS's payment to the heir's account, recorded by the BPJS officer (date and reference).
    The instalment's paid total is raised by one guarded UPDATE, so two payments at once cannot
    exceed what is due."""
    claim = Claim.objects.get(pk=instalment.claim_id)
    require_in(user, Capability.RECORD_BPJS_CLAIMS, claim.village_id)
    if claim.status not in {ClaimStatus.APPROVED, ClaimStatus.PAID}:
        raise ValidationError(NOT_APPROVED, code="claim_not_approved")
    _check_recipient(claim, recipient)
    amount = transfer.amount
    if isinstance(amount, bool) or not isinstance(amount, int) or amount <= 0:
        raise ValidationError(
            _("The payment must be whole rupiah above zero."), code="payment_amount_invalid"
        )
    if transfer.paid_on > timezone.localdate():
        raise ValidationError(
            _("The payment date cannot be in the future."), code="payment_date_future"
        )
    if claim.bpjs_decided_on and transfer.paid_on < claim.bpjs_decided_on:
        raise ValidationError(
            _("BPJS cannot pay before its decision."), code="payment_before_decision"
        )
    account, problem = rules.normalise_account_number(transfer.account_number)
    if problem:
        raise ValidationError(
            _("The account number must be 6–20 digits."), code="account_number_invalid"
        )
    if not transfer.reference.strip() or not transfer.bank.strip():
        raise ValidationError(
            _("The bank and the transfer reference are required."), code="transfer_incomplete"
        )
    raised = Instalment.objects.filter(
        pk=instalment.pk, paid_amount__lte=F("amount") - amount
    ).update(paid_amount=F("paid_amount") + amount)
    if raised != 1:
        raise ValidationError(
            _("The payment exceeds what remains to be paid."), code="payment_exceeds_balance"
        )
    try:
        with transaction.atomic():
            payment = BenefitPayment.objects.create(
                instalment=instalment,
                recipient=recipient,
                amount=amount,
                paid_on=transfer.paid_on,
                bank=transfer.bank.strip(),
                account_cipher=crypto.encrypt_personal(account),
                account_hint=account[-4:],
                account_holder=transfer.account_holder.strip(),
                reference=transfer.reference.strip(),
                recorded_by=user,
            )
    except IntegrityError as exc:
        raise ValidationError(
            _("This transfer reference is already recorded."), code="payment_duplicate"
        ) from exc
    instalment.refresh_from_db()
    if instalment.kind == Instalment.Kind.CASH and instalment.outstanding == 0:
        Claim.objects.filter(pk=claim.pk, status=ClaimStatus.APPROVED).update(
            status=ClaimStatus.PAID, paid_on=transfer.paid_on
        )
        claim.refresh_from_db()
        claim._history_user, claim._change_reason = user, f"Dibayar {payment.reference}"
        claim.save(update_fields=["status"])
        region_changed(claim.village_id, Change.CLAIMS)
    return payment


@dataclass(frozen=True)
class HandoverFacts:
    held_on: datetime.date
    place: str
    city: str
    handed_by_name: str
    handed_by_title: str
    bpjs_name: str
    bpjs_title: str
    witness_name: str = ""
    witness_title: str = ""


@transaction.atomic
def record_handover(
    claim: Claim, recipient: FamilyMember | None, facts: HandoverFacts, user, photo=None
) -> Handover:
    """The public handover of a paid benefit: its berita acara's facts, recorded or corrected
    until it is signed (one per claim)."""
    claim = Claim.objects.get(pk=claim.pk)
    require_in(user, Capability.PREPARE_CLAIMS, claim.village_id)
    if claim.status != ClaimStatus.PAID:
        raise ValidationError(
            _("The handover is recorded after BPJS paid the benefit."), code="claim_not_paid"
        )
    _check_recipient(claim, recipient)
    handover = Handover.objects.select_for_update().filter(claim=claim).first()
    if handover is not None and handover.is_signed:
        raise ValidationError(
            _("The berita acara is signed; it can no longer change."), code="handover_signed"
        )
    handover = handover or Handover(claim=claim, number=f"BA/{claim.number}", recorded_by=user)
    if photo is not None:
        handover.photo = str(store_upload(claim, photo, PHOTO, prefix="serah-terima-").path)
    handover.held_on = facts.held_on
    handover.recipient = recipient
    handover.amount = claim.bpjs_total
    for name in (
        "place",
        "city",
        "handed_by_name",
        "handed_by_title",
        "bpjs_name",
        "bpjs_title",
        "witness_name",
        "witness_title",
    ):
        setattr(handover, name, getattr(facts, name).strip())
    handover.save()
    return handover


@transaction.atomic
def sign_handover(claim: Claim, user) -> Handover:
    """The berita acara was signed: freeze it with every fact it prints (the snapshot), so a
    later change of the worker, the heir or the claim does not change the signed record."""
    from jaring.claims.exports import handover_record

    claim = Claim.objects.get(pk=claim.pk)
    require_in(user, Capability.PREPARE_CLAIMS, claim.village_id)
    handover = Handover.objects.select_for_update().filter(claim=claim).first()
    if handover is None:
        raise ValidationError(_("Record the handover first."), code="handover_missing")
    if handover.is_signed:
        raise ValidationError(_("The berita acara is already signed."), code="handover_signed")
    handover.snapshot = handover_record(claim, handover)
    handover.signed_at, handover.signed_by = timezone.now(), user
    handover.save(update_fields=["snapshot", "signed_at", "signed_by"])
    return handover
