"""Writes of the reconciliation: import a BPJS statement, compare it with Jaring's invoice
lines set-based, and record each decision on a difference.

Import: ``core.spreadsheets.open_sheet`` → 50k-row text chunks → Polars expressions
(``rules``) → ``core.bulk.write_frame`` (COPY), the participants listed twice found by one
Polars aggregate over the file's keys → SQL on temporary tables: duplicates marked, matching
by KPJ (or NIK), then one full join of the rows with Jaring's bill that classifies every row
and finds the participants the statement does not list. Only the rows someone reads are kept
as ``StatementLine``: those refused with their reason and those with a difference (the sealed
file keeps the rest, and the statement its counts and total); a million agreeing rows are not
written row by row with a foreign key check each. All in one transaction; the same file for the
same funder and month is found again, never imported twice.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from pathlib import Path

import polars as pl
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.db.models import BigIntegerField, Count, Sum
from django.db.models.functions import Cast
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from jaring.accounts.rules import Capability
from jaring.accounts.scoping import require_in
from jaring.core import crypto, sealed
from jaring.core.bulk import write_frame
from jaring.core.crypto import file_sha256
from jaring.core.history import record_history
from jaring.core.spreadsheets import FileRefused, open_sheet
from jaring.enrolment.models import Enrolment
from jaring.enrolment.services import submissions_dir
from jaring.finance.models import FundingSource, InvoiceLine
from jaring.finance.protection import PROTECTING_STATUSES
from jaring.finance.reconciliation import rules
from jaring.finance.reconciliation.models import (
    Difference,
    Statement,
    StatementFormat,
    StatementLine,
)
from jaring.finance.services import credit_lines
from jaring.registry import rules as registry_rules
from jaring.registry.models import Worker

LINE_COLUMNS = ["statement_id", "row_number", "kpj", "nik_index", "amount", "active", "problem"]
# Temporary tables of one import (dropped before its transaction ends): the file as parsed, its
# rows read (duplicates marked, enrolments matched), the rows that differ, and what Jaring bills
# the statement's funder for the month, per enrolment.
STAGING = "recon_staging"
READ = "recon_read"
FOUND = "recon_found"
STAGING_COLUMNS = (
    "statement_id bigint, row_number integer, kpj varchar(20), nik_index varchar(64), "
    "amount bigint, active boolean, problem varchar(16)"
)
OURS = "recon_ours"
# The participants the file lists more than once (kpj, nik_index) and the row listing them first.
REPEATED = "recon_repeated"
REPEATED_SCHEMA = {"kpj": pl.String, "nik_index": pl.String, "row_number": pl.Int64}
REPEATED_TYPES = "kpj varchar(20), nik_index varchar(64), row_number integer"
IMPORT_WORK_MEM = "128MB"  # per sort or hash (hashes twice that): 1M rows hash in memory


def branch_columns(region_code: str) -> list[list[str]]:
    """The statement layout of the region's BPJS branch, or the default one."""
    branch = StatementFormat.objects.filter(
        office__kind="bpjs", office__region_id=region_code
    ).first()
    return branch.columns if branch else rules.DEFAULT_STATEMENT_COLUMNS


@dataclass
class ImportOutcome:
    statement: Statement
    created: bool
    by_kind: dict[str, int] = field(default_factory=dict)

    def summary(self) -> dict:
        s = self.statement
        return {
            "statement": s.pk,
            "created": self.created,
            "source": s.source.name,
            "month": s.month.strftime("%Y-%m"),
            "rows": s.rows,
            "rejected": s.rejected,
            "bpjs_total": s.bpjs_total,
            "ours_total": s.ours_total,
            "differences": self.by_kind,
        }


def differences_by_kind(statement: Statement) -> dict[str, int]:
    return dict(
        statement.differences.values("kind").annotate(n=Count("id")).values_list("kind", "n")
    )


