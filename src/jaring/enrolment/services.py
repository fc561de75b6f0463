"""Writes about coverage: planning within the budget, committing, BPJS exchange files.

Selection is one SQL statement with window functions: deterministic (desil, then registration
order, then id), explainable (each selection keeps its ranks) and never over budget (the
capacity is computed from the allocation before anything is selected).
"""

from __future__ import annotations

import datetime
from pathlib import Path

import xlsxwriter
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.utils import timezone

from jaring.accounts.models import PersonalDataAccess
from jaring.accounts.services import log_personal_access
from jaring.core.history import record_history
from jaring.enrolment.models import (
    DEFAULT_BRANCH_COLUMNS,
    OPEN_STATUSES,
    CoveragePlan,
    Enrolment,
    PlanSelection,
    Submission,
)
from jaring.enrolment.selectors import committed_cost
from jaring.finance.models import Allocation, FundingSource
from jaring.programs import rules as program_rules
from jaring.programs.rulebook import RuleBook, default_rulebook
from jaring.regions.models import Level, Region
from jaring.registry import protection
from jaring.registry.models import Worker
from jaring.reports.services import refresh_after_commit


def default_start_month(fiscal_year: int, today: datetime.date) -> datetime.date:
    """January for a future year, next month for the current year."""
    if today.year < fiscal_year:
        return datetime.date(fiscal_year, 1, 1)
    following = (today.replace(day=1) + datetime.timedelta(days=32)).replace(day=1)
    return min(following, datetime.date(fiscal_year, 12, 1))


_OPEN = "(" + ", ".join(f"'{status}'" for status in OPEN_STATUSES) + ")"


@transaction.atomic
def plan_coverage(
    region: Region,
    source: FundingSource,
    fiscal_year: int,
    user,
    start_month: datetime.date | None = None,
    quotas: dict | None = None,
    today: datetime.date | None = None,
    book: RuleBook | None = None,
) -> CoveragePlan:
    """A draft plan: how many workers the remaining budget covers, and which ones."""
    book = book or default_rulebook()
    today = today or timezone.localdate()
    start = (start_month or default_start_month(fiscal_year, today)).replace(day=1)
    end = datetime.date(fiscal_year, 12, 1)
    if start.year != fiscal_year:
        raise ValidationError("Bulan mulai harus di tahun anggaran yang sama.")
    allocation = Allocation.objects.filter(source=source, fiscal_year=fiscal_year).first()
    if allocation is None:
        raise ValidationError(f"Belum ada pagu {source.name} untuk tahun {fiscal_year}.")
    params = program_rules.contribution_parameters(book, start, source.rule_funding)
    income = params.income_min
    monthly = sum(params.amount(p, income, False) for p in program_rules.MANDATORY_PROGRAMS)
    months = (end.year - start.year) * 12 + end.month - start.month + 1
    available = allocation.amount - committed_cost(source, fiscal_year)
    capacity = max(0, available // (monthly * months))
    ages = book.at("enrolment.age_limits", start)
    plan = CoveragePlan.objects.create(
        region=region,
        source=source,
        fiscal_year=fiscal_year,
        start_month=start,
        end_month=end,
        monthly_cost=monthly,
        budget_available=available,
        capacity=capacity,
        quotas={k: int(v) for k, v in (quotas or {}).items()},
        created_by=user,
        rule_refs=[*params.rule_refs, ages.ref],
    )
    _select(plan, income_ages=ages.value, start=start)
    plan.selected = plan.selections.count()
    plan.cost = plan.selected * monthly * months
    plan.save(update_fields=["selected", "cost"])
    return plan


def _select(plan: CoveragePlan, income_ages: dict, start: datetime.date) -> None:
    quote = connection.ops.quote_name
    region_column = "regency_code" if plan.region.level == Level.REGENCY else "district_code"
    oldest = program_rules.add_years(start, -(income_ages["max_age"] + 1))
    youngest = program_rules.add_years(start, -income_ages["min_age"])
    quota_cases, quota_params = "", []
    if plan.quotas:
        quota_cases = " ".join("WHEN %s THEN %s" for _ in plan.quotas)
        quota_params = [v for item in sorted(plan.quotas.items()) for v in item]
    quota_filter = (
        (f"AND r.district_rank <= CASE r.district_code {quota_cases} ELSE r.district_rank END")
        if plan.quotas
        else ""
    )
    order = "(w.desil IS NULL), w.desil, w.created_at, w.id"
    sql = f"""
        INSERT INTO {quote(PlanSelection._meta.db_table)}
            (plan_id, worker_id, district_code, desil, overall_rank, district_rank)
        SELECT %s, r.id, r.district_code, r.desil, r.overall_rank, r.district_rank FROM (
            SELECT w.id, w.district_code, w.desil,
                   ROW_NUMBER() OVER (ORDER BY {order}) AS overall_rank,
                   ROW_NUMBER() OVER (PARTITION BY w.district_code ORDER BY {order})
                       AS district_rank
            FROM {quote(Worker._meta.db_table)} AS w
            WHERE w.{region_column} = %s AND w.status = 'active'
              AND w.birth_date > %s AND w.birth_date <= %s
              AND NOT EXISTS (SELECT 1 FROM {quote(Enrolment._meta.db_table)} AS e
                              WHERE e.worker_id = w.id AND e.status IN {_OPEN})
        ) AS r
        WHERE 1 = 1 {quota_filter}
        ORDER BY r.overall_rank
        LIMIT %s
    """  # nosec B608
    with connection.cursor() as cursor:
        cursor.execute(
            sql, [plan.pk, plan.region.code, oldest, youngest, *quota_params, plan.capacity]
        )


@transaction.atomic
def commit_plan(plan: CoveragePlan, user) -> int:
    """Turn a draft plan's selections into planned enrolments. Returns how many were created."""
    plan = CoveragePlan.objects.select_for_update().get(pk=plan.pk)
    if plan.status != CoveragePlan.Status.DRAFT:
        raise ValidationError("Rencana ini sudah ditetapkan atau dibatalkan.")
    available = Allocation.objects.get(source=plan.source, fiscal_year=plan.fiscal_year).amount
    available -= committed_cost(plan.source, plan.fiscal_year)
    if plan.cost > available:
        raise ValidationError("Pagu yang tersisa berubah sejak rencana dibuat; buat rencana baru.")
    quote = connection.ops.quote_name
    income = program_rules.contribution_parameters(
        default_rulebook(), plan.start_month, plan.source.rule_funding
    ).income_min
    now = timezone.now()
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {quote(Enrolment._meta.db_table)} "  # nosec B608
            f"(worker_id, source_id, plan_id, status, start_month, end_month, declared_income, "
            f"programs, kpj_number, bpjs_note, end_reason, created_at, updated_at) "
            f"SELECT s.worker_id, %s, %s, 'planned', %s, %s, %s, 'JKK,JKM', '', '', '', %s, %s "
            f"FROM {quote(PlanSelection._meta.db_table)} AS s "
            f"JOIN {quote(Worker._meta.db_table)} AS w ON w.id = s.worker_id "
            f"WHERE s.plan_id = %s AND w.status = 'active' "
            f"ORDER BY s.overall_rank ON CONFLICT DO NOTHING",
            [plan.source_id, plan.pk, plan.start_month, plan.end_month, income, now, now, plan.pk],
        )
        created = cursor.rowcount
    record_history(
        Enrolment,
        "t.plan_id = %s",
        [plan.pk],
        "+",
        getattr(user, "pk", None),
        f"Rencana cakupan #{plan.pk}",
    )
    plan.status, plan.committed_by, plan.committed_at = (CoveragePlan.Status.COMMITTED, user, now)
    plan._history_user = user
    plan.save(update_fields=["status", "committed_by", "committed_at"])
    refresh_after_commit(plan.region_id[:5])
    return created


