"""Writes about money: allocations, billing runs (set-based, idempotent) and payments.

Every rupiah that moves is a row with who recorded it and when; allocations, invoices and
payments keep a change history.
"""

from __future__ import annotations

import datetime
import itertools
import time
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction

from django.core.exceptions import ValidationError
from django.db import DatabaseError, IntegrityError, connection, transaction
from django.db.models import Count, Exists, OuterRef, Q, Sum
from django.utils.translation import gettext_lazy as _

from jaring.accounts.rules import Capability
from jaring.accounts.scoping import require_in
from jaring.core import partitions
from jaring.core.bulk import analyze_if_stale
from jaring.core.events import Change, region_changed
from jaring.core.history import record_history
from jaring.core.metrics import BILLING_SECONDS, timed
from jaring.core.sqlstates import DEADLOCK_DETECTED, UNIQUE_VIOLATION, sqlstate
from jaring.enrolment.models import Enrolment
from jaring.enrolment.services import end_enrolment
from jaring.finance import changes
from jaring.finance.allocation import paid_bounds
from jaring.finance.models import (
    Allocation,
    CreditNote,
    FundingSource,
    Invoice,
    InvoiceLine,
    Lapse,
    Payment,
)
from jaring.finance.protection import (
    PROTECTING_STATUSES,
    add_months,
    paid_through_sql,
    payments_counted_until,
    protected_sql,
    reactivation_window,
    tolerated_arrears,
)
from jaring.finance.reconciliation.models import Statement
from jaring.programs import rules as program_rules
from jaring.programs.rulebook import RuleBook, default_rulebook
from jaring.regions.models import Region
from jaring.registry.models import Occupation, Worker


@transaction.atomic
def allocate(
    source: FundingSource, fiscal_year: int, amount: int, user, budget_document: str = ""
) -> Allocation:
    """Set (or revise) a year's allocation; a revision keeps the old figure in the history."""
    require_in(user, Capability.MANAGE_FINANCE, source.region_id)
    if isinstance(amount, bool) or not isinstance(amount, int) or amount < 0:
        raise ValidationError(
            _("The allocation must be whole rupiah, not negative."), code="allocation_invalid"
        )
    allocation, created = Allocation.objects.select_for_update().get_or_create(
        source=source,
        fiscal_year=fiscal_year,
        defaults={"amount": amount, "budget_document": budget_document, "created_by": user},
    )
    if not created and (allocation.amount, allocation.budget_document) != (amount, budget_document):
        allocation.amount, allocation.budget_document = amount, budget_document
        allocation._history_user = user
        allocation.save(update_fields=["amount", "budget_document"])
    region_changed(source.region_id, Change.MONEY)
    return allocation


@dataclass(frozen=True)
class BillingResult:
    month: datetime.date
    invoices: list[dict]
    # Sources not billed, each with why (no allocation for the year, nobody to bill).
    refused: tuple[dict, ...] = ()

    def summary(self) -> dict:
        return {
            "month": self.month.strftime("%Y-%m"),
            "invoices": self.invoices,
            "refused": list(self.refused),
            "new_lines": sum(i["new_lines"] for i in self.invoices),
            # Participant-months another funder already owes: not billed, counted here.
            "skipped_other_funder": sum(i["skipped_other_funder"] for i in self.invoices),
            "total": sum(i["total"] for i in self.invoices),
        }


def sources_of(region: Region, name: str | None = None):
    # Inactive only means "offered to no new plan": its committed participants are still billed.
    sources = FundingSource.objects.filter(region=region)
    if name:
        sources = sources.filter(name__iexact=name) | sources.filter(kind=name)
    return sources.order_by("pk")


# A billing transaction holds an advisory lock per funding source until it commits
# (``finance.changes.begin``), and PostgreSQL's shared lock table holds
# max_locks_per_transaction × max_connections locks of every session (6,400 by default). A
# caller's own enclosing transaction keeps every group's locks until it ends.
SOURCES_PER_TRANSACTION = 1_000


def bill_month(
    region: Region,
    month: datetime.date,
    user,
    source_name: str | None = None,
    book: RuleBook | None = None,
) -> BillingResult:
    """Bill every covered enrolment of the region's sources for one month. Re-runs add nothing.

    A source with no allocation for the month's year, or with nobody enrolled (no committed
    plan) for the month, is not billed: no empty invoice is made, and the result says why. When
    no source can be billed the run is refused with those reasons (``ValidationError``)."""
    require_in(user, Capability.MANAGE_FINANCE, region.code)
    nobody = ValidationError(
        _("%(region)s has no active funding source to bill."),
        code="no_source",
        params={"region": region.name},
    )
    return _bill(sources_of(region, source_name), month, user, book, nobody)