def import_statement(
    source: FundingSource, month: datetime.date, path: Path, user, file_name: str = ""
) -> ImportOutcome:
    """Import a branch's statement for ``source`` and ``month`` and compare it with Jaring.

    Raises ``FileRefused`` (a ValueError, Indonesian message) when the file cannot be read;
    rows that cannot be read are kept with their reason (``StatementLine.problem``)."""
    require_in(user, Capability.MANAGE_FINANCE, source.region_id)
    month = month.replace(day=1)
    digest = file_sha256(path)
    with transaction.atomic():
        # One import per funder at a time: a concurrent re-import waits and then finds this one.
        FundingSource.objects.select_for_update().get(pk=source.pk)
        existing = Statement.objects.filter(source=source, month=month, sha256=digest).first()
        if existing is not None:
            return ImportOutcome(existing, False, differences_by_kind(existing))
        sheet = open_sheet(path, rules.statement_schema(branch_columns(source.region_id)))
        fields = sheet.layout.fields
        if "kpj" not in fields and "nik" not in fields:
            raise FileRefused(
                "missing_columns",
                "Kolom wajib tidak ditemukan: No KPJ (atau NIK). Kolom yang ada: "
                + ", ".join(sheet.layout.headers),
            )
        statement = Statement.objects.create(
            region_id=source.region_id,
            source=source,
            month=month,
            sha256=digest,
            file_name=(file_name or path.name)[:255],
            file_path="",
            imported_by=user,
        )
        kept = submissions_dir() / f"tagihan-{statement.pk}{path.suffix.lower()}"
        sealed.seal_file(path, kept)  # the branch's list of NIKs/KPJs: kept sealed, 0600
        with connection.cursor() as cursor:
            # The file goes into an unindexed temporary table first; StatementLine is then
            # written once, with its duplicates marked and its enrolment already matched.
            if connection.vendor == "postgresql":
                # A few bulk statements over the whole file: hash aggregates and joins that fit
                # in memory instead of sorts spilled to disk, and no JIT compilation (it cost
                # more than it saved on each statement here).
                cursor.execute(f"SET LOCAL work_mem = '{IMPORT_WORK_MEM}'")
                cursor.execute("SET LOCAL jit = off")
            cursor.execute(f"CREATE TEMPORARY TABLE {STAGING} ({STAGING_COLUMNS})")
            keys = []
            for chunk in sheet.chunks:
                lines = _lines(chunk, fields, statement)
                write_frame(STAGING, LINE_COLUMNS, lines)
                keys.append(lines.filter(pl.col("problem") == "").select(*REPEATED_SCHEMA))
            cursor.execute(f"CREATE TEMPORARY TABLE {REPEATED} ({REPEATED_TYPES})")
            write_frame(REPEATED, list(REPEATED_SCHEMA), _repeated(keys))
            if connection.vendor == "postgresql":  # unanalysed, it looks 100 times smaller
                cursor.execute(f"ANALYZE {STAGING}")
            _read_lines(cursor, statement)
            if connection.vendor == "postgresql":  # its statistics, so the joins below hash
                cursor.execute(f"ANALYZE {READ}")
            _match_the_rest(cursor, statement)
            _owed_per_enrolment(cursor, statement)
            _compare(cursor, statement)
            _count(cursor, statement, kept)
            for table in (STAGING, REPEATED, READ, FOUND, OURS):
                cursor.execute(f"DROP TABLE {table}")
        record_history(
            Difference,
            "t.statement_id = %s",
            [statement.pk],
            "+",
            getattr(user, "pk", None),
            f"Rekonsiliasi BPJS {month:%m/%Y} #{statement.pk}",
        )
    return ImportOutcome(statement, True, differences_by_kind(statement))


