"""Proactive discovery: a death list matched against the registry opens potential claims."""

from __future__ import annotations

import datetime
from pathlib import Path

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from jaring.accounts.rules import Capability
from jaring.accounts.scoping import RegionScope, require_in
from jaring.claims.models import (
    Claim,
    ClaimStatus,
    DeathList,
    DeathRecord,
)
from jaring.claims.services.common import DEATH_EVENTS
from jaring.claims.services.reporting import EventReport, mark_deceased, report_event
from jaring.core.crypto import file_sha256
from jaring.finance.protection import protected_on
from jaring.programs.rules import Event, Program
from jaring.registry.models import Worker, WorkerStatus


@transaction.atomic
def import_deaths(path: Path, region, user, today: datetime.date | None = None) -> DeathList:
    """Match a death list against the registry: every covered worker without a claim gets a
    potential claim; every matched worker is recorded as deceased."""
    from jaring.claims.deaths import read_death_list

    require_in(user, Capability.PREPARE_CLAIMS, region.code)
    today = today or timezone.localdate()
    digest = file_sha256(path)
    death_list = DeathList.objects.create(
        region=region, file_name=path.name[:255], file_sha256=digest, created_by=user
    )
    rows = read_death_list(path, today)
    indexes = {row.nik_index for row in rows if row.nik_index}
    workers = {
        w.nik_index: w
        for w in Worker.objects.filter(nik_index__in=indexes).filter(
            RegionScope.of([region.code]).q_by_level(Worker.scope_columns)
        )
    }
    records, counts = [], dict.fromkeys(("covered", "not_covered", "unknown", "rejected"), 0)
    for row in rows:
        record = _match_death(death_list, row, workers.get(row.nik_index), user, today)
        counts[record.outcome] += 1
        records.append(record)
    DeathRecord.objects.bulk_create(records)
    death_list.rows = len(rows)
    death_list.matched_covered = counts["covered"]
    death_list.not_covered = counts["not_covered"]
    death_list.unknown = counts["unknown"]
    death_list.rejected = counts["rejected"]
    death_list.claims_opened = sum(1 for r in records if r.reason == OPENED)
    death_list.save()
    return death_list


OPENED = "Klaim potensial dibuat."


def _match_death(death_list, row, worker, user, today) -> DeathRecord:
    record = DeathRecord(
        death_list=death_list,
        row_number=row.row_number,
        nik_hint=row.nik_hint,
        name=row.name[:150],
        date_of_death=row.date_of_death,
        outcome=DeathRecord.Outcome.REJECTED,
        reason=row.problem,
    )
    if row.problem:
        return record
    if worker is None or worker.status == WorkerStatus.MERGED:
        record.outcome, record.reason = DeathRecord.Outcome.UNKNOWN, "NIK tidak ada di registri."
        return record
    record.worker = worker
    protection = protected_on(worker, row.date_of_death)
    existing = (
        Claim.objects.filter(worker=worker, event__in=DEATH_EVENTS)
        .exclude(status__in=[ClaimStatus.REJECTED, ClaimStatus.DISMISSED])
        .first()
    )
    if existing:
        record.claim, record.reason = existing, f"Sudah ada klaim {existing.number}."
    if not protection.protected:
        record.outcome = DeathRecord.Outcome.NOT_COVERED
        record.reason = record.reason or protection.reason["reason_id"]
        if worker.status == WorkerStatus.ACTIVE:
            mark_deceased(worker, row.date_of_death, user, f"Daftar kematian #{death_list.pk}")
        return record
    record.outcome = DeathRecord.Outcome.COVERED
    if existing is None:
        try:
            record.claim = report_event(
                worker,
                EventReport(
                    program=Program.JKM.value,
                    event=Event.DEATH.value,
                    event_date=row.date_of_death,
                    reported_by=Claim.Reporter.DEATH_LIST,
                    notes=f"Dari daftar kematian #{death_list.pk}, baris {row.row_number}.",
                ),
                user,
                today,
                status=ClaimStatus.POTENTIAL,
            )
            record.reason = OPENED
        except ValidationError as exc:
            record.reason = "; ".join(exc.messages)[:255]
    return record