def bill_month_everywhere(
    month: datetime.date, user=None, book: RuleBook | None = None
) -> BillingResult:
    """``bill_month`` for every funding source of the instance in one run (``jaring bill
    --all``): how a national instance bills its 514 kabupaten/kota. A month's first run then
    loads every funder's lines into the month's new partition at once, instead of one region
    after another each paying PostgreSQL's row-by-row key checks."""
    require_in(user, Capability.MANAGE_FINANCE, None)
    nobody = ValidationError(_("There is no funding source to bill."), code="no_source")
    return _bill(FundingSource.objects.order_by("pk"), month, user, book, nobody)


def _bill(sources, month: datetime.date, user, book: RuleBook | None, nobody) -> BillingResult:
    month = month.replace(day=1)
    book = book or default_rulebook()
    billable, invoices, refused = [], [], []
    with timed(BILLING_SECONDS):
        # A month's partition made ahead and still empty goes: the month's first run writes its
        # lines into a table of its own that becomes the partition.
        partitions.drop_if_empty(partitions.INVOICE_LINES, month)
        for source in with_refusals(sources, month):
            if source.refusal is None:
                billable.append(source)
            else:
                refused.append(
                    {
                        "source": source.name,
                        "code": source.refusal.code,
                        "reason": source.refusal.messages[0],
                    }
                )
        for group in itertools.batched(billable, SOURCES_PER_TRANSACTION):
            invoices += _bill_sources(group, month, user, book)
    if not invoices:
        raise ValidationError(
            [ValidationError(r["reason"], code=r["code"]) for r in refused] or [nobody]
        )
    # The journal is read by every billing: kept small here (it waits for no one).
    changes.prune()
    for region_code in sorted({source.region_id for source in billable}):
        region_changed(region_code, Change.MONEY)
    return BillingResult(month, invoices, tuple(refused))


def with_refusals(sources, month: datetime.date) -> list[FundingSource]:
    """The sources (a queryset), each with ``refusal``: why it cannot be billed for ``month``
    (None: it can) — no allocation for that fiscal year, or no enrolment with a KPJ covering
    the month (no committed plan). One read for them all."""
    billable = Enrolment.objects.filter(
        source=OuterRef("pk"),
        status__in=PROTECTING_STATUSES,
        start_month__lte=month,
        end_month__gte=month,
    ).exclude(kpj_number="")
    allocated = Allocation.objects.filter(source=OuterRef("pk"), fiscal_year=month.year)
    sources = list(sources.annotate(allocated=Exists(allocated), billable=Exists(billable)))
    for source in sources:
        source.refusal = None
        if not source.allocated:
            source.refusal = ValidationError(
                _("%(source)s has no allocation for %(year)s: allocate the budget first."),
                code="allocation_missing",
                params={"source": source.name, "year": month.year},
            )
        elif not source.billable:
            source.refusal = ValidationError(
                _(
                    "%(source)s has nobody to bill for %(month)s: no committed plan covers the "
                    "month, or BPJS has not yet given KPJ numbers."
                ),
                code="nothing_to_bill",
                params={"source": source.name, "month": month.strftime("%m/%Y")},
            )
    return sources


# A billing that lost a race it wins by beginning again: PostgreSQL found it in a deadlock, or
# writers kept it waiting for several sources' locks past its bound (``changes.SourcesBusy``).
RACE_ATTEMPTS = 5


def _bill_sources(sources, month: datetime.date, user, book: RuleBook) -> list[dict]:
    """A month's first run bills the sources in one transaction, into the month's new
    partition (``_bill_new_month``); later runs bill them one by one, each in a transaction of
    its own, so that a source's writers wait only for that source's billing."""
    if partitions.month_is_new(partitions.INVOICE_LINES, month):
        return _retrying(lambda: _bill_together(sources, month, user, book))
    return [
        _retrying(lambda source=source: _bill_alone(source, month, user, book))
        for source in sources
    ]


def _bill_alone(source: FundingSource, month: datetime.date, user, book: RuleBook) -> dict:
    """One source in a transaction of its own: its invoice, then its billing."""
    return _bill_source(source, _open_invoices([source], month, user)[0], month, user, book)


