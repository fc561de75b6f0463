"""Writes about enrolments: the BPJS exchange files (submission, reply with KPJ numbers) and
ending an enrolment. Choosing who is enrolled within a budget is finance's (finance/planning.py).
"""

from __future__ import annotations

import datetime
from pathlib import Path

import xlsxwriter
from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from jaring.accounts.models import PersonalDataAccess
from jaring.accounts.rules import Capability
from jaring.accounts.scoping import require_in
from jaring.accounts.services import log_personal_access
from jaring.core import crypto, sealed
from jaring.core.events import Change, region_changed
from jaring.core.history import record_history
from jaring.core.spreadsheets import IDENTIFIER, Column, TableSheet
from jaring.enrolment.models import (
    DEFAULT_BRANCH_COLUMNS,
    OPEN_STATUSES,
    Enrolment,
    Submission,
)
from jaring.enrolment.selectors import may_exchange
from jaring.enrolment.signals import enrolment_ended
from jaring.regions.models import Level, Region


def branch_format(region_code: str):
    """The file layouts of the region's BPJS branch (None: the standard ones)."""
    from jaring.enrolment.models import BranchFormat

    return BranchFormat.objects.filter(office__kind="bpjs", office__region_id=region_code).first()


def _branch_columns(region: Region) -> list[list[str]]:
    branch = branch_format(region.code)
    return branch.columns if branch else DEFAULT_BRANCH_COLUMNS


def reply_schema_fields(region_code: str) -> dict[str, list[str]]:
    """The spellings a reply's headers are recognised by: the usual ones and the branch's own."""
    branch = branch_format(region_code)
    fields = {field: list(spellings) for field, spellings in REPLY_SCHEMA_FIELDS.items()}
    for header, field in branch.reply_columns if branch else []:
        fields[field].append(header)
    return fields


def submissions_dir() -> Path:
    path = Path(settings.MEDIA_ROOT) / "bpjs"
    path.mkdir(parents=True, exist_ok=True)
    return path


@transaction.atomic
def export_submission(region: Region, user, request=None) -> Submission:
    """Write the planned, not yet submitted enrolments to the branch's spreadsheet format."""
    require_in(user, Capability.MANAGE_ENROLMENT, region.code)
    require_in(user, Capability.VIEW_PERSONAL_DATA, region.code)  # the file carries NIKs
    column = "regency_code" if region.level == Level.REGENCY else "district_code"
    pending = (
        Enrolment.objects.select_for_update(of=("self",))
        .filter(status="planned", submission__isnull=True)
        .filter(**{f"worker__{column}": region.code})
        .select_related("worker__village__parent", "worker__occupation")
        .order_by("worker__district_code", "worker__name_key")
    )
    if not pending.exists():
        raise ValidationError(
            _("No planned participant is waiting to be submitted."), code="nothing_to_submit"
        )
    submission = Submission.objects.create(region=region, created_by=user, file_path="")
    path = submissions_dir() / f"pengajuan-{region.code}-{submission.pk}.xlsx"
    rows = _write_submission(path, _branch_columns(region), pending)
    Enrolment.objects.filter(pk__in=pending.values("pk")).update(
        status="submitted", submission=submission, updated_at=timezone.now()
    )
    record_history(
        Enrolment,
        "t.submission_id = %s",
        [submission.pk],
        "~",
        getattr(user, "pk", None),
        f"Diajukan ke BPJS #{submission.pk}",
    )
    submission.file_path, submission.rows = str(path), rows
    submission.save(update_fields=["file_path", "rows"])
    log_personal_access(
        user,
        PersonalDataAccess.Action.EXPORT,
        "bpjs_submission",
        submission.pk,
        region.code,
        request=request,
        detail={"rows": rows},
    )
    return submission


# Every cell of a submission is text as the branch reads it (NIK, dates, phone): "@" columns.
SUBMISSION_WIDTHS = {"nik": 20, "full_name": 28, "address": 32, "village": 20, "district": 18}