def _lines(chunk: pl.DataFrame, fields: dict[str, str], statement: Statement) -> pl.DataFrame:
    """One chunk of the file as ``StatementLine`` rows: parsed column-wise, a reason per bad row."""

    def cell(name: str) -> pl.Expr:
        return pl.col(fields[name]) if name in fields else pl.lit(None, dtype=pl.String)

    month = statement.month.strftime("%Y-%m")
    parsed = chunk.select(
        pl.col("_row").alias("row_number"),
        rules.kpj_expr(cell("kpj")).alias("digits"),
        cell("kpj").fill_null("").str.strip_chars().str.slice(0, 20).alias("written"),
        cell("nik").alias("nik"),
        cell("amount").alias("amount_text"),
        cell("status").alias("status_text"),
        cell("period").alias("period_text"),
    )
    parsed = _read_distinct(parsed, "amount_text", rules.rupiah_expr, "amount")
    if "status" in fields:
        parsed = _read_distinct(parsed, "status_text", rules.active_expr, "active")
    else:
        parsed = parsed.with_columns(pl.lit(True).alias("active"))
    if "period" in fields:
        parsed = _read_distinct(parsed, "period_text", rules.period_expr, "period")
    else:
        parsed = parsed.with_columns(pl.lit(month).alias("period"))
    # A row without a KPJ is found by its NIK's blind index (computed only for those rows).
    without_kpj = parsed.filter(pl.col("written") == "")
    indexes = {
        row: crypto.nik_index(nik) if nik else ""
        for row, nik in zip(
            without_kpj["row_number"],
            (registry_rules.normalise_nik(v)[0] for v in without_kpj["nik"]),
            strict=True,
        )
    }
    parsed = parsed.with_columns(
        pl.col("row_number")
        .replace_strict(indexes, default="", return_dtype=pl.String)
        .alias("nik_index")
    )
    problem = (
        pl.when((pl.col("written") != "") & (pl.col("digits").str.len_chars() != 11))
        .then(pl.lit(rules.Problem.KPJ_INVALID.value))
        .when((pl.col("written") == "") & (pl.col("nik_index") == ""))
        .then(pl.lit(rules.Problem.NO_PARTICIPANT.value))
        .when(pl.col("active").is_null())
        .then(pl.lit(rules.Problem.STATUS_UNKNOWN.value))
        .when(pl.col("amount").is_null() & pl.col("active"))
        .then(pl.lit(rules.Problem.AMOUNT_INVALID.value))
        .when(pl.col("period").is_null() | (pl.col("period") != month))
        .then(pl.lit(rules.Problem.OTHER_MONTH.value))
        .otherwise(pl.lit(""))
    )
    return parsed.select(
        pl.lit(statement.pk, dtype=pl.Int64).alias("statement_id"),
        "row_number",
        pl.when(pl.col("digits").str.len_chars() == 11)
        .then(pl.col("digits"))
        # kept as written to be fixed, but a NIK typed there is masked (core.masking's shape)
        .otherwise(pl.col("written").str.replace_all(r"(\d{4})\d{6,}", "${1}******"))
        .alias("kpj"),
        "nik_index",
        pl.when(pl.col("active") == False)  # noqa: E712 (a Polars expression)
        .then(pl.col("amount").fill_null(0))
        .otherwise(pl.col("amount"))
        .alias("amount"),
        "active",
        problem.alias("problem"),
    )


def _read_distinct(frame: pl.DataFrame, column: str, read, alias: str) -> pl.DataFrame:
    """``frame`` with ``alias``: ``read`` (a ``rules`` expression) applied to ``column`` once per
    distinct value — a statement repeats a handful of amounts, statuses and periods over a
    million rows, and the regular expressions were most of the parsing time. Row order is not
    kept (each row carries its row number)."""
    values = frame.select(pl.col(column).unique())
    read_values = values.with_columns(read(pl.col(column)).alias(alias))
    return frame.join(read_values, on=column, how="left", nulls_equal=True)


def _repeated(keys: list[pl.DataFrame]) -> pl.DataFrame:
    """Of the readable rows' keys (``REPEATED_SCHEMA``, every chunk's), the participants listed
    more than once, each with its first row: one Polars aggregate over the file's keys (a hash
    aggregate of a million text keys in PostgreSQL took longer than the rest of the match)."""
    frame = pl.concat(keys) if keys else pl.DataFrame(schema=REPEATED_SCHEMA)
    return (
        frame.group_by("kpj", "nik_index")
        .agg(pl.col("row_number").min(), pl.len().alias("listed"))
        .filter(pl.col("listed") > 1)
        .select(*REPEATED_SCHEMA)
    )


