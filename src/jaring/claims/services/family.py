"""The family and the heirs (ahli waris) of a claim, and justified exceptions to the legal order."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext_lazy as _

from jaring.accounts.rules import Capability
from jaring.accounts.scoping import require_in
from jaring.claims.models import (
    Claim,
    FamilyMember,
)
from jaring.claims.services.common import require_editable
from jaring.claims.services.judging import judge
from jaring.core import crypto
from jaring.core.masking import nik_hint
from jaring.programs.rules import Relationship
from jaring.registry import rules as registry_rules


@transaction.atomic
def add_family_member(claim: Claim, user, nik: str = "", **fields) -> FamilyMember:
    """Record a family member (a possible heir); the rules then pick the heirs again."""
    require_in(user, Capability.PREPARE_CLAIMS, claim.village_id)
    claim = Claim.objects.select_for_update().get(pk=claim.pk)
    require_editable(claim)
    member = FamilyMember(claim=claim, **fields)
    if nik:
        normalised, problem = registry_rules.normalise_nik(nik)
        if problem:
            raise ValidationError(registry_rules.REJECT_MESSAGES[problem], code=problem)
        member.nik_cipher = crypto.encrypt_nik(normalised)
        member.nik_index = crypto.nik_index(normalised)
        member.nik_hint = nik_hint(normalised)
    if member.relationship == Relationship.CHILD and member.education and not member.birth_date:
        raise ValidationError(
            _("A child's date of birth is required to compute the scholarship."),
            code="child_birth_date_missing",
        )
    member._history_user = user
    member.save()
    judge(claim)
    return member


@transaction.atomic
def override_heirs(claim: Claim, user, heir_ids: list[int], reason: str) -> None:
    """An officer's exception to the rule's choice of heirs: justified and kept in history."""
    require_in(user, Capability.PREPARE_CLAIMS, claim.village_id)
    claim = Claim.objects.select_for_update().get(pk=claim.pk)
    require_editable(claim)
    if len(reason.strip()) < 20:
        raise ValidationError(
            _("Write why the exception is made (at least 20 characters)."),
            code="override_reason_short",
        )
    members = {m.pk: m for m in claim.family.all()}
    if not heir_ids or not set(heir_ids) <= set(members):
        raise ValidationError(
            _("Choose the heirs among this claim's family members."), code="heirs_not_in_family"
        )
    for pk, member in members.items():
        member.is_heir = pk in heir_ids
        member._history_user, member._change_reason = user, reason.strip()
        member.save(update_fields=["is_heir"])
    claim.heir_override_reason, claim.heir_override_by = reason.strip(), user
    claim.heir_basis = (
        f"Pengecualian oleh {user.get_full_name() or user.username}: {reason.strip()}"
    )
    claim._history_user, claim._change_reason = user, "Pengecualian ahli waris"
    claim.save(update_fields=["heir_override_reason", "heir_override_by", "heir_basis"])
