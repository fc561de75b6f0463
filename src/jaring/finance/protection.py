"""Protected on a day: the one definition of whether BPJS Ketenagakerjaan protects a worker.

A worker is protected on day D when all of these hold:

- the worker had not died before D (a death *on* D is the event being protected);
- an enrolment with a KPJ number (active, or ended: an ended enrolment still covered
  its months) includes D's month;
- that enrolment's contributions are paid through a month from which the months unpaid up to D
  are within the arrears rule in force on D (``programs.rules.coverage_on``).

``protected_on`` answers for one worker, with the enrolment, KPJ, programmes, until when and why
not. ``protected_sql`` is its set form, an ``EXISTS`` over a worker id column, for counts and
summaries; ``tests/test_protection.py`` keeps the two equal on generated histories.

Finance owns this definition because protection follows the money: paid-through comes from the
participant-months that payments paid (``finance.allocation.payer_sql``), counting only payments
dated on
or before the day unless the rule in force says arrears settled later still count.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from enum import StrEnum

from django.db import connection, transaction
from django.db.models import BooleanField, Q, QuerySet
from django.db.models.expressions import RawSQL

from jaring.core.bulk import LOOKUP_SETTINGS, analyze_if_stale, bulk_settings
from jaring.enrolment.models import Enrolment
from jaring.finance.allocation import payer_sql, with_payer
from jaring.finance.models import InvoiceLine, Payment
from jaring.programs import rules as program_rules
from jaring.programs.rulebook import RuleBook, default_rulebook

# An enrolment in these statuses covered its months (given a KPJ and the money).
PROTECTING_STATUSES = ("active", "ended")
# Enrolments on their way to BPJS: they name months but have no KPJ yet.
PENDING_STATUSES = ("planned", "submitted")


class Why(StrEnum):
    """Why a worker is or is not protected on a day (stable codes; texts in programs.rules)."""

    PROTECTED = "covered"
    PROTECTED_WITH_ARREARS = "covered_with_arrears"
    ARREARS = "membership_inactive"
    NOTHING_PAID = "nothing_paid"
    NOT_ENROLLED = "not_enrolled"
    NO_KPJ = "no_kpj"
    NOT_STARTED = "not_started"
    ENDED = "enrolment_ended"
    DECEASED = "deceased"


@dataclass(frozen=True)
class Protection:
    """The answer to "is this worker protected on ``day``?", with its evidence."""

    day: datetime.date
    protected: bool
    why: Why
    enrolment: Enrolment | None = None
    paid_through: datetime.date | None = None
    membership_start: datetime.date | None = None
    until: datetime.date | None = None
    arrears_months: int = 0
    rule_refs: tuple[str, ...] = ()

    @property
    def programs(self) -> tuple[str, ...]:
        if not self.protected:
            return ()
        return tuple(p for p in self.enrolment.programs.split(",") if p)

    @property
    def kpj(self) -> str:
        return self.enrolment.kpj_number if self.protected else ""

    @property
    def reason(self) -> dict:
        """The reason as a person reads it (code plus Indonesian and English text)."""
        return program_rules.reason(self.why.value, months=self.arrears_months)


def month_end(month: datetime.date) -> datetime.date:
    """The last day of ``month``'s calendar month."""
    following = (month.replace(day=28) + datetime.timedelta(days=4)).replace(day=1)
    return following - datetime.timedelta(days=1)