def _table(model) -> str:
    return connection.ops.quote_name(model._meta.db_table)


def _read_lines(cursor, statement: Statement) -> None:
    """The staged file read, into ``READ``: a participant listed again further down is refused
    (``duplicate``; ``REPEATED`` names them), and a readable row gets the usual match at once —
    this funder's enrolment with that KPJ covering the month (hash joins). Rows left unmatched
    are ranked by ``_match_the_rest``."""
    enrolments = _table(Enrolment)
    readable = [rules.Problem.KPJ_INVALID.value, rules.Problem.NO_PARTICIPANT.value]
    cursor.execute(
        f"CREATE TEMPORARY TABLE {READ} AS "  # nosec B608
        f"SELECT s.statement_id, s.row_number, s.kpj, s.nik_index, s.amount, s.active, "
        f"CASE WHEN s.row_number > d.row_number THEN %s ELSE s.problem END AS problem, "
        f"CASE WHEN s.problem NOT IN (%s, %s) AND (d.row_number IS NULL "
        f"OR s.row_number = d.row_number) THEN m.id END AS enrolment_id "
        f"FROM {STAGING} AS s "
        f"LEFT JOIN {REPEATED} AS d "
        f"ON s.problem = '' AND d.kpj = s.kpj AND d.nik_index = s.nik_index "
        f"LEFT JOIN (SELECT kpj_number, MIN(id) AS id FROM {enrolments} WHERE source_id = %s "
        f"AND kpj_number <> '' AND start_month <= %s AND end_month >= %s "
        f"GROUP BY kpj_number) AS m ON s.kpj <> '' AND m.kpj_number = s.kpj",
        [
            rules.Problem.DUPLICATE.value,
            *readable,
            statement.source_id,
            statement.month,
            statement.month,
        ],
    )


def _match_the_rest(cursor, statement: Statement) -> None:
    """Rows the usual match did not find (another funder, an ended enrolment, a row without a
    KPJ): the enrolment in the region by KPJ (or by NIK where the row has none), the one
    covering the month first, then this funder's, then the latest."""
    enrolments = _table(Enrolment)
    sources, workers = _table(FundingSource), _table(Worker)
    refused = [
        rules.Problem.KPJ_INVALID.value,
        rules.Problem.NO_PARTICIPANT.value,
        rules.Problem.DUPLICATE.value,
    ]
    by_nik = f"e.worker_id = (SELECT id FROM {workers} WHERE nik_index = l.nik_index)"  # nosec B608
    for join, condition in (("e.kpj_number = l.kpj", "l.kpj <> ''"), (by_nik, "l.kpj = ''")):
        cursor.execute(
            f"UPDATE {READ} AS t SET enrolment_id = m.enrolment_id FROM ("  # nosec B608
            f"SELECT l.row_number, e.id AS enrolment_id, ROW_NUMBER() OVER ("
            f"PARTITION BY l.row_number "
            f"ORDER BY CASE WHEN e.start_month <= %s AND e.end_month >= %s THEN 0 ELSE 1 END, "
            f"CASE WHEN e.source_id = %s THEN 0 ELSE 1 END, e.start_month DESC, e.id DESC) AS n "
            f"FROM {READ} AS l JOIN {enrolments} AS e ON {join} "
            f"JOIN {sources} AS fs ON fs.id = e.source_id "
            f"WHERE {condition} AND l.enrolment_id IS NULL "
            f"AND l.problem NOT IN (%s, %s, %s) "
            f"AND fs.region_id = %s) AS m WHERE t.row_number = m.row_number AND m.n = 1",
            [
                statement.month,
                statement.month,
                statement.source_id,
                *refused,
                statement.region_id,
            ],
        )