def _retrying[T](bill: Callable[[], T]) -> T:
    """``bill()`` in a transaction of its own; one that lost a race (``DEADLOCK_DETECTED``,
    ``changes.SourcesBusy``) is rolled back and begins again after a short pause, at most
    ``RACE_ATTEMPTS`` times."""
    attempt = 1
    while True:
        try:
            with transaction.atomic():
                return bill()
        except (DatabaseError, changes.SourcesBusy) as error:
            deadlock = sqlstate(error) == DEADLOCK_DETECTED
            if attempt == RACE_ATTEMPTS or not (deadlock or isinstance(error, changes.SourcesBusy)):
                raise
        time.sleep(0.2 * attempt)
        attempt += 1


def _bill_together(sources, month: datetime.date, user, book: RuleBook) -> list[dict]:
    """The sources' invoices (every row lock before the month's lock, the order a single
    source's run takes them in: two runs cannot wait for each other), then the month's new
    partition, or source by source if another run made it meanwhile."""
    invoices = _open_invoices(sources, month, user)
    staged = partitions.begin_bulk_month(partitions.INVOICE_LINES, month)
    if staged is None:
        return [
            _bill_source(source, invoice, month, user, book)
            for source, invoice in zip(sources, invoices, strict=True)
        ]
    return _bill_new_month(sources, invoices, staged, month, user, book)


def _open_invoices(sources, month: datetime.date, user) -> list[Invoice]:
    """Each source's invoice for the month, in the sources' order, made if missing (with its
    history row) and locked until the billing commits (in source order). Another run making
    the same invoice meanwhile is waited for, and its invoice is used."""
    Invoice.objects.bulk_create(
        [
            Invoice(
                source=source,
                month=month,
                number=f"TGH/{source.region_id}/{source.pk}/{month:%Y-%m}",
                created_by=user,
            )
            for source in sources
        ],
        ignore_conflicts=True,
    )
    locked = Invoice.objects.select_for_update().filter(source__in=sources, month=month)
    by_source = {invoice.source_id: invoice for invoice in locked.order_by("source_id")}
    invoices = [by_source[source.pk] for source in sources]
    history = connection.ops.quote_name(Invoice.history.model._meta.db_table)
    _record_invoice_history(
        invoices,
        "+",
        user,
        f"NOT EXISTS (SELECT 1 FROM {history} AS h WHERE h.id = t.id)",  # nosec B608
    )
    return invoices


def _record_invoice_history(
    invoices: list[Invoice], history_type: str, user, condition: str = ""
) -> None:
    """A history row for each of ``invoices`` (``condition`` on ``t`` narrowing them), set-based
    (``core.history.record_history``)."""
    ids = [invoice.pk for invoice in invoices]
    where = f"t.id IN ({', '.join(['%s'] * len(ids))})" + (f" AND {condition}" if condition else "")
    record_history(Invoice, where, ids, history_type, getattr(user, "pk", None), "")


def _fraction_sql(column: str, value) -> tuple[str, list[int]]:
    """``round(column × value)`` half-up, in integer SQL arithmetic (exact, no floats)."""
    ratio = Fraction(value)
    return f"(({column} * %s * 2 + %s) / %s)", [
        ratio.numerator,
        ratio.denominator,
        2 * ratio.denominator,
    ]


def _program_amount_sql(
    params: program_rules.ContributionParameters, program: program_rules.Program
) -> tuple[str, list]:
    if params.relief_factor is None or program not in params.relief_programs:
        return _base_amount_sql(params, program, Decimal(1))
    base, base_params = _base_amount_sql(params, program, Decimal(1))
    relieved, relieved_params = _base_amount_sql(params, program, params.relief_factor)
    group = f"o.{connection.ops.quote_name('group')}"
    named = sorted(params.relief_groups)
    conditions, condition_params = [], []
    if named:
        conditions.append(f"{group} IN ({', '.join(['%s'] * len(named))})")
        condition_params += named
    if params.relief_all_but is not None:  # every group but these (PP 50/2025, non-transport)
        others = sorted(params.relief_all_but)
        conditions.append(
            f"{group} NOT IN ({', '.join(['%s'] * len(others))})" if others else "1 = 1"
        )
        condition_params += others
    return (
        f"CASE WHEN {' OR '.join(conditions)} THEN {relieved} ELSE {base} END",
        [*condition_params, *relieved_params, *base_params],
    )


def _base_amount_sql(
    params: program_rules.ContributionParameters, program: program_rules.Program, factor: Decimal
) -> tuple[str, list]:
    if program in params.rates:
        return _fraction_sql("e.declared_income", params.rates[program] * factor)
    return "%s", [program_rules.whole_rupiah(params.flat[program] * factor)]