def purge_submission_files(before: datetime.datetime) -> dict[str, int]:
    """Retention: a submission workbook whose BPJS reply came before ``before`` is deleted (the
    enrolments it carried keep their KPJ numbers and history)."""
    files = 0
    done = Submission.objects.filter(replied_at__lt=before).exclude(file_path="")
    for path in done.values_list("file_path", flat=True).iterator():
        if Path(path).is_file():
            Path(path).unlink()
            files += 1
    done.update(file_path="")
    return {"submission_files": files}


def _write_submission(path: Path, columns: list[list[str]], pending) -> int:
    """The workbook, kept only sealed (it lists NIKs)."""
    with sealed.sealed_output(path) as plain:
        book = xlsxwriter.Workbook(str(plain), {"constant_memory": True})
        table = TableSheet(
            book,
            "Peserta BPU",
            [
                Column(header, IDENTIFIER, SUBMISSION_WIDTHS.get(field, 16))
                for header, field in columns
            ],
        )
        for enrolment in pending.iterator(chunk_size=2000):
            values = _submission_values(enrolment)
            table.add([values[field] for _header, field in columns])
        book.close()
    return table.row_count


def _submission_values(enrolment: Enrolment) -> dict[str, str]:
    worker = enrolment.worker
    return {
        "nik": crypto.decrypt_nik(worker.nik_cipher),
        "full_name": worker.full_name,
        "birth_date": worker.birth_date.strftime("%d-%m-%Y"),
        "birth_place": worker.birth_place,
        "sex": worker.sex,
        "address": " ".join(
            filter(None, [worker.address, f"RT/RW {worker.rt_rw}" if worker.rt_rw else ""])
        ),
        "village": worker.village.name,
        "district": worker.village.parent.name,
        "occupation": worker.occupation.name,
        "declared_income": str(enrolment.declared_income),
        "programs": enrolment.programs.replace(",", "+"),
        "start_month": enrolment.start_month.strftime("%m-%Y"),
        "phone": worker.phone,
    }


REPLY_SCHEMA_FIELDS = {
    "nik": ["nik", "no ktp", "nomor induk kependudukan"],
    "kpj": ["kpj", "no kpj", "nomor kpj", "nomor peserta", "no peserta", "kpj number"],
    "status": ["status", "hasil", "keterangan status", "result"],
    "reason": ["alasan", "keterangan", "alasan penolakan", "reason", "catatan"],
}
ACCEPTED_WORDS = {
    "diterima",
    "terima",
    "aktif",
    "active",
    "accepted",
    "ok",
    "sukses",
    "berhasil",
    "terdaftar",
}
REJECTED_WORDS = {"ditolak", "tolak", "rejected", "gagal", "failed", "tidak terdaftar"}