def add_months(month: datetime.date, months: int) -> datetime.date:
    """The first day of the month ``months`` after (or before) ``month``'s."""
    index = month.year * 12 + month.month - 1 + months
    return datetime.date(index // 12, index % 12 + 1, 1)


def tolerated_arrears(book: RuleBook, day: datetime.date) -> tuple[int, tuple[str, ...]]:
    """Unpaid months the rule in force on ``day`` tolerates before protection stops."""
    rule = book.find("contribution.arrears", day)
    if rule is None:
        return 0, ()
    return rule.value["inactive_after_months"], (rule.ref,)


def payments_counted_until(book: RuleBook, day: datetime.date) -> datetime.date:
    """The last payment date that counts for protection on ``day``: the day itself, unless the
    rule in force says arrears settled after the event still count."""
    rule = book.find("contribution.settled_after_event", day)
    return datetime.date.max if rule and rule.value["counts"] else day


def paid_through(enrolment: Enrolment, as_of: datetime.date = datetime.date.max):
    """The last month up to which every billed month of this enrolment is paid — its
    participant-month paid by a payment (finance.allocation) dated on or before ``as_of``."""
    months = list(
        with_payer(InvoiceLine.objects.filter(enrolment=enrolment))
        .order_by("month")
        .values_list("month", "paid_by")
    )
    dated = dict(
        Payment.objects.filter(pk__in={payer for _month, payer in months if payer}).values_list(
            "pk", "paid_on"
        )
    )
    last = None
    for month, payer in months:
        if payer is None or dated[payer] > as_of:
            break
        last = month
    return last


def paid_through_sql(enrolment_id: str, as_of: datetime.date) -> tuple[str, list]:
    """``paid_through`` in SQL for the enrolment whose id is in column ``enrolment_id``: the
    latest billed month with no unpaid month at or before it (NULL: nothing paid)."""
    quote = connection.ops.quote_name
    lines, payments = quote(InvoiceLine._meta.db_table), quote(Payment._meta.db_table)
    sql = f"""(SELECT MAX(tl.month) FROM {lines} tl
        WHERE tl.enrolment_id = {enrolment_id}
          AND NOT EXISTS (
            SELECT 1 FROM {lines} ul LEFT JOIN {payments} up ON up.id = {payer_sql("ul")}
            WHERE ul.enrolment_id = {enrolment_id} AND ul.month <= tl.month
              AND (up.id IS NULL OR up.paid_on > %s)
          ))"""  # nosec B608 - identifiers from model metadata, values are parameters
    return sql, [as_of]


def reactivation_window(book: RuleBook, day: datetime.date) -> tuple[int, tuple[str, ...]]:
    """Months after protection ended within which paid arrears reactivate the membership."""
    rule = book.find("membership.reactivation", day)
    if rule is None:
        return 0, ()
    return rule.value["within_months"], (rule.ref,)


def lapse_start(
    enrolment: Enrolment, paid: datetime.date | None, book: RuleBook, day: datetime.date
) -> datetime.date:
    """The first month a participant paid through ``paid`` (None: nothing paid) is no longer
    protected: the month after the unpaid months the arrears rule tolerates."""
    tolerated, _refs = tolerated_arrears(book, day)
    first_unpaid = add_months(paid, 1) if paid else enrolment.start_month
    return add_months(first_unpaid, tolerated)


def membership_start(enrolment: Enrolment) -> datetime.date:
    """The first month of the unbroken run of enrolments that ends with ``enrolment``.

    A following enrolment must start in the month right after the previous one ended; one
    month without coverage breaks the run.
    """
    earlier = Enrolment.objects.filter(
        worker_id=enrolment.worker_id,
        status__in=PROTECTING_STATUSES,
        start_month__lt=enrolment.start_month,
    ).exclude(kpj_number="")
    return run_start(
        enrolment.start_month,
        earlier.order_by("-start_month", "-end_month").values_list("start_month", "end_month"),
    )


def run_start(start: datetime.date, earlier) -> datetime.date:
    """The first month of the unbroken run ending with an enrolment that starts in ``start``,
    given the (start, end) months of the worker's earlier enrolments, latest start first."""
    for previous_start, previous_end in earlier:
        if program_rules.months_between(previous_end, start) > 1:
            break
        start = min(start, previous_start)
    return start


def protected_on(worker, day: datetime.date, book: RuleBook | None = None) -> Protection:
    """Is ``worker`` protected on ``day``: by which enrolment, until when, and if not, why."""
    book = book or default_rulebook()
    if worker.date_of_death is not None and worker.date_of_death < day:
        return Protection(day, False, Why.DECEASED)
    month = day.replace(day=1)
    covering = list(
        Enrolment.objects.filter(
            worker=worker, status__in=PROTECTING_STATUSES, start_month__lte=month
        )
        .filter(end_month__gte=month)
        .exclude(kpj_number="")
        .select_related("source")
        .order_by("-start_month", "-pk")
    )
    if not covering:
        return Protection(day, False, _why_no_enrolment(worker, month))
    return best_of([_judge_enrolment(enrolment, day, book) for enrolment in covering])


def best_of(answers: list[Protection]) -> Protection:
    """Of the answers for the enrolments covering a day (latest first), the one that protects."""
    return next((answer for answer in answers if answer.protected), answers[0])


def _why_no_enrolment(worker, month: datetime.date) -> Why:
    enrolments = Enrolment.objects.filter(worker=worker)
    if enrolments.filter(
        status__in=PENDING_STATUSES, start_month__lte=month, end_month__gte=month
    ).exists():
        return Why.NO_KPJ
    # An enrolment cancelled because the worker died before it began had not started either.
    not_yet = (*PROTECTING_STATUSES, Enrolment.Status.CANCELLED)
    if enrolments.filter(status__in=not_yet, start_month__gt=month).exists():
        return Why.NOT_STARTED
    if enrolments.filter(status__in=PROTECTING_STATUSES, end_month__lt=month).exists():
        return Why.ENDED
    return Why.NOT_ENROLLED


def _judge_enrolment(enrolment: Enrolment, day: datetime.date, book: RuleBook) -> Protection:
    paid = paid_through(enrolment, payments_counted_until(book, day))
    return judge(enrolment, paid, membership_start(enrolment), day, book)


def judge(
    enrolment: Enrolment,
    paid: datetime.date | None,
    start: datetime.date,
    day: datetime.date,
    book: RuleBook,
) -> Protection:
    """The answer for one enrolment covering ``day``, paid through ``paid`` (None: nothing),
    in a run of membership that began in ``start``."""
    if paid is None:
        return Protection(day, False, Why.NOTHING_PAID, enrolment, membership_start=start)
    eligibility = program_rules.coverage_on(book, day, start, paid)
    tolerated, _refs = tolerated_arrears(book, day)
    until = None
    if eligibility.eligible:
        until = min(month_end(enrolment.end_month), month_end(add_months(paid, tolerated)))
    return Protection(
        day,
        eligibility.eligible,
        Why(eligibility.reason["reason_code"]),
        enrolment,
        paid_through=paid,
        membership_start=start,
        until=until,
        arrears_months=eligibility.arrears_months,
        rule_refs=eligibility.rule_refs,
    )


# --- The set form ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Scope:
    """Temporary copies of what ``protected_sql`` reads, for some workers only (``scoped``):
    ``enrolments`` (``id, worker_id, status, kpj_number, start_month, end_month``) and ``months``
    (``enrolment_id, month, paid_on``: each billed participant-month with the date of
    the payment that paid it, NULL when unpaid)."""

    enrolments: str
    months: str


SCOPE_ENROLMENTS = "protection_enrolments"
SCOPE_MONTHS = "protection_months"


def _temporary(table: str) -> str:
    """``table`` in the connection's own schema of temporary tables, so that dropping it can
    never reach a real table of that name."""
    schema = "pg_temp" if connection.vendor == "postgresql" else "temp"
    return f"{schema}.{table}"


@contextmanager
def scoped(workers_where: str, params: list) -> Iterator[Scope]:
    """A ``Scope`` for the workers (alias ``w``) that ``workers_where`` selects, for a caller
    that asks ``protected_sql`` about the same workers on many days (the summaries count 25
    times: today and 24 months of trend). Scopes do not nest: a second one in the same
    transaction fails on its tables, which exist.

    Why copies: against the country's tables, the plan depends on the country. At 10M workers
    the planner hashed every enrolment and invoice line of the country for the largest
    kabupaten, once per day asked: its refresh took 13 to 20 minutes, 16 s with the copies
    (BENCHMARKS.md, 28 November). The copies hold the kabupaten's rows only, each month's
    payment date looked up once (``payer_sql``) instead of once per day asked. They are
    temporary tables of this transaction: dropped on leaving, gone with it on an error."""
    # Counted right after a bulk import or enrolment, the workers may have no statistics yet:
    # planned as a few hundred rows, a million are then probed one by one, 25 times.
    analyze_if_stale(Enrolment._meta.get_field("worker").related_model, Enrolment)
    with transaction.atomic(), connection.cursor() as cursor:
        _copy_scope(cursor, workers_where, params)
        yield Scope(SCOPE_ENROLMENTS, SCOPE_MONTHS)
        for table in (SCOPE_MONTHS, SCOPE_ENROLMENTS):
            cursor.execute(f"DROP TABLE {_temporary(table)}")


def _copy_scope(cursor, workers_where: str, params: list) -> None:
    """Fill the scope's two tables, indexed and analysed; the kabupaten's rows are looked up
    among the country's (``LOOKUP_SETTINGS``), not found by reading every enrolment."""
    quote = connection.ops.quote_name
    workers = quote(Enrolment._meta.get_field("worker").related_model._meta.db_table)
    lines, payments = quote(InvoiceLine._meta.db_table), quote(Payment._meta.db_table)
    statuses = ", ".join(["%s"] * len(PROTECTING_STATUSES))
    with bulk_settings(LOOKUP_SETTINGS):
        cursor.execute(
            f"CREATE TEMPORARY TABLE {SCOPE_ENROLMENTS} AS "
            "SELECT e.id, e.worker_id, e.status, e.kpj_number, e.start_month, e.end_month "
            f"FROM {quote(Enrolment._meta.db_table)} e JOIN {workers} w ON w.id = e.worker_id "
            f"WHERE {workers_where} AND e.status IN ({statuses}) AND e.kpj_number <> ''",  # nosec B608
            [*params, *PROTECTING_STATUSES],
        )
        cursor.execute(
            f"CREATE TEMPORARY TABLE {SCOPE_MONTHS} AS "
            "SELECT ul.enrolment_id, ul.month, up.paid_on "
            f"FROM {lines} ul JOIN {SCOPE_ENROLMENTS} se ON se.id = ul.enrolment_id "
            f"LEFT JOIN {payments} up ON up.id = {payer_sql('ul')}",  # nosec B608
        )
        cursor.execute(f"CREATE INDEX {SCOPE_ENROLMENTS}_w ON {SCOPE_ENROLMENTS} (worker_id)")
        cursor.execute(f"CREATE INDEX {SCOPE_MONTHS}_e ON {SCOPE_MONTHS} (enrolment_id, month)")
        # Temporary tables have no statistics until analysed: without them the planner guesses.
        cursor.execute(f"ANALYZE {SCOPE_ENROLMENTS}")
        cursor.execute(f"ANALYZE {SCOPE_MONTHS}")


def protected_sql(
    worker_id: str, day: datetime.date, book: RuleBook | None = None, scope: Scope | None = None
) -> tuple[str, list]:
    """``EXISTS (…)``: true when the worker whose id is in column ``worker_id`` is protected on
    ``day``, by the same rule as ``protected_on``. Returns the SQL and its parameters. With a
    ``scope``, reads its copies instead of the tables (for workers inside it only)."""
    book = book or default_rulebook()
    month = day.replace(day=1)
    tolerated, _refs = tolerated_arrears(book, day)
    quote = connection.ops.quote_name
    workers = quote(Enrolment._meta.get_field("worker").related_model._meta.db_table)
    if scope is None:
        enrolments, billed = quote(Enrolment._meta.db_table), quote(InvoiceLine._meta.db_table)
        payments = quote(Payment._meta.db_table)
        unpaid = f"{billed} ul LEFT JOIN {payments} up ON up.id = {payer_sql('ul')}"
        paid_on = "up.paid_on"
    else:
        enrolments, billed = scope.enrolments, scope.months
        unpaid, paid_on = f"{scope.months} ul", "ul.paid_on"
    statuses = ", ".join(["%s"] * len(PROTECTING_STATUSES))
    # Paid through a month >= threshold: some billed month from the threshold on has no month
    # at or before it that is unpaid (no payment allocated, or one dated after ``counted``).
    sql = f"""EXISTS (
        SELECT 1 FROM {enrolments} pe JOIN {workers} pw ON pw.id = pe.worker_id
        WHERE pe.worker_id = {worker_id}
          AND pe.status IN ({statuses}) AND pe.kpj_number <> ''
          AND pe.start_month <= %s AND pe.end_month >= %s
          AND (pw.date_of_death IS NULL OR pw.date_of_death >= %s)
          AND EXISTS (
            SELECT 1 FROM {billed} pl
            WHERE pl.enrolment_id = pe.id AND pl.month >= %s
              AND NOT EXISTS (
                SELECT 1 FROM {unpaid}
                WHERE ul.enrolment_id = pe.id AND ul.month <= pl.month
                  AND ({paid_on} IS NULL OR {paid_on} > %s)
              )
          )
    )"""  # nosec B608 - identifiers from model metadata, values are parameters
    params = [
        *PROTECTING_STATUSES,
        month,
        month,
        day,
        add_months(month, -tolerated),
        payments_counted_until(book, day),
    ]
    return sql, params


def protected_workers(
    workers: QuerySet, day: datetime.date, book: RuleBook | None = None
) -> QuerySet:
    """The workers of ``workers`` protected on ``day`` (the set form, one SQL statement)."""
    table = connection.ops.quote_name(workers.model._meta.db_table)
    sql, params = protected_sql(f"{table}.{connection.ops.quote_name('id')}", day, book)
    found = RawSQL(sql, params, output_field=BooleanField())  # nosec B611 - values are parameters
    return workers.alias(protected_today=found).filter(Q(protected_today=True))


# --- The facts form: the rows of one query, judged like ``protected_on`` -------------------------


def facts_join(
    worker_id: str, day: datetime.date, book: RuleBook | None = None
) -> tuple[str, list]:
    """``LEFT JOIN (…) pf ON …``: the enrolments of the worker whose id is in column ``worker_id``
    that ``protected_on`` reads for ``day`` — protecting, with a KPJ, started by ``day``'s month
    — with columns ``pf.id, pf.start_month, pf.end_month, pf.programs, pf.kpj_number`` and
    ``pf.paid`` (``paid_through_sql``, for the ones covering ``day``). Lets a caller fetch, in
    the statement that finds the worker, everything :func:`protected_from_facts` needs."""
    book = book or default_rulebook()
    month = day.replace(day=1)
    quote = connection.ops.quote_name
    paid, paid_params = paid_through_sql("pe.id", payments_counted_until(book, day))
    statuses = ", ".join(["%s"] * len(PROTECTING_STATUSES))
    sql = f"""LEFT JOIN (
        SELECT pe.id, pe.worker_id, pe.start_month, pe.end_month, pe.programs, pe.kpj_number,
            CASE WHEN pe.end_month >= %s THEN {paid} END AS paid
        FROM {quote(Enrolment._meta.db_table)} pe
        WHERE pe.status IN ({statuses}) AND pe.kpj_number <> '' AND pe.start_month <= %s
    ) pf ON pf.worker_id = {worker_id}"""  # nosec B608 - identifiers from model metadata
    return sql, [month, *paid_params, *PROTECTING_STATUSES, month]


def _day(value) -> datetime.date | None:
    return datetime.date.fromisoformat(value) if isinstance(value, str) else value


def protected_from_facts(
    worker_id: int,
    date_of_death,
    rows,
    day: datetime.date,
    book: RuleBook | None = None,
) -> Protection | None:
    """``protected_on`` from the rows of :func:`facts_join` (``id, start_month, end_month,
    programs, kpj_number, paid``; one row of NULLs when the worker has none). None when nothing
    covers ``day`` and the worker is alive: then only ``protected_on`` says why."""
    book = book or default_rulebook()
    date_of_death = _day(date_of_death)
    if date_of_death is not None and date_of_death < day:
        return Protection(day, False, Why.DECEASED)
    month = day.replace(day=1)
    enrolments = [
        (
            Enrolment(
                pk=pk,
                worker_id=worker_id,
                start_month=_day(start),
                end_month=_day(end),
                programs=programs,
                kpj_number=kpj,
            ),
            _day(paid),
        )
        for pk, start, end, programs, kpj, paid in rows
        if pk is not None
    ]
    covering = sorted(
        (pair for pair in enrolments if pair[0].end_month >= month),
        key=lambda pair: (pair[0].start_month, pair[0].pk),
        reverse=True,
    )
    if not covering:
        return None
    answers = []
    for enrolment, paid in covering:
        earlier = sorted(
            (
                (other.start_month, other.end_month)
                for other, _paid in enrolments
                if other.start_month < enrolment.start_month
            ),
            reverse=True,
        )
        answers.append(judge(enrolment, paid, run_start(enrolment.start_month, earlier), day, book))
    return best_of(answers)