# The columns billing writes, in the order ``_priced_sql`` selects them.
LINE_COLUMNS = ", ".join(
    ["invoice_id", "enrolment_id", "worker_id", "month", *InvoiceLine.PROGRAM_AMOUNTS.values()]
    + ["amount"]
)


def _priced_sql(
    source: FundingSource,
    invoice: Invoice,
    month: datetime.date,
    params: program_rules.ContributionParameters,
    conditions: str = "",
) -> tuple[str, list]:
    """One row per participant-month of ``source`` billed on ``invoice`` (``LINE_COLUMNS``):
    each programme priced, and their sum. ``conditions`` on the enrolment ``e`` are added to the
    coverage's (their parameters follow the returned ones)."""
    quote = connection.ops.quote_name
    amounts, amount_params = [], []
    for program in map(program_rules.Program, InvoiceLine.PROGRAM_AMOUNTS):
        amount_sql, params_of = _program_amount_sql(params, program)
        if program not in program_rules.MANDATORY_PROGRAMS:  # optional (JHT): when taken
            amount_sql, params_of = (
                f"CASE WHEN e.programs LIKE %s THEN {amount_sql} ELSE 0 END",
                [f"%{program.value}%", *params_of],
            )
        amounts.append(f"{amount_sql} AS {InvoiceLine.PROGRAM_AMOUNTS[program]}")
        amount_params += params_of
    occupation_join = ""
    if params.relief_factor is not None:  # only relief needs the worker's occupation
        occupation_join = (
            f"JOIN {quote(Worker._meta.db_table)} AS w ON w.id = e.worker_id "
            f"JOIN {quote(Occupation._meta.db_table)} AS o ON o.code = w.occupation_id "
        )
    statuses = ", ".join(["%s"] * len(PROTECTING_STATUSES))
    each = [f"a.{column}" for column in InvoiceLine.PROGRAM_AMOUNTS.values()]
    sql = (
        f"SELECT %s, a.id, a.worker_id, %s, {', '.join(each)}, {' + '.join(each)} "
        f"FROM (SELECT e.id, e.worker_id, {', '.join(amounts)} "  # nosec B608
        f"FROM {quote(Enrolment._meta.db_table)} AS e {occupation_join}"
        # Billed: whoever an enrolment with a KPJ covers that month (protection's statuses).
        f"WHERE e.source_id = %s AND e.status IN ({statuses}) "
        f"AND e.kpj_number <> '' AND e.start_month <= %s AND e.end_month >= %s {conditions}"
        ") AS a"
    )
    return sql, [
        *(invoice.pk, month, *amount_params, source.pk, *PROTECTING_STATUSES),
        *(month, month),
    ]


@dataclass
class _SourceBilling:
    """One source's part of a month's first run."""

    source: FundingSource
    invoice: Invoice
    params: program_rules.ContributionParameters
    new_lines: int = 0
    skipped: int = 0


def _bill_new_month(
    sources, invoices, staged: str, month: datetime.date, user, book: RuleBook
) -> list[dict]:
    """The month's first run (PostgreSQL): no line of the month exists anywhere, so nobody is
    billed yet. Every source's lines go into ``staged``, a standalone table that then becomes
    the month's partition: the foreign keys are checked and the indexes built once for the
    set, not row by row. A participant-month that two enrolments cover keeps one line
    (``_keep_one_funder``); the other is counted as owed by another funder, as a later run
    counts it (``_unbilled_and_owed``). A source whose checkpoint still holds is reported as it
    was (as in ``_bill_source``)."""
    source_ids = [source.pk for source in sources]
    position = changes.begin_sources(source_ids, month)
    holding = changes.unchanged_sources(source_ids, month)
    billings = [
        _SourceBilling(
            source,
            invoice,
            program_rules.contribution_parameters(book, month, source.rule_funding),
            skipped=holding[source.pk].skipped_other_funder if source.pk in holding else 0,
        )
        for source, invoice in zip(sources, invoices, strict=True)
    ]
    to_bill = [b for b in billings if b.source.pk not in holding]
    _load_new_month(to_bill, staged, month)
    changes.checkpoint_sources(month, position, {b.source.pk: b.skipped for b in to_bill})
    _record_totals([b.invoice for b in to_bill if b.new_lines], month, user)
    return [_billed(b.invoice, b.source, b.new_lines, b.skipped, b.params) for b in billings]


