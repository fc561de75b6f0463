"""What crosses regions: a worker's move between kabupaten, and duplicate cases spanning two.

A region never changes a worker of another region. When it meets one (an import row, a single
registration or an update naming a NIK or a village of another kabupaten), it opens a
``TransferRequest`` instead; the admin of the region the worker lives in accepts it (the worker
moves, its enrolment ends at the end of the month, both regions' access logs record it) or
refuses it (nothing changes). A duplicate case whose two records live in two kabupaten is
decided by both kabupaten's admins, and resolved only when both have.
"""

from __future__ import annotations

import calendar
import datetime

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from jaring.accounts.models import PersonalDataAccess
from jaring.accounts.rules import Capability
from jaring.accounts.scoping import scope_for
from jaring.accounts.services import log_personal_access
from jaring.core.events import Change, region_changed
from jaring.registry.models import (
    DuplicateCandidate,
    DuplicateDecision,
    TransferRequest,
    Worker,
)
from jaring.registry.signals import worker_moved


def may_act(user, capability: Capability, region_code: str) -> bool:
    """May ``user`` use ``capability`` in ``region_code`` (``None`` is the system: always)."""
    return user is None or scope_for(user, capability).contains(region_code)


def registered_elsewhere() -> ValidationError:
    return ValidationError(
        _(
            "This NIK is registered in another region and was not changed; a transfer request "
            "was sent to that region's admin to decide."
        ),
        code="registered_elsewhere",
    )


def transfer_required() -> ValidationError:
    return ValidationError(
        _(
            "A village in another kabupaten is a move: a transfer request was sent to the "
            "admin of the worker's region to decide."
        ),
        code="transfer_required",
    )


def open_transfer(worker: Worker, to_village_id: str, user, contact: dict | None = None):
    """Ask the worker's region to let it move to ``to_village_id`` (once: an open request for
    the same worker and target kabupaten is reused). ``contact`` may carry phone/address/rt_rw."""
    with transaction.atomic():
        existing = TransferRequest.objects.filter(
            worker=worker,
            status=TransferRequest.Status.OPEN,
            to_regency=to_village_id[:5],
        ).first()
        if existing is not None:
            return existing
        request = TransferRequest(
            worker=worker,
            from_village_id=worker.village_id,
            to_village_id=to_village_id,
            requested_by=user,
            **(contact or {}),
        )
        request._history_user = user
        request.save()
        return request


def _end_of_month(day: datetime.date) -> datetime.date:
    return day.replace(day=calendar.monthrange(day.year, day.month)[1])


@transaction.atomic
def decide_transfer(request: TransferRequest, user, accept: bool, reason: str = "") -> None:
    """Accept (the worker moves) or refuse a transfer request: only an admin of the region the
    worker lives in now (``Capability.DECIDE_TRANSFERS``)."""
    request = TransferRequest.objects.select_for_update().get(pk=request.pk)
    worker = Worker.objects.select_for_update().get(pk=request.worker_id)
    if not scope_for(user, Capability.DECIDE_TRANSFERS).contains(worker.village_id):
        raise PermissionDenied
    if request.status != TransferRequest.Status.OPEN:
        raise ValidationError(_("This request was already decided."), code="transfer_decided")
    request.status = TransferRequest.Status.ACCEPTED if accept else TransferRequest.Status.REFUSED
    request.decided_by, request.decided_at, request.reason = user, timezone.now(), reason[:255]
    request._history_user = user
    request.save()
    if accept:
        _move(worker, request, user)


def _move(worker: Worker, request: TransferRequest, user) -> None:
    # Announced while the worker still lives in the old region, whose obligations (its open
    # enrolment, to the end of this month) its own admin closes under this decision.
    today = timezone.localdate()
    worker_moved.send(
        sender=Worker, worker=worker, user=user, last_day=_end_of_month(today), today=today
    )
    old_village = worker.village_id
    worker.village_id = request.to_village_id
    for field in ("phone", "address", "rt_rw"):
        if getattr(request, field):
            setattr(worker, field, getattr(request, field))
    worker._history_user = user
    worker._change_reason = f"Pindah wilayah (permintaan #{request.pk})"
    worker.save()
    worker.refresh_from_db(fields=["province_code", "regency_code", "district_code"])
    for village in (old_village, worker.village_id):
        log_personal_access(
            user,
            PersonalDataAccess.Action.TRANSFER,
            "worker",
            worker.pk,
            village,
            reason=f"Pindah {old_village} → {worker.village_id} (permintaan #{request.pk})",
        )
        region_changed(village, Change.WORKERS)


def review_cross_region(candidate: DuplicateCandidate, user, same_person: bool) -> bool:
    """Record the verdict of each side ``user`` decides for; returns whether both sides have
    decided (the case is then resolved: the same person only if both said so)."""
    sides = {candidate.worker.regency_code, candidate.other.regency_code}
    mine = {side for side in sides if may_act(user, Capability.DECIDE_TRANSFERS, side)}
    if not mine:
        raise PermissionDenied
    for side in mine:
        DuplicateDecision.objects.update_or_create(
            candidate=candidate,
            regency_code=side,
            defaults={"same_person": same_person, "decided_by": user},
        )
    return set(candidate.decisions.values_list("regency_code", flat=True)) >= sides


def both_say_same(candidate: DuplicateCandidate) -> bool:
    """A cross-region case is the same person only when every side said so."""
    return all(candidate.decisions.values_list("same_person", flat=True))