def _branch_columns(region: Region) -> list[list[str]]:
    from jaring.enrolment.models import BranchFormat

    branch = BranchFormat.objects.filter(office__kind="bpjs", office__region=region).first()
    return branch.columns if branch else DEFAULT_BRANCH_COLUMNS


def submissions_dir() -> Path:
    path = Path(settings.MEDIA_ROOT) / "bpjs"
    path.mkdir(parents=True, exist_ok=True)
    return path


@transaction.atomic
def export_submission(region: Region, user, request=None) -> Submission:
    """Write the planned, not yet submitted enrolments to the branch's spreadsheet format."""
    column = "regency_code" if region.level == Level.REGENCY else "district_code"
    pending = (
        Enrolment.objects.select_for_update(of=("self",))
        .filter(status="planned", submission__isnull=True)
        .filter(**{f"worker__{column}": region.code})
        .select_related("worker__village__parent", "worker__occupation")
        .order_by("worker__district_code", "worker__name_key")
    )
    if not pending.exists():
        raise ValidationError("Tidak ada peserta rencana yang belum diajukan.")
    submission = Submission.objects.create(region=region, created_by=user, file_path="")
    path = submissions_dir() / f"pengajuan-{region.code}-{submission.pk}.xlsx"
    columns = _branch_columns(region)
    book = xlsxwriter.Workbook(str(path), {"constant_memory": True})
    sheet = book.add_worksheet("Peserta BPU")
    for col, (header, _) in enumerate(columns):
        sheet.write_string(0, col, header)
    rows = 0
    for rows, enrolment in enumerate(pending.iterator(chunk_size=2000), start=1):
        values = _submission_values(enrolment)
        for col, (_, field) in enumerate(columns):
            sheet.write_string(rows, col, values[field])
    book.close()
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


def _submission_values(enrolment: Enrolment) -> dict[str, str]:
    worker = enrolment.worker
    return {
        "nik": protection.decrypt_nik(worker.nik_cipher),
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
    from jaring.registry import rules as registry_rules
    from jaring.registry.spreadsheets import SheetSchema, open_sheet

    schema = SheetSchema(REPLY_SCHEMA_FIELDS, {"nik": "NIK", "status": "Status"})
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
            nik, _ = registry_rules.normalise_nik(row.get(fields["nik"]))
            enrolment = by_index.get(protection.nik_index(nik)) if nik else None
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
    refresh_after_commit(submission.region_id[:5])
    return outcome


@transaction.atomic
def end_enrolment(enrolment: Enrolment, reason: str, last_month: datetime.date, user) -> None:
    """Close an open enrolment (death, move, end of budget, duplicate) after a given month."""
    enrolment = Enrolment.objects.select_for_update().get(pk=enrolment.pk)
    if enrolment.status not in OPEN_STATUSES:
        raise ValidationError("Kepesertaan ini sudah tidak aktif.")
    enrolment.status, enrolment.end_reason = "ended", reason
    enrolment.end_month = max(
        enrolment.start_month, min(enrolment.end_month, last_month.replace(day=1))
    )
    enrolment._history_user = user
    enrolment.save(update_fields=["status", "end_reason", "end_month", "updated_at"])
    refresh_after_commit(enrolment.worker.regency_code)
