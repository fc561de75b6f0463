"""The JKK path of a work accident, each stage a dated record with who recorded it:

the accident report to BPJS (stage I within 2 × 24 hours, stage II after treatment), treatment at
a PLKK of the kabupaten, periods of temporary incapacity (STMB) with the amount the rule expects
and what BPJS paid, the return to work, the doctor's disability assessment — which decides the
claim's benefit event and feeds the evaluator — and a suspected work accident that BPJS must rule
on. The Pemda's claims officer records the path; BPJS's own facts (an STMB payment, the ruling)
may be recorded by the officer following the file up or by the BPJS officer.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from jaring.accounts.rules import Capability
from jaring.accounts.scoping import require_one_of_in
from jaring.claims import rules
from jaring.claims.models import (
    AccidentReport,
    Claim,
    DisabilityAssessment,
    IncapacityPeriod,
    ReturnToWork,
    SuspectedAccident,
    Treatment,
)
from jaring.claims.services.common import DEATH_EVENTS, require_editable
from jaring.claims.services.judging import judge
from jaring.programs.rulebook import default_rulebook
from jaring.programs.rules import temporary_incapacity, whole_rupiah
from jaring.reference.selectors import plkk_near

# Who records BPJS's own facts: the officer following the file up, or the BPJS officer.
BPJS_FACTS = (Capability.PREPARE_CLAIMS, Capability.RECORD_BPJS_CLAIMS)


def _open_jkk_claim(claim: Claim, user, capabilities=(Capability.PREPARE_CLAIMS,)) -> Claim:
    """The claim, locked for the write, if it is a live JKK claim this user may work on."""
    require_one_of_in(user, capabilities, claim.village_id)
    claim = Claim.objects.select_for_update().get(pk=claim.pk)
    if claim.program != "JKK":
        raise ValidationError(_("Only a work-accident (JKK) claim has this path."), code="jkk_only")
    if claim.status in {"dismissed", "rejected"}:
        raise ValidationError(_("This claim is closed."), code="claim_closed")
    return claim


def _checked_day(claim: Claim, day: datetime.date, code: str) -> None:
    """A path date lies between the accident and today."""
    if day > timezone.localdate():
        raise ValidationError(_("The date cannot be in the future."), code=f"{code}_future")
    if day < claim.event_date:
        raise ValidationError(
            _("The date cannot be before the accident."), code=f"{code}_before_accident"
        )


@transaction.atomic
def record_accident_report(
    claim: Claim,
    user,
    stage: int,
    made_at: datetime.datetime,
    *,
    accident_at: datetime.datetime | None = None,
    treatment_ended_on: datetime.date | None = None,
    note: str = "",
) -> AccidentReport:
    """Stage I (with the accident's date and time; a report made after 2 × 24 hours is kept and
    shown late) or stage II (with the day the doctor stated treatment ended). Recording a stage
    again corrects it; the history keeps the earlier version."""
    claim = _open_jkk_claim(claim, user)
    _checked_day(claim, timezone.localdate(made_at), "report")
    if stage == AccidentReport.Stage.FIRST:
        if accident_at is None or timezone.localdate(accident_at) != claim.event_date:
            raise ValidationError(
                _("The accident's date and time must fall on the claim's event date."),
                code="accident_time_mismatch",
            )
        if made_at < accident_at:
            raise ValidationError(
                _("The report cannot be made before the accident."), code="report_before_accident"
            )
        facts = {"accident_at": accident_at, "treatment_ended_on": None}
    elif stage == AccidentReport.Stage.SECOND:
        if treatment_ended_on is None:
            raise ValidationError(
                _("Give the day the doctor stated the treatment ended."),
                code="treatment_end_missing",
            )
        _checked_day(claim, treatment_ended_on, "treatment_end")
        if not claim.accident_reports.filter(stage=AccidentReport.Stage.FIRST).exists():
            raise ValidationError(_("Record the stage I report first."), code="stage_one_missing")
        facts = {"accident_at": None, "treatment_ended_on": treatment_ended_on}
    else:
        raise ValidationError(_("Unknown report stage."), code="report_stage_unknown")
    report, _created = AccidentReport.objects.update_or_create(
        claim=claim,
        stage=stage,
        defaults={"made_at": made_at, "note": note.strip(), "recorded_by": user, **facts},
    )
    return report


@transaction.atomic
def record_treatment(
    claim: Claim,
    user,
    plkk_id: int,
    admitted_on: datetime.date,
    discharged_on: datetime.date | None = None,
) -> Treatment:
    """Treatment at one of the kabupaten's active PLKK (the branch's partner hospitals)."""
    claim = _open_jkk_claim(claim, user)
    if plkk_id not in {plkk.pk for plkk in plkk_near(claim.village_id)}:
        raise ValidationError(
            _("Choose an active PLKK of the claim's kabupaten."), code="plkk_not_near"
        )
    _checked_day(claim, admitted_on, "admitted")
    if discharged_on is not None:
        _check_discharge(admitted_on, discharged_on)
    return Treatment.objects.create(
        claim=claim,
        plkk_id=plkk_id,
        admitted_on=admitted_on,
        discharged_on=discharged_on,
        recorded_by=user,
    )


def _check_discharge(admitted_on: datetime.date, discharged_on: datetime.date) -> None:
    if discharged_on > timezone.localdate():
        raise ValidationError(_("The date cannot be in the future."), code="discharged_future")
    if discharged_on < admitted_on:
        raise ValidationError(
            _("The discharge cannot be before the admission."), code="discharged_before_admitted"
        )


@transaction.atomic
def record_discharge(treatment: Treatment, user, discharged_on: datetime.date) -> Treatment:
    """The patient left the PLKK."""
    _open_jkk_claim(treatment.claim, user)
    treatment = Treatment.objects.select_for_update().get(pk=treatment.pk)
    _check_discharge(treatment.admitted_on, discharged_on)
    treatment.discharged_on = discharged_on
    treatment.recorded_by = user
    treatment.save(update_fields=["discharged_on", "recorded_by"])
    return treatment


@transaction.atomic
def record_incapacity_period(
    claim: Claim, user, starts_on: datetime.date, ends_on: datetime.date
) -> IncapacityPeriod:
    """A period the worker could not work, recorded in order after the earlier ones; its
    expected amount is the STMB rule in force on the accident date applied to the declared
    income, counting the days of the earlier periods towards the full-rate months."""
    claim = _open_jkk_claim(claim, user)
    _checked_day(claim, starts_on, "period_start")
    if ends_on < starts_on:
        raise ValidationError(_("The period ends before it starts."), code="period_order")
    if ends_on > timezone.localdate():
        raise ValidationError(_("The date cannot be in the future."), code="period_end_future")
    last_end = claim.incapacity_periods.aggregate(last=Max("ends_on"))["last"]
    if last_end and starts_on <= last_end:
        raise ValidationError(
            _("A period starts after the last recorded one (%(day)s)."),
            code="period_overlap",
            params={"day": last_end.isoformat()},
        )
    returned = getattr(claim, "return_to_work", None)
    if returned and ends_on >= returned.returned_on:
        raise ValidationError(
            _("The worker was back at work on %(day)s."),
            code="period_after_return",
            params={"day": returned.returned_on.isoformat()},
        )
    if claim.enrolment is None:
        raise ValidationError(
            _("The worker was not protected on the accident date: no STMB is expected."),
            code="period_not_protected",
        )
    rule = default_rulebook().at("jkk.temporary_incapacity", claim.event_date)
    days_before = sum(period.days for period in claim.incapacity_periods.all())
    amount = temporary_incapacity(
        rule.value,
        claim.enrolment.declared_income,
        rules.period_days(starts_on, ends_on),
        days_before,
    )
    return IncapacityPeriod.objects.create(
        claim=claim,
        starts_on=starts_on,
        ends_on=ends_on,
        expected_amount=whole_rupiah(amount),
        rule_ref=rule.ref,
        recorded_by=user,
    )


@transaction.atomic
def record_incapacity_payment(
    period: IncapacityPeriod, user, amount: int, paid_on: datetime.date, reference: str
) -> IncapacityPeriod:
    """What BPJS paid the worker for one STMB period, and when (a correction is kept in the
    history); a difference from the expected amount is shown for follow-up."""
    _open_jkk_claim(period.claim, user, BPJS_FACTS)
    period = IncapacityPeriod.objects.select_for_update().get(pk=period.pk)
    if isinstance(amount, bool) or not isinstance(amount, int) or amount <= 0:
        raise ValidationError(
            _("Amounts are whole rupiah, more than zero."), code="stmb_amount_invalid"
        )
    if paid_on > timezone.localdate():
        raise ValidationError(_("The date cannot be in the future."), code="stmb_paid_future")
    if paid_on < period.starts_on:
        raise ValidationError(
            _("BPJS cannot pay a period before it starts."), code="stmb_paid_before_period"
        )
    period.bpjs_paid_amount = amount
    period.bpjs_paid_on = paid_on
    period.bpjs_reference = reference.strip()
    period.paid_recorded_by = user
    period.save(
        update_fields=["bpjs_paid_amount", "bpjs_paid_on", "bpjs_reference", "paid_recorded_by"]
    )
    return period


@transaction.atomic
def record_return_to_work(claim: Claim, user, returned_on: datetime.date) -> ReturnToWork:
    """The worker is back at work: no incapacity period may reach that day."""
    claim = _open_jkk_claim(claim, user)
    _checked_day(claim, returned_on, "returned")
    last_end = claim.incapacity_periods.aggregate(last=Max("ends_on"))["last"]
    if last_end and returned_on <= last_end:
        raise ValidationError(
            _("An incapacity period runs until %(day)s."),
            code="returned_during_period",
            params={"day": last_end.isoformat()},
        )
    back, _created = ReturnToWork.objects.update_or_create(
        claim=claim, defaults={"returned_on": returned_on, "recorded_by": user}
    )
    return back


@dataclass(frozen=True)
class Assessment:
    kind: str
    assessed_on: datetime.date
    doctor: str
    table_percent: Decimal = Decimal(0)
    function_loss_percent: Decimal = Decimal(0)


@transaction.atomic
def record_assessment(claim: Claim, user, assessment: Assessment) -> Claim:
    """The doctor's assessment decides the benefit event (none: temporary incapacity only;
    partial anatomical or functional; total permanent); the days of the recorded STMB periods
    become the claim's days unable to work, and the evaluator prices the claim again. Only while
    the claim is in preparation: what went to BPJS does not change."""
    claim = _open_jkk_claim(claim, user)
    require_editable(claim)
    if claim.event in DEATH_EVENTS:
        raise ValidationError(
            _("A death has no disability assessment."), code="assessment_after_death"
        )
    _checked_day(claim, assessment.assessed_on, "assessed")
    if not assessment.doctor.strip():
        raise ValidationError(_("Name the assessing doctor."), code="assessment_doctor_missing")
    try:
        kind = rules.AssessmentKind(assessment.kind)
        event, percent = rules.assessed_event(
            kind, assessment.table_percent, assessment.function_loss_percent
        )
    except ValueError as exc:
        raise ValidationError(
            _("Check the assessment and its percentages."), code="assessment_invalid"
        ) from exc
    DisabilityAssessment.objects.update_or_create(
        claim=claim,
        defaults={
            "kind": kind.value,
            "assessed_on": assessment.assessed_on,
            "doctor": assessment.doctor.strip(),
            "table_percent": assessment.table_percent,
            "function_loss_percent": assessment.function_loss_percent,
            "recorded_by": user,
        },
    )
    stmb_days = sum(period.days for period in claim.incapacity_periods.all())
    claim.event, claim.disability_percent = event.value, percent
    claim.incapacity_days = stmb_days or claim.incapacity_days
    claim._change_reason = f"Penilaian cacat: {kind.value}"
    claim.save(update_fields=["event", "disability_percent", "incapacity_days"])
    return judge(claim)


@transaction.atomic
def record_suspicion(
    claim: Claim, user, notified_on: datetime.date, description: str
) -> SuspectedAccident:
    """A suspected work accident notified to BPJS on ``notified_on``: BPJS's ruling is due
    within the rule's days."""
    claim = _open_jkk_claim(claim, user)
    _checked_day(claim, notified_on, "notified")
    if len(description.strip()) < 10:
        raise ValidationError(
            _("Describe what is suspected (10+ characters)."), code="suspicion_description"
        )
    suspicion, _created = SuspectedAccident.objects.update_or_create(
        claim=claim,
        defaults={
            "notified_on": notified_on,
            "description": description.strip(),
            "recorded_by": user,
        },
    )
    return suspicion


@transaction.atomic
def record_ruling(
    claim: Claim, user, ruling: str, ruled_on: datetime.date, note: str = ""
) -> SuspectedAccident:
    """BPJS's ruling on the suspected work accident, and when it came."""
    claim = _open_jkk_claim(claim, user, BPJS_FACTS)
    suspicion = SuspectedAccident.objects.select_for_update().filter(claim=claim).first()
    if suspicion is None:
        raise ValidationError(
            _("No suspected work accident is recorded."), code="suspicion_missing"
        )
    if ruling not in SuspectedAccident.Ruling.values:
        raise ValidationError(_("Unknown ruling."), code="ruling_unknown")
    if ruled_on > timezone.localdate():
        raise ValidationError(_("The date cannot be in the future."), code="ruled_future")
    if ruled_on < suspicion.notified_on:
        raise ValidationError(
            _("BPJS cannot rule before it was notified."), code="ruled_before_notified"
        )
    suspicion.ruling, suspicion.ruled_on = ruling, ruled_on
    suspicion.ruling_note, suspicion.ruling_recorded_by = note.strip(), user
    suspicion.save(update_fields=["ruling", "ruled_on", "ruling_note", "ruling_recorded_by"])
    return suspicion