def _load_new_month(billings: list[_SourceBilling], staged: str, month: datetime.date) -> None:
    """Each source's lines into ``staged``, one funder kept per participant-month, then
    ``staged`` attached as the month's partition."""
    quote = connection.ops.quote_name
    sequence = partitions.identity_sequence(InvoiceLine._meta.db_table)
    analyze_if_stale(Enrolment)
    with connection.cursor() as cursor:
        for billing in billings:
            priced, priced_params = _priced_sql(
                billing.source, billing.invoice, month, billing.params
            )
            cursor.execute(
                f"INSERT INTO {quote(staged)} (id, {LINE_COLUMNS}) "  # nosec B608
                f"SELECT nextval(%s), priced.* FROM ({priced}) AS priced",
                [sequence, *priced_params],
            )
            billing.new_lines = cursor.rowcount
        # Several funders often share a worker: one pass keeps one line each before the attach.
        # One funder gives a worker two lines only when two of its enrolments cover the month
        # (rare): the partition's unique index, which the attach builds anyway, finds them, and
        # only then does the pass run (≈ 0.6 s saved at 1M lines).
        several = len(billings) > 1
        if several:
            _keep_one_funder(cursor, staged, billings)
        try:
            attached = partitions.attach(cursor, InvoiceLine._meta.db_table, month)
        except IntegrityError as error:
            if several or sqlstate(error) != UNIQUE_VIOLATION:
                raise
            _keep_one_funder(cursor, staged, billings)
            attached = partitions.attach(cursor, InvoiceLine._meta.db_table, month)
        if attached:
            # Statistics now, while the month is new: the re-run and the payments plan on them.
            cursor.execute(f"ANALYZE {quote(staged)}")


def _keep_one_funder(cursor, staged: str, billings: list[_SourceBilling]) -> None:
    """One funder per participant-month in a month's new lines: of the lines of one worker, the
    one of the invoice billed first (``billings`` in run order) and then of the earliest
    enrolment stays (billing source by source keeps the line of the funder billed first; two
    enrolments of the same funder covering one month, which it refuses by the unique
    constraint, keep the earlier one here), and the others go: each billing's count moves from
    new lines to skipped. One grouping pass over the lines; only the workers with two lines are
    ranked."""
    table = connection.ops.quote_name(staged)
    cursor.execute(
        f"WITH twice AS (SELECT worker_id FROM {table} GROUP BY worker_id "  # nosec B608
        "HAVING count(*) > 1), "
        "ranked AS (SELECT l.id, ROW_NUMBER() OVER (PARTITION BY l.worker_id "
        "ORDER BY array_position(%s::bigint[], l.invoice_id), l.enrolment_id) AS rank "
        f"FROM {table} AS l JOIN twice USING (worker_id)), "
        f"gone AS (DELETE FROM {table} AS l USING ranked AS r WHERE l.id = r.id AND r.rank > 1 "
        "RETURNING l.invoice_id) "
        "SELECT invoice_id, count(*) FROM gone GROUP BY invoice_id",
        [[billing.invoice.pk for billing in billings]],
    )
    taken = dict(cursor.fetchall())
    for billing in billings:
        billing.new_lines -= taken.get(billing.invoice.pk, 0)
        billing.skipped += taken.get(billing.invoice.pk, 0)


def _bill_source(
    source: FundingSource, invoice: Invoice, month: datetime.date, user, book: RuleBook
) -> dict:
    """Bill one source for a month that has lines already, on its open ``invoice``: one
    INSERT … SELECT prices every programme of every enrolment not yet billed, unless nothing
    changed since the last run."""
    params = program_rules.contribution_parameters(book, month, source.rule_funding)
    # Under the invoice's row lock and before anything is counted (finance.changes says why
    # no concurrent change is missed): a funder-month billed completely with no change since
    # is reported as it was, without reading its enrolments and the month's lines again.
    position = changes.begin(source.pk, month)
    checkpoint = changes.unchanged(source.pk, month)
    if checkpoint is not None:
        return _billed(invoice, source, 0, checkpoint.skipped_other_funder, params)
    lines = connection.ops.quote_name(InvoiceLine._meta.db_table)
    analyze_if_stale(Enrolment)
    analyze_if_stale(partitions.month_table(partitions.INVOICE_LINES, month))
    new_lines = 0
    with connection.cursor() as cursor:
        unbilled, skipped = _unbilled_and_owed(cursor, source, month)
        if unbilled:
            # Billed already (a re-run): skipped by an anti-join. Concurrent runs queue on the
            # invoice's row lock; the unique constraint is the last line of defence. Owed by
            # another funder already (one funder per participant-month, which the constraint
            # line_one_funder_per_month enforces): not billed twice.
            not_billed = (
                f"AND NOT EXISTS (SELECT 1 FROM {lines} AS done "  # nosec B608
                "WHERE done.enrolment_id = e.id AND done.month = %s) "
                f"AND NOT EXISTS (SELECT 1 FROM {lines} AS other "
                "WHERE other.worker_id = e.worker_id AND other.month = %s "
                "AND other.credit_note_id IS NULL)"
            )
            priced, priced_params = _priced_sql(source, invoice, month, params, not_billed)
            cursor.execute(
                f"INSERT INTO {lines} ({LINE_COLUMNS}) {priced}",  # nosec B608
                [*priced_params, month, month],
            )
            new_lines = cursor.rowcount
            if new_lines:
                changes.lines_billed(cursor, invoice.pk, month)
    changes.checkpoint(source.pk, month, position, skipped)
    if new_lines:
        _record_totals([invoice], month, user)
    return _billed(invoice, source, new_lines, skipped, params)


