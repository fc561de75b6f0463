"""Reads of the registry, always scoped to the user's region through accounts.scoping."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import QuerySet
from django.http import Http404
from django.urls import reverse

from jaring.accounts.models import PersonalDataAccess
from jaring.accounts.rules import Capability
from jaring.accounts.scoping import scope_for, scoped
from jaring.accounts.services import log_personal_access
from jaring.accounts.signals import ReadObject
from jaring.core import crypto
from jaring.core.masking import mask_name
from jaring.core.text import person_key
from jaring.regions.models import Level, Region
from jaring.registry import rules
from jaring.registry.models import (
    DuplicateCandidate,
    ImportBatch,
    ImportRowIssue,
    TransferRequest,
    Worker,
)


@dataclass(frozen=True)
class WorkerFilters:
    district: str = ""
    village: str = ""
    occupation: str = ""
    status: str = ""
    desil: int | None = None
    query: str = ""


def workers_for(user) -> QuerySet[Worker]:
    return scoped(Worker.objects.all(), user, Capability.VIEW_REGISTRY)


def may_see_personal_data(user, worker: Worker) -> bool:
    return scope_for(user, Capability.VIEW_PERSONAL_DATA).contains(worker.village_id)


def is_full_nik(text: str) -> bool:
    nik, problem = rules.normalise_nik(text)
    return problem is None and nik is not None


def is_partial_nik(text: str) -> bool:
    """Only digits, but not 16 of them: a NIK search needs the whole NIK (blind index)."""
    return bool(text) and rules.normalise_nik(text)[1] == "nik_length"


def filter_workers(user, filters: WorkerFilters) -> QuerySet[Worker]:
    workers = workers_for(user).select_related("village__parent", "occupation")
    if filters.district:
        workers = workers.filter(district_code=filters.district)
    if filters.village:
        workers = workers.filter(village_id=filters.village)
    if filters.occupation:
        workers = workers.filter(occupation_id=filters.occupation)
    if filters.status:
        workers = workers.filter(status=filters.status)
    if filters.desil:
        workers = workers.filter(desil=filters.desil)
    if filters.query:
        workers = _search(user, workers, filters.query)
    return workers.order_by("name_key", "id")


def _search(user, workers: QuerySet[Worker], query: str) -> QuerySet[Worker]:
    """A full NIK finds by the blind index; anything else searches names (personal data roles).
    A query with nothing of a name in it (symbols, a script names are not kept in) finds no one,
    never everyone."""
    nik, problem = rules.normalise_nik(query)
    if problem is None:
        return workers.filter(nik_index=crypto.nik_index(nik))
    key = person_key(query)
    if not key or scope_for(user, Capability.VIEW_PERSONAL_DATA).is_empty:
        return workers.none()
    return workers.filter(name_key__contains=key)


def worker_for(user, pk: int) -> Worker:
    worker = workers_for(user).select_related("village__parent", "occupation").filter(pk=pk).first()
    if worker is None:
        raise Http404(pk)
    return worker


def worker_to_edit(user, pk: int, request=None) -> Worker:
    """A worker the user may change (registry rights in its village), or a 404; the form shows
    its contact details, so the read is logged."""
    workers = scoped(Worker.objects.all(), user, Capability.MANAGE_REGISTRY)
    worker = workers.select_related("village__parent", "occupation").filter(pk=pk).first()
    if worker is None:
        raise Http404(pk)
    log_personal_access(
        user,
        PersonalDataAccess.Action.VIEW_RECORD,
        "worker",
        worker.pk,
        worker.village_id,
        request=request,
    )
    return worker


def villages_to_move_to(user, worker: Worker) -> QuerySet:
    """The villages of the worker's kabupaten the user manages: where an edit may move it."""
    villages = Region.objects.filter(
        level=Level.VILLAGE, code__startswith=worker.regency_code + "."
    ).filter(scope_for(user, Capability.MANAGE_REGISTRY).q("code"))
    return villages.select_related("parent").order_by("parent__name", "name")


def worker_with_personal_data(user, pk: int, request=None, log: bool = True):
    """A worker and whether ``user`` sees its personal data; a personal read is logged here, so
    the web page and the API log the same event for the same read. ``log=False`` when the
    caller logs a stronger read itself (revealing the NIK)."""
    worker = worker_for(user, pk)
    personal = may_see_personal_data(user, worker)
    if personal and log:
        log_personal_access(
            user,
            PersonalDataAccess.Action.VIEW_RECORD,
            "worker",
            worker.pk,
            worker.village_id,
            request=request,
        )
    return worker, personal


