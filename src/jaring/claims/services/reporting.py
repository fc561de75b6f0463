"""Reporting a death or work accident, and marking the worker deceased."""

from __future__ import annotations

import datetime
import uuid
from dataclasses import dataclass
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from jaring.accounts.rules import Capability
from jaring.accounts.scoping import require_in
from jaring.claims.models import (
    Claim,
    ClaimStatus,
)
from jaring.claims.services.common import DEATH_EVENTS
from jaring.claims.services.judging import judge
from jaring.core.events import Change, region_changed
from jaring.enrolment.models import OPEN_STATUSES, Enrolment
from jaring.programs import rules as program_rules
from jaring.programs.rules import Event, Program
from jaring.registry.models import Worker, WorkerStatus


@dataclass(frozen=True)
class EventReport:
    program: str
    event: str
    event_date: datetime.date
    reported_by: str
    place: str = ""
    cause: str = ""
    traffic_accident: bool = False
    disability_percent: Decimal | int = 0
    incapacity_days: int = 0
    reporter_name: str = ""
    reporter_phone: str = ""
    notes: str = ""


@transaction.atomic
def report_event(
    worker: Worker,
    report: EventReport,
    user,
    today: datetime.date | None = None,
    status: str = ClaimStatus.REPORTED,
) -> Claim:
    """Open a claim for a death or accident; a death marks the worker deceased."""
    require_in(user, Capability.PREPARE_CLAIMS, worker.village_id)
    today = today or timezone.localdate()
    _check_report(worker, report, today)
    claim = Claim(
        number=f"TMP-{uuid.uuid4().hex}",
        worker=worker,
        village_id=worker.village_id,
        program=report.program,
        event=report.event,
        event_date=report.event_date,
        place=report.place,
        cause=report.cause,
        traffic_accident=report.traffic_accident,
        disability_percent=report.disability_percent,
        incapacity_days=report.incapacity_days,
        reported_by=report.reported_by,
        reporter_name=report.reporter_name,
        reporter_phone=report.reporter_phone,
        notes=report.notes,
        status=status,
        created_by=user,
        reported_on=today,
    )
    claim._history_user = user
    try:
        with transaction.atomic():
            claim.save()
    except IntegrityError as exc:
        raise ValidationError(
            _("A claim for this worker, programme and event date already exists."),
            code="claim_duplicate",
        ) from exc
    claim.number = f"KLM/{worker.regency_code}/{report.event_date.year}/{claim.pk:06d}"
    claim.save(update_fields=["number"])
    if report.event in DEATH_EVENTS:
        mark_deceased(worker, report.event_date, user, f"Dilaporkan meninggal: {claim.number}")
    judge(claim, today)
    region_changed(worker.regency_code, Change.CLAIMS)
    return claim


def _check_report(worker: Worker, report: EventReport, today: datetime.date) -> None:
    program = Program(report.program)
    if Event(report.event) not in program_rules.EVENTS_BY_PROGRAM.get(program, set()):
        raise ValidationError(
            _("The event does not belong to the chosen programme."), code="event_not_in_program"
        )
    if report.event_date > today:
        raise ValidationError(
            _("The event date cannot be in the future."), code="event_date_future"
        )
    if report.event_date < worker.birth_date:
        raise ValidationError(
            _("The event date is before the worker's date of birth."),
            code="event_before_birth",
        )
    if worker.status == WorkerStatus.MERGED:
        raise ValidationError(
            _("This worker's record is a duplicate; report on the main record."),
            code="worker_merged",
        )
    if (
        worker.status == WorkerStatus.DECEASED
        and report.event in DEATH_EVENTS
        and worker.date_of_death != report.event_date
    ):
        raise ValidationError(
            _("The worker is already recorded as deceased on %(day)s."),
            code="worker_already_deceased",
            params={"day": f"{worker.date_of_death:%d-%m-%Y}"},
        )


@transaction.atomic
def mark_deceased(worker: Worker, day: datetime.date, user, reason: str) -> None:
    """Record a death in the registry and stop the coverage (and billing) after that month."""
    from jaring.enrolment.services import end_enrolment

    require_in(user, Capability.PREPARE_CLAIMS, worker.village_id)
    worker = Worker.objects.select_for_update().get(pk=worker.pk)
    if worker.status != WorkerStatus.DECEASED:
        worker.status, worker.date_of_death = WorkerStatus.DECEASED, day
        worker._history_user, worker._change_reason = user, reason
        worker.save(update_fields=["status", "date_of_death", "updated_at"])
    for enrolment in Enrolment.objects.filter(worker=worker, status__in=OPEN_STATUSES):
        end_enrolment(enrolment, "death", day, user, acting_as=Capability.PREPARE_CLAIMS)
    region_changed(worker.village_id, Change.WORKERS)