def _record_totals(invoices: list[Invoice], month: datetime.date, user) -> None:
    """Each invoice's total and line count from its lines (one grouped read of the month), in
    one write, each change kept in the invoice's history."""
    if not invoices:
        return
    totals = {
        row["invoice"]: row
        for row in InvoiceLine.objects.filter(month=month, invoice__in=invoices)
        .values("invoice")
        .annotate(total=Sum("amount"), count=Count("id"))
    }
    for invoice in invoices:
        row = totals.get(invoice.pk, {"total": 0, "count": 0})
        invoice.total, invoice.line_count = row["total"] or 0, row["count"]
    Invoice.objects.bulk_update(invoices, ["total", "line_count"])
    _record_invoice_history(invoices, "~", user)


def _billed(
    invoice: Invoice,
    source: FundingSource,
    new_lines: int,
    skipped: int,
    params: program_rules.ContributionParameters,
) -> dict:
    return {
        "invoice": invoice.number,
        "source": source.name,
        "new_lines": new_lines,
        "lines": invoice.line_count,
        "total": invoice.total,
        "skipped_other_funder": skipped,
        "rule_refs": list(params.rule_refs),
    }


def _unbilled_and_owed(cursor, source: FundingSource, month: datetime.date) -> tuple[int, int]:
    """How many of ``source``'s participants covered in ``month`` have no line for it yet
    and nobody else owes it (what an INSERT would bill), and how many were not billed because
    another enrolment (another funder) already owes that participant-month.

    One pass with hash joins on the month's lines (each join meets at most one line per row:
    ``invoice_line_once`` and ``line_one_funder_per_month``); a re-run that finds nothing
    unbilled writes nothing."""
    quote = connection.ops.quote_name
    lines = quote(InvoiceLine._meta.db_table)
    statuses = ", ".join(["%s"] * len(PROTECTING_STATUSES))
    cursor.execute(
        "SELECT count(*) FILTER (WHERE done.enrolment_id IS NULL AND other.worker_id IS NULL), "
        "count(*) FILTER (WHERE other.enrolment_id <> e.id) "
        f"FROM {quote(Enrolment._meta.db_table)} AS e "  # noqa: S608  # nosec B608
        f"LEFT JOIN (SELECT enrolment_id FROM {lines} WHERE month = %s) AS done "
        "ON done.enrolment_id = e.id "
        f"LEFT JOIN (SELECT worker_id, enrolment_id FROM {lines} WHERE month = %s "
        "AND credit_note_id IS NULL) AS other ON other.worker_id = e.worker_id "
        f"WHERE e.source_id = %s AND e.status IN ({statuses}) AND e.kpj_number <> '' "
        "AND e.start_month <= %s AND e.end_month >= %s",
        [
            *(month, month),
            *(source.pk, *PROTECTING_STATUSES, month, month),
        ],
    )
    unbilled, owed = cursor.fetchone()
    return unbilled, owed