def _owed_per_enrolment(cursor, statement: Statement) -> None:
    """Jaring's bill for the statement's funder and month (``InvoiceLine.objects.owed_for``,
    credited lines left out), per enrolment, into a temporary table the comparison and the
    statement's total read."""
    owed = (
        InvoiceLine.objects.owed_for(statement.source_id, statement.month)
        .values("enrolment_id")
        .annotate(amount=Cast(Sum("amount"), BigIntegerField()))  # PostgreSQL sums to numeric
    )
    sql, params = owed.query.sql_with_params()
    cursor.execute(f"CREATE TEMPORARY TABLE {OURS} AS {sql}", params)  # nosec B608
    if connection.vendor == "postgresql":
        cursor.execute(f"ANALYZE {OURS}")


def _compare(cursor, statement: Statement) -> None:
    """Every difference, into ``FOUND`` by one full join of the rows read with Jaring's bill:
    the statement's rows that differ (kept as lines, with the rows refused) and Jaring's billed
    participants the statement does not list (no row: ``row_number`` is null)."""
    lines, enrolments, differences = _table(StatementLine), _table(Enrolment), _table(Difference)
    month, source = statement.month, statement.source_id
    statuses = ", ".join(["%s"] * len(PROTECTING_STATUSES))
    covered = (
        f"(e.status IN ({statuses}) AND e.kpj_number <> '' "
        f"AND e.start_month <= %s AND e.end_month >= %s)"
    )
    covered_params = [*PROTECTING_STATUSES, month, month]
    C = rules.Cause
    cause = (
        "CASE WHEN l.row_number IS NULL THEN %s "
        "WHEN l.active THEN CASE "
        "WHEN o.amount IS NOT NULL THEN CASE WHEN o.amount = l.amount THEN NULL "
        "WHEN l.amount > o.amount THEN %s ELSE %s END "
        "WHEN e.id IS NULL THEN %s "
        "WHEN e.source_id <> %s THEN %s "
        "WHEN e.status = 'cancelled' OR e.end_month < %s THEN "
        "CASE WHEN e.end_reason = 'death' THEN %s ELSE %s END "
        f"WHEN {covered} THEN %s "
        "ELSE %s END "
        f"WHEN o.amount IS NOT NULL OR (e.source_id = %s AND {covered}) THEN %s "
        "ELSE NULL END"
    )
    cause_params = [
        C.NOT_AT_BRANCH,
        C.AMOUNT_HIGHER,
        C.AMOUNT_LOWER,
        C.UNKNOWN_KPJ,
        source,
        C.OTHER_SOURCE,
        month,
        C.DEATH_UNREPORTED,
        C.EXIT_UNREPORTED,
        *covered_params,
        C.NOT_BILLED,
        C.OUTSIDE_PERIOD,
        source,
        *covered_params,
        C.ENDED_AT_BRANCH,
    ]
    kind_cases = " ".join(["WHEN %s THEN %s"] * len(rules.KIND_OF_CAUSE))
    kind_params = [str(v) for pair in rules.KIND_OF_CAUSE.items() for v in pair]
    columns = (
        "statement_id, kind, cause, line_id, enrolment_id, kpj, bpjs_amount, ours_amount, "
        "action, note"
    )
    cursor.execute(
        f"CREATE TEMPORARY TABLE {FOUND} AS SELECT * FROM ("  # nosec B608
        f"SELECT {cause} AS cause, l.row_number, e.id AS enrolment_id, "
        f"COALESCE(l.kpj, e.kpj_number) AS kpj, l.amount AS bpjs_amount, o.amount AS ours_amount "
        f"FROM {READ} AS l FULL JOIN {OURS} AS o ON o.enrolment_id = l.enrolment_id "
        f"LEFT JOIN {enrolments} AS e ON e.id = COALESCE(l.enrolment_id, o.enrolment_id) "
        # An active row billed at the same amount agrees whatever its enrolment says: left
        # out at the full join, so the join to the enrolments meets only the few that differ
        # and the bill's participants with no row (looked up by key, a nested loop at 1M). The
        # amounts are compared with IS DISTINCT FROM, whose selectivity PostgreSQL reads from
        # their statistics: a COALESCE there it guessed at half the file, and it hashed the
        # whole enrolment table.
        f"WHERE l.row_number IS NULL "
        f"OR (l.problem = '' AND (NOT l.active OR o.amount IS DISTINCT FROM l.amount))"
        f") AS c WHERE c.cause IS NOT NULL",
        [str(p) for p in cause_params],
    )
    line_columns = ", ".join([*LINE_COLUMNS, "enrolment_id"])
    cursor.execute(
        f"INSERT INTO {lines} ({line_columns}) SELECT {line_columns} FROM {READ} AS l "  # nosec B608
        f"WHERE l.problem <> '' OR l.row_number IN (SELECT f.row_number FROM {FOUND} AS f)"
    )
    cursor.execute(
        f"INSERT INTO {differences} ({columns}) SELECT %s, CASE f.cause {kind_cases} END, "  # nosec B608
        f"f.cause, l.id, f.enrolment_id, f.kpj, f.bpjs_amount, f.ours_amount, '', '' "
        f"FROM {FOUND} AS f LEFT JOIN {lines} AS l "
        f"ON l.statement_id = %s AND l.row_number = f.row_number "
        f"ORDER BY f.row_number IS NULL, f.row_number, f.enrolment_id",
        [statement.pk, *kind_params, statement.pk],
    )