def log_worker_list(user, shown, query: str = "", request=None) -> None:
    """Log a page of workers shown: a full-NIK search, or the ids of the rows whose personal data
    the user saw (none: nothing to log). Called by every list of workers, web or API."""
    personal = scope_for(user, Capability.VIEW_PERSONAL_DATA)
    ids = [worker.pk for worker in shown if personal.contains(worker.village_id)]
    if query and is_full_nik(query):
        log_personal_access(
            user,
            PersonalDataAccess.Action.SEARCH_NIK,
            "worker",
            ",".join(map(str, ids)),
            request=request,
        )
    elif ids:
        log_personal_access(
            user,
            PersonalDataAccess.Action.VIEW_LIST,
            "worker",
            request=request,
            detail={"ids": ids},
        )


def history_of(worker: Worker):
    return worker.history.select_related("history_user").order_by("-history_date", "-history_id")


def batches_for(user) -> QuerySet[ImportBatch]:
    return scoped(ImportBatch.objects.all(), user, Capability.MANAGE_REGISTRY).select_related(
        "region", "created_by"
    )


def batch_for(user, pk: int) -> ImportBatch:
    batch = batches_for(user).filter(pk=pk).first()
    if batch is None:
        raise Http404(pk)
    return batch


def warnings_of(batch: ImportBatch) -> list[dict]:
    """Each accepted row with a warning: its row, codes, message and the worker it became."""
    issues = batch.issues.filter(outcome=ImportRowIssue.Outcome.WARNING).order_by("row_number")
    return [
        {"row": row, "codes": codes, "message": message, "worker": worker}
        for row, codes, message, worker in issues.values_list(
            "row_number", "codes", "message", "worker_id"
        )
    ]


def duplicate_candidates_for(user) -> QuerySet[DuplicateCandidate]:
    """Open cases the user may decide: within a region (registry managers there), or across
    two kabupaten (either side's admin: ``cross_region_cases_for``)."""
    cases = DuplicateCandidate.objects.filter(status=DuplicateCandidate.Status.OPEN)
    local = scoped(cases.filter(cross_region=False), user, Capability.MANAGE_REGISTRY)
    return (
        (local | cross_region_cases_for(user))
        .select_related("worker__village", "other__village")
        .order_by("created_at", "id")
    )


def rejects_file_for(user, pk: int, request=None):
    """The rejects workbook of a batch (its rows carry NIKs): handed out and logged, or a 404."""
    from jaring.registry.services import rejects_workbook

    batch = batch_for(user, pk)
    path = rejects_workbook(batch)
    if path is None:
        raise Http404(pk)
    log_personal_access(
        user,
        PersonalDataAccess.Action.EXPORT,
        "import_rejects",
        batch.pk,
        batch.region_id,
        request=request,
    )
    return batch, path


def cross_region_cases_for(user) -> QuerySet[DuplicateCandidate]:
    cases = DuplicateCandidate.objects.filter(
        status=DuplicateCandidate.Status.OPEN, cross_region=True
    )
    return scoped(cases, user, Capability.DECIDE_TRANSFERS)


def transfers_for(user) -> QuerySet[TransferRequest]:
    """Transfer requests of the user's regions, incoming (to) and outgoing (from) alike."""
    return (
        scoped(TransferRequest.objects.all(), user, Capability.VIEW_REGISTRY)
        .select_related("worker", "from_village__parent", "to_village__parent")
        .order_by("status", "-created_at", "-id")
    )


def transfer_for(user, pk: int) -> TransferRequest:
    transfer = transfers_for(user).filter(pk=pk).first()
    if transfer is None:
        raise Http404(pk)
    return transfer


def _person(viewer, worker: Worker) -> str:
    """The worker's name as ``viewer`` may see it: in full with personal-data rights there."""
    if scope_for(viewer, Capability.VIEW_PERSONAL_DATA).contains(worker.village_id):
        return worker.full_name
    return mask_name(worker.full_name)


def read_workers(viewer, keys, **_):
    """The access log asks whose data its rows read (``accounts.signals.read_objects``)."""
    ids = {int(pk) for kind, pk in keys if kind == "worker" and pk.isdigit()}
    return {
        ("worker", str(worker.pk)): ReadObject(
            _person(viewer, worker), reverse("registry:worker", args=[worker.pk]), worker.pk
        )
        for worker in Worker.objects.filter(pk__in=ids).only("pk", "full_name", "village_id")
    }


def workers_named(workers=None, nik: str = "", user=None, **_):
    """The access log's filter by person: the worker with this NIK (its blind index: exact),
    within the auditor's regions when ``user`` is given."""
    if nik:
        found = Worker.objects.filter(nik_index=crypto.nik_index(nik))
        if user is not None:
            found = scoped(found, user, Capability.VIEW_AUDIT_LOG)
        return [("worker", list(found.values_list("pk", flat=True)))]
    return [("worker", workers)] if workers else []