@transaction.atomic
def record_payment(
    invoice: Invoice, amount: int, paid_on: datetime.date, reference: str, user, note: str = ""
) -> Payment:
    """Money paid to BPJS against an invoice; partial payments allowed, overpayment refused."""
    require_in(user, Capability.MANAGE_FINANCE, invoice.source.region_id)
    invoice = Invoice.objects.select_for_update().get(pk=invoice.pk)
    if isinstance(amount, bool) or not isinstance(amount, int) or amount <= 0:
        raise ValidationError(
            _("The payment must be whole rupiah above zero."), code="payment_amount_invalid"
        )
    paid = invoice.payments.aggregate(total=Sum("amount"))["total"] or 0
    if paid + amount > invoice.total:
        raise ValidationError(
            _("The payment exceeds the invoice's balance (balance Rp%(balance)s)."),
            code="payment_exceeds_balance",
            params={"balance": f"{invoice.total - paid:,}".replace(",", ".")},
        )
    if not reference.strip():
        raise ValidationError(
            _("The reference (SP2D/transfer number) is required."), code="reference_missing"
        )
    if invoice.payments.filter(reference=reference.strip()).exists():
        raise ValidationError(
            _("A payment with this reference is already recorded for this invoice."),
            code="payment_duplicate",
        )
    # Whole participant-months, in order (finance.allocation): what it paid is recorded on the
    # payment itself, so its history row says what it paid as well.
    payment = Payment(
        invoice=invoice,
        amount=amount,
        paid_on=paid_on,
        reference=reference.strip(),
        note=note,
        recorded_by=user,
        **paid_bounds(invoice.pk, amount),
    )
    payment._history_user = user
    payment.save()
    region_changed(invoice.source.region_id, Change.MONEY)
    return payment


def credit_months_not_owed(sender, enrolment, user, **kwargs) -> None:
    """Receiver of ``enrolment.signals.enrolment_ended``: lines billed for months after the
    enrolment's end (all of them if it was cancelled before it began) go onto one credit note
    against the funding source, with who and why; nothing is deleted."""
    lines = InvoiceLine.objects.filter(enrolment=enrolment, credit_note__isnull=True)
    if enrolment.status != Enrolment.Status.CANCELLED:
        lines = lines.filter(month__gt=enrolment.end_month)
    after = (
        "seluruh bulan (batal sebelum mulai)"
        if enrolment.status == Enrolment.Status.CANCELLED
        else f"bulan setelah {enrolment.end_month:%m/%Y}"
    )
    credit_lines(enrolment, lines, f"{enrolment.get_end_reason_display()}: {after}", user)


def credit_lines(enrolment, lines, reason: str, user) -> CreditNote | None:
    """Put the not yet credited ``lines`` of one enrolment onto one credit note against its
    funding source, with who and why; the lines stay as billed (None when nothing to credit)."""
    lines = lines.filter(enrolment=enrolment, credit_note__isnull=True)
    total = lines.aggregate(total=Sum("amount"))["total"]
    if not total:
        return None
    note = CreditNote(
        source_id=enrolment.source_id,
        enrolment=enrolment,
        reason=reason[:255],
        total=total,
        created_by=user,
    )
    note._history_user = user
    note.save()
    months = set(lines.values_list("month", flat=True))
    lines.update(credit_note=note)
    # A BPJS statement of those months compared Jaring's bill before the credit: its total too.
    Statement.objects.filter(source_id=enrolment.source_id, month__in=months).refresh_ours_total()
    region_changed(enrolment.source.region_id, Change.MONEY)
    return note


# --- Lapse and reactivation (nonaktif karena menunggak, aktif kembali) ---------------------------


@dataclass(frozen=True)
class LapseRun:
    region: str
    day: datetime.date
    lapsed: int
    reactivated: int
    rule_refs: tuple[str, ...]
    ended: int = 0  # lapsed beyond the reactivation window: the enrolment ended

    def summary(self) -> dict:
        return {
            "region": self.region,
            "day": self.day.isoformat(),
            "lapsed": self.lapsed,
            "reactivated": self.reactivated,
            "ended": self.ended,
            "rule_refs": list(self.rule_refs),
        }