def _count(cursor, statement: Statement, kept: Path) -> None:
    """The statement's rows read, rows refused and BPJS's total over the active rows it could
    read (from ``READ``: the agreeing rows are not kept as lines), and Jaring's total: the sum
    of ``OURS``, the bill just compared (the month's lines are not read a second time)."""
    cursor.execute(
        f"SELECT COUNT(*), COUNT(CASE WHEN problem <> '' THEN 1 END), "  # nosec B608
        f"COALESCE(SUM(CASE WHEN problem = '' AND active THEN amount END), 0), "
        f"(SELECT COALESCE(SUM(amount), 0) FROM {OURS}) FROM {READ}"
    )
    counts = map(int, cursor.fetchone())
    statement.rows, statement.rejected, statement.bpjs_total, statement.ours_total = counts
    statement.file_path = str(kept)
    statement.save(update_fields=["rows", "rejected", "bpjs_total", "ours_total", "file_path"])


def purge_statement_files(before: datetime.datetime) -> dict[str, int]:
    """Retention: the sealed copy of a branch's statement (it lists KPJs and NIKs) imported
    before ``before`` is deleted; the statement keeps its lines, differences, totals and
    checksum, so a re-import of the same file is still recognised."""
    files = 0
    old = Statement.objects.filter(imported_at__lt=before).exclude(file_path="")
    for path in old.values_list("file_path", flat=True).iterator():
        if Path(path).is_file():
            Path(path).unlink()
            files += 1
    old.update(file_path="")
    return {"statement_files": files}


@transaction.atomic
def decide(difference: Difference, action: str, note: str, user) -> Difference:
    """Record what is done about a difference, by whom, when and why. Accepting BPJS's figure
    where BPJS bills nothing for a month Jaring billed credits that month (a credit note)."""
    statement = difference.statement
    require_in(user, Capability.MANAGE_FINANCE, statement.region_id)
    difference = Difference.objects.select_for_update().get(pk=difference.pk)
    if action not in rules.Action.values:
        raise ValidationError(_("Choose an action."), code="action_invalid")
    if not note.strip():
        raise ValidationError(_("Say why (the note is required)."), code="note_missing")
    if difference.action:
        raise ValidationError(
            _("This difference has already been decided."), code="difference_decided"
        )
    if (
        action == rules.Action.ACCEPT_BPJS
        and rules.credits_on_accept(difference.kind)
        and difference.enrolment_id
    ):
        lines = InvoiceLine.objects.filter(
            invoice__source=statement.source_id, month=statement.month
        )
        difference.credit_note = credit_lines(
            difference.enrolment,
            lines,
            f"Rekonsiliasi BPJS {statement.month:%m/%Y}: {note.strip()}",
            user,
        )
    difference.action, difference.note = action, note.strip()[:255]
    difference.acted_by, difference.acted_at = user, timezone.now()
    difference._history_user = user
    difference.save()
    return difference
