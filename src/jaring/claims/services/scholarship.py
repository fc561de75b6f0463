"""The scholarship year by year: each school year's application with its school certificate,
and BPJS's payment of it. Nothing is scheduled ahead: BPJS pays a year when it is applied for,
and the years stop at graduation, age 23, marriage or the cap (programs.rules)."""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext_lazy as _

from jaring.accounts.scoping import require_one_of_in
from jaring.claims.models import Claim, ClaimStatus, FamilyMember, ScholarshipYear
from jaring.claims.services.documents import CHECKERS, store_document
from jaring.programs import rules as program_rules
from jaring.programs.rulebook import default_rulebook

# The school year starts in July (tahun ajaran): 2026 is 2026/2027, from 1 July 2026.
SCHOOL_YEAR_STARTS_IN = 7


@dataclass(frozen=True)
class YearApplicationInput:
    school_year: int
    level: str
    school_class: int
    applied_on: datetime.date
    final_year: bool = False


def school_year_start(school_year: int) -> datetime.date:
    return datetime.date(school_year, SCHOOL_YEAR_STARTS_IN, 1)


def _granted_children(claim: Claim) -> set[int]:
    """The children the claim's scholarship was granted for, deferred ones included."""
    if not claim.scholarship.get("eligible"):
        return set()
    return {entry["member_id"] for entry in claim.scholarship.get("children", [])}


def _refused(exc: program_rules.RuleError) -> ValidationError:
    return ValidationError(exc.message_id, code=exc.code)


@transaction.atomic
def record_scholarship_application(
    claim: Claim, child: FamilyMember, application: YearApplicationInput, certificate, user
) -> ScholarshipYear:
    """One school year applied for with its school certificate (kept as a claim document);
    the amount is what the rules give for that year, after the years already granted."""
    require_one_of_in(user, CHECKERS, claim.village_id)
    claim = Claim.objects.select_for_update().get(pk=claim.pk)
    if claim.status != ClaimStatus.PAID:
        raise ValidationError(
            _("A scholarship year is applied for once BPJS has paid the claim."),
            code="scholarship_claim_not_paid",
        )
    if child.claim_id != claim.pk or child.pk not in _granted_children(claim):
        raise ValidationError(
            program_rules.YEAR_REFUSALS["scholarship_not_granted"], code="scholarship_not_granted"
        )
    if child.birth_date is None:  # else the age limit (23) could never stop the payments
        raise ValidationError(
            _("Record the child's date of birth first: the scholarship stops at an age limit."),
            code="scholarship_birth_date_missing",
        )
    granted = [
        program_rules.YearGranted(
            year.child_id, program_rules.Education(year.level), year.amount, year.final_year
        )
        for year in claim.scholarship_years.all()
    ]
    try:
        amount, rule_ref = program_rules.scholarship_year(
            default_rulebook(),
            program_rules.Program(claim.program),
            claim.event_date,
            program_rules.YearApplication(
                child=child.pk,
                birth_date=child.birth_date,
                married=child.married,
                working=child.working,
                level=program_rules.Education(application.level),
                grade=application.school_class,
                school_year_starts=school_year_start(application.school_year),
                applied_on=application.applied_on,
            ),
            granted,
        )
    except program_rules.RuleError as exc:
        raise _refused(exc) from exc
    if child.scholarship_years.filter(school_year=application.school_year).exists():
        raise ValidationError(
            _("This school year was already applied for."), code="scholarship_year_twice"
        )
    document = store_document(claim, "school_certificate", certificate, user)
    year = ScholarshipYear(
        claim=claim,
        child=child,
        school_year=application.school_year,
        level=application.level,
        school_class=application.school_class,
        certificate=document,
        applied_on=application.applied_on,
        final_year=application.final_year,
        amount=amount,
        rule_ref=rule_ref,
        recorded_by=user,
    )
    year._history_user = user
    year.save()
    _keep_current_class(child, application, user)
    return year


def _keep_current_class(child: FamilyMember, application: YearApplicationInput, user) -> None:
    """The child's level and class now, as the latest certificate shows them."""
    child.education, child.school_class = application.level, application.school_class
    child._history_user, child._change_reason = user, "Surat keterangan sekolah"
    child.save(update_fields=["education", "school_class"])


@transaction.atomic
def record_scholarship_payment(
    year: ScholarshipYear, amount: int, paid_on: datetime.date, reference: str, user
) -> ScholarshipYear:
    """BPJS's payment of one school year to the family's account (once; at most the amount)."""
    require_one_of_in(user, CHECKERS, year.claim.village_id)
    year = ScholarshipYear.objects.select_for_update().get(pk=year.pk)
    if year.is_paid:
        raise ValidationError(_("This school year is already paid."), code="scholarship_year_paid")
    if not 0 < amount <= year.amount:
        raise ValidationError(
            _("The payment must be more than 0 and at most the year's amount."),
            code="scholarship_payment_amount",
        )
    if paid_on < year.applied_on or not reference.strip():
        raise ValidationError(
            _("Give the payment date (not before the application) and BPJS's reference."),
            code="scholarship_payment_facts",
        )
    year.paid_amount, year.paid_on = amount, paid_on
    year.payment_reference, year.payment_recorded_by = reference.strip(), user
    year._history_user = user
    year.save(update_fields=["paid_amount", "paid_on", "payment_reference", "payment_recorded_by"])
    return year