@transaction.atomic
def mark_lapses(
    region: Region, day: datetime.date, user=None, book: RuleBook | None = None
) -> LapseRun:
    """The monthly lapse run for ``region`` on ``day`` (set-based, idempotent).

    Lapsed: an active enrolment with a KPJ, its worker alive, that began at least the tolerated
    number of months ago and whose worker is not protected on ``day`` (``protected_sql``, the
    one definition), so more months are unpaid than ``contribution.arrears`` tolerates.
    Reactivated: an open lapse whose worker is protected again on ``day`` (the arrears were
    paid) while still inside ``membership.reactivation``'s window. Both are history rows.
    Past the window the membership has ended: the enrolment ends (``end_reason`` "lapsed").
    """
    require_in(user, Capability.MANAGE_FINANCE, region.code)
    book = book or default_rulebook()
    month = day.replace(day=1)
    tolerated, arrears_refs = tolerated_arrears(book, day)
    window, window_refs = reactivation_window(book, day)
    quote = connection.ops.quote_name
    lapses, enrolments = quote(Lapse._meta.db_table), quote(Enrolment._meta.db_table)
    workers = quote(Worker._meta.db_table)
    column = quote(Worker.scope_columns[region.level])
    protected, protected_params = protected_sql("e.worker_id", day, book)
    paid, paid_params = paid_through_sql("e.id", payments_counted_until(book, day))
    user_id = getattr(user, "pk", None)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT COALESCE(MAX(id), 0) FROM {lapses}")  # nosec B608
        before = cursor.fetchone()[0]
        cursor.execute(
            f"INSERT INTO {lapses} (enrolment_id, paid_through, lapsed_on) "  # nosec B608
            f"SELECT e.id, {paid}, %s FROM {enrolments} e JOIN {workers} w ON w.id = e.worker_id "
            f"WHERE w.{column} = %s AND e.status = 'active' AND e.kpj_number <> '' "
            f"AND e.start_month <= %s AND e.end_month >= %s "
            f"AND (w.date_of_death IS NULL OR w.date_of_death >= %s) AND NOT {protected} "
            f"AND NOT EXISTS (SELECT 1 FROM {lapses} ol WHERE ol.enrolment_id = e.id "
            f"AND ol.reactivated_on IS NULL)",
            [
                *(*paid_params, day, region.code, add_months(month, -tolerated), month, day),
                *protected_params,
            ],
        )
        lapsed = cursor.rowcount
        cursor.execute(
            f"UPDATE {lapses} SET reactivated_on = %s WHERE reactivated_on IS NULL "  # nosec B608
            f"AND lapsed_on <= %s AND EXISTS (SELECT 1 FROM {enrolments} e "
            f"JOIN {workers} w ON w.id = e.worker_id WHERE e.id = {lapses}.enrolment_id "
            f"AND w.{column} = %s AND {protected} "
            # Inside the window: paid arrears reactivate only within it (months after the
            # last protected month, ``membership.reactivation``).
            f"AND ({lapses}.paid_through >= %s "
            f"OR ({lapses}.paid_through IS NULL AND e.start_month >= %s)))",
            [
                *(day, day, region.code, *protected_params),
                add_months(month, -(tolerated + window)),
                add_months(month, -(tolerated - 1 + window)),
            ],
        )
        reactivated = cursor.rowcount
    # Only this region's rows: another region's run may be writing lapses at the same time.
    in_region = (
        f"t.enrolment_id IN (SELECT e.id FROM {enrolments} e "  # nosec B608
        f"JOIN {workers} w ON w.id = e.worker_id WHERE w.{column} = %s)"
    )
    if lapsed:
        record_history(
            Lapse,
            f"t.id > %s AND t.lapsed_on = %s AND {in_region}",
            [before, day, region.code],
            "+",
            user_id,
            "Nonaktif: iuran menunggak",
        )
    if reactivated:
        history = quote(Lapse.history.model._meta.db_table)
        record_history(
            Lapse,
            f"t.reactivated_on = %s AND {in_region} AND NOT EXISTS (SELECT 1 FROM "  # nosec B608
            f"{history} h WHERE h.id = t.id AND h.reactivated_on IS NOT NULL)",
            [day, region.code],
            "~",
            user_id,
            "Aktif kembali: tunggakan dilunasi",
        )
    ended = _end_lapsed_beyond_window(
        region,
        user,
        paid_before=add_months(month, -(tolerated + window)),
        started_before=add_months(month, -(tolerated - 1 + window)),
    )
    if lapsed or reactivated:
        region_changed(region.code, Change.ENROLMENTS)
    return LapseRun(region.code, day, lapsed, reactivated, (*arrears_refs, *window_refs), ended)


def _end_lapsed_beyond_window(
    region: Region, user, paid_before: datetime.date, started_before: datetime.date
) -> int:
    """Open lapses whose window has passed: the membership has ended. Each enrolment ends at
    its paid-through month (cancelled if nothing was ever paid) by the enrolment service, so
    ``protected_on`` answers "ended" from then on and the months billed after it are credited.
    Returns how many ended."""
    column = Worker.scope_columns[region.level]
    beyond = (
        Lapse.objects.current()
        .filter(**{f"enrolment__worker__{column}": region.code})
        .filter(
            Q(paid_through__lt=paid_before)
            | Q(paid_through__isnull=True, enrolment__start_month__lt=started_before)
        )
        .select_related("enrolment__worker")
        .order_by("pk")
    )
    ended = 0
    for lapse in beyond.iterator(chunk_size=500):
        enrolment = lapse.enrolment
        last_month = lapse.paid_through or add_months(enrolment.start_month, -1)
        end_enrolment(
            enrolment, Enrolment.EndReason.LAPSED, last_month, user, Capability.MANAGE_FINANCE
        )
        ended += 1
    return ended