@transaction.atomic
def import_reply(submission: Submission, path: Path, user) -> dict:
    """Reconcile the branch's reply: KPJ numbers for accepted rows, reasons for rejected ones."""
    if user is not None and not may_exchange(user, submission.region_id):
        raise PermissionDenied
    from jaring.core.spreadsheets import SheetSchema, open_sheet
    from jaring.registry import rules as registry_rules

    schema = SheetSchema(
        reply_schema_fields(submission.region_id), {"nik": "NIK", "status": "Status"}
    )
    sheet = open_sheet(path, schema=schema)
    by_index = {
        e.worker.nik_index: e
        for e in Enrolment.objects.select_for_update(of=("self",))
        .filter(submission=submission)
        .select_related("worker")
    }
    outcome = {"rows": 0, "matched": 0, "rejected": 0, "unknown": 0, "problems": []}
    accepted, rejected = [], []
    fields = sheet.layout.fields
    for chunk in sheet.chunks:
        for row in chunk.iter_rows(named=True):
            outcome["rows"] += 1
            nik, _problem = registry_rules.normalise_nik(row.get(fields["nik"]))
            enrolment = by_index.get(crypto.nik_index(nik)) if nik else None
            status = (row.get(fields["status"]) or "").strip().lower()
            kpj = "".join(
                ch for ch in str(row.get(fields.get("kpj", ""), "") or "") if ch.isdigit()
            )
            reason = (row.get(fields.get("reason", ""), "") or "").strip()
            if enrolment is None:
                outcome["unknown"] += 1
                outcome["problems"].append(
                    {"row": row["_row"], "problem": "NIK tidak ada dalam pengajuan ini."}
                )
            elif status in ACCEPTED_WORDS and len(kpj) == 11:
                enrolment.status, enrolment.kpj_number, enrolment.bpjs_note = "active", kpj, ""
                accepted.append(enrolment)
            elif status in REJECTED_WORDS or status in ACCEPTED_WORDS:
                note = reason or (
                    "KPJ tidak valid (harus 11 digit)."
                    if status in ACCEPTED_WORDS
                    else "Ditolak BPJS tanpa keterangan."
                )
                enrolment.status, enrolment.submission, enrolment.bpjs_note = "planned", None, note
                rejected.append(enrolment)
            else:
                outcome["problems"].append(
                    {"row": row["_row"], "problem": f"Status tidak dikenal: {status!r}."}
                )
    now = timezone.now()
    for enrolment in [*accepted, *rejected]:
        enrolment.updated_at = now
    Enrolment.objects.bulk_update(
        accepted, ["status", "kpj_number", "bpjs_note", "updated_at"], batch_size=1000
    )
    Enrolment.objects.bulk_update(
        rejected, ["status", "submission", "bpjs_note", "updated_at"], batch_size=1000
    )
    changed = [e.pk for e in accepted + rejected]
    for start in range(0, len(changed), 1000):
        ids = changed[start : start + 1000]
        record_history(
            Enrolment,
            f"t.id IN ({', '.join(['%s'] * len(ids))})",
            ids,
            "~",
            getattr(user, "pk", None),
            f"Balasan BPJS pengajuan #{submission.pk}",
        )
    outcome["matched"], outcome["rejected"] = len(accepted), len(rejected)
    submission.reply_file, submission.replied_at = str(path), now
    submission.matched, submission.rejected = len(accepted), len(rejected)
    submission.unknown = outcome["unknown"]
    submission.save(update_fields=["reply_file", "replied_at", "matched", "rejected", "unknown"])
    region_changed(submission.region_id, Change.ENROLMENTS)
    return outcome


@transaction.atomic
def end_enrolment(
    enrolment: Enrolment,
    reason: str,
    last_month: datetime.date,
    user,
    acting_as: Capability = Capability.MANAGE_ENROLMENT,
) -> None:
    """Close an open enrolment (death, move, end of budget, duplicate) after a given month;
    one that had not begun by then is cancelled. Months already billed after it are credited
    (finance, through ``enrolment.signals.enrolment_ended``).

    ``acting_as`` is the capability the user acts under in the worker's region: enrolment staff,
    or the claims officer whose death report ends the coverage (``PREPARE_CLAIMS``).
    """
    require_in(user, acting_as, enrolment.worker.village_id)
    enrolment = Enrolment.objects.select_for_update().get(pk=enrolment.pk)
    if enrolment.status not in OPEN_STATUSES:
        raise ValidationError(_("This enrolment is no longer active."), code="enrolment_not_open")
    last_month = last_month.replace(day=1)
    if last_month < enrolment.start_month:  # e.g. a death before coverage began: bill nothing
        enrolment.status = Enrolment.Status.CANCELLED
    else:
        enrolment.status = Enrolment.Status.ENDED
        enrolment.end_month = min(enrolment.end_month, last_month)
    enrolment.end_reason = reason
    enrolment._history_user = user
    enrolment.save(update_fields=["status", "end_reason", "end_month", "updated_at"])
    enrolment_ended.send(sender=Enrolment, enrolment=enrolment, user=user)
    region_changed(enrolment.worker.regency_code, Change.ENROLMENTS)


def end_enrolment_on_move(sender, worker, user, last_day: datetime.date, **kwargs) -> None:
    """Receiver of ``registry.signals.worker_moved``: the old region pays to the end of the
    month; the worker's open enrolment ends there (reason "moved")."""
    enrolment = Enrolment.objects.filter(worker=worker, status__in=OPEN_STATUSES).first()
    if enrolment is not None:
        # The admin who accepted the transfer acts under that right, not as enrolment staff.
        end_enrolment(
            enrolment, Enrolment.EndReason.MOVED, last_day, user, Capability.DECIDE_TRANSFERS
        )
