"""The billing change journal: has anything that could make a funder-month unbilled happened
since it was last billed completely? (issue 18: a re-run at a million enrolments must not count
them all again when nothing changed.)

``BillingChange`` rows say "what ``source`` owes for these months may have changed". Database
triggers write them (migration ``finance 0010``) for every enrolment written whose row, before
or after, is billable, and for every line credited or deleted (the participant-month is free
for another funder); billing writes some itself when its new lines make a participant of any
funder, its own included, owed by another enrolment (``lines_billed``). ``BillingCheckpoint``
holds, per funder-month, the journal position at which it was last billed completely and what
that billing reported.

Nothing else changes what ``services._bill_source`` would insert or count: the prices (rule
book, occupation, declared income) are only computed for new lines, and which enrolment is
unbilled or owed by another funder depends only on the enrolments and the lines.

Concurrency (PostgreSQL; SQLite lets one writer at a time, so there it holds trivially). A
checkpoint at position P is right if every journal row matching its funder-month with an id
≤ P is a change the billing's count saw. Ids are drawn in order but committed in any order, so
"the highest id I can see" alone is not enough: a writer may hold an id below it, uncommitted.
Hence:

- the triggers take a *shared* advisory lock on the source (``LOCK_CLASS``, source id) before
  their journal row draws its id, held until the writer commits;
- billing takes the same lock *exclusively* (``begin``) — under its invoice row lock, before it
  reads the position and before it counts — so it waits until every writer that journaled a
  change of the source has committed, and holds new ones off until billing commits. Its count
  (a later statement, READ COMMITTED) sees every matching change with an id ≤ P; any change
  after has an id above P and reopens the funder-month;
- the rows billing writes itself (``lines_billed``) are written under the month's lock
  (``partitions.lock_month``), which every billing of the month holds, so another billing of
  the month has either committed them (visible) or not begun.

Growth (``prune``): a checkpoint that a later journal row reopens is of no use (the next run
counts anyway), so it is deleted; every other checkpoint is then as good at the newest position
W as at its own (no row between matches it), so it moves up to W, and the journal rows below W
go. That happens at the end of each billing run under table locks that wait for no one: if a
writer or a billing holds them, pruning waits for the next run.
"""

from __future__ import annotations

import datetime

from django.core.exceptions import ValidationError
from django.db import OperationalError, connection, transaction
from django.db.models import Exists, Max, OuterRef
from django.utils.translation import gettext_lazy as _

from jaring.core import partitions
from jaring.core.bulk import bulk_settings
from jaring.core.sqlstates import LOCK_NOT_AVAILABLE, QUERY_CANCELED, sqlstate
from jaring.enrolment.models import Enrolment
from jaring.finance.models import BillingChange, BillingCheckpoint, InvoiceLine

# The advisory lock class shared with the triggers (migration finance 0010):
# pg_advisory_xact_lock(hashtext(LOCK_CLASS), source id).
LOCK_CLASS = "finance_billingchange"


def begin(source_id: int, month: datetime.date) -> int:
    """Inside billing's transaction, under the invoice's row lock and before counting: wait for
    the writers that journaled a change of the source and hold new ones off until commit
    (PostgreSQL), then return the journal position the count will see through."""
    return begin_sources([source_id], month)


class SourcesBusy(ValidationError):
    """Writers kept a billing of several sources waiting for their locks past its bound
    (:func:`begin_sources`); nothing was billed."""

    def __init__(self):
        super().__init__(
            _(
                "Changes to these funders' enrolments kept the billing waiting; nothing was "
                "billed. Run it again."
            ),
            code="sources_busy",
        )


def begin_sources(source_ids: list[int], month: datetime.date) -> int:
    """:func:`begin` for sources billed in one transaction: every source's lock, taken in one
    statement in id order, then one position, read once all are held (so it is each one's).

    Holding some sources' locks while it waits for another's, the billing could deadlock with
    a writer that journals two of them in one transaction (a move between kabupaten); then
    PostgreSQL would abort one of the two, perhaps the writer. So the statement gives up
    before PostgreSQL's deadlock check can run (half of ``deadlock_timeout``) and raises
    :class:`SourcesBusy`: the billing begins again (``services._retrying``), never a writer."""
    partitions.lock_month(partitions.INVOICE_LINES, month)
    if connection.vendor != "postgresql":
        return position()
    with connection.cursor() as cursor:
        bound = {}
        if len(source_ids) > 1:
            cursor.execute(
                "SELECT (extract(epoch FROM current_setting('deadlock_timeout')::interval) "
                "* 500)::int"
            )
            bound = {"statement_timeout": f"{cursor.fetchone()[0]}ms"}
        try:
            with bulk_settings(bound):
                cursor.execute(
                    "SELECT count(pg_advisory_xact_lock(hashtext(%s), o.source_id)) "
                    "FROM (SELECT DISTINCT unnest(%s::int[]) AS source_id ORDER BY 1) AS o",
                    [LOCK_CLASS, list(source_ids)],
                )
        except OperationalError as error:
            if sqlstate(error) == QUERY_CANCELED:
                raise SourcesBusy from error
            raise
    return position()


def position() -> int:
    return BillingChange.objects.aggregate(last=Max("id"))["last"] or 0


def unchanged(source_id: int, month: datetime.date) -> BillingCheckpoint | None:
    """The funder-month's checkpoint if no journal row after it concerns the funder-month
    (nothing could have left any of its participant-months unbilled); None otherwise."""
    return unchanged_sources([source_id], month).get(source_id)


def unchanged_sources(source_ids: list[int], month: datetime.date) -> dict[int, BillingCheckpoint]:
    """:func:`unchanged` for several sources, in one read: their checkpoints that still hold,
    by source id."""
    reopened = BillingChange.objects.filter(
        source_id=OuterRef("source_id"),
        id__gt=OuterRef("position"),
        first_month__lte=month,
        last_month__gte=month,
    )
    holding = BillingCheckpoint.objects.filter(source_id__in=source_ids, month=month).exclude(
        Exists(reopened)
    )
    return {checkpoint.source_id: checkpoint for checkpoint in holding}


def lines_billed(cursor, invoice_id: int, month: datetime.date) -> None:
    """Billing added ``invoice_id``'s new lines to ``month``, which had lines already. A
    funder's figures can change by it: a participant whose own line of the month was credited
    (a reconciliation credit, say) while its enrolment still covers the month now counts as
    owed by another enrolment. Journal those funders (the credited lines of a month are few:
    ``line_credited_idx``). The billing's own funder may be among them: its count, taken before
    the insert, is then stale, and the row written here (above the billing's position) reopens
    its checkpoint, so the next run counts again instead of reporting the stale figure."""
    quote = connection.ops.quote_name
    lines = quote(InvoiceLine._meta.db_table)
    cursor.execute(
        f"INSERT INTO {quote(BillingChange._meta.db_table)} "  # noqa: S608  # nosec B608
        "(source_id, first_month, last_month) "
        f"SELECT DISTINCT e.source_id, %s, %s FROM {lines} AS c "
        f"JOIN {lines} AS n ON n.worker_id = c.worker_id AND n.month = c.month "
        "AND n.credit_note_id IS NULL AND n.invoice_id = %s "
        f"JOIN {quote(Enrolment._meta.db_table)} AS e ON e.id = c.enrolment_id "
        "WHERE c.month = %s AND c.credit_note_id IS NOT NULL "
        "AND c.enrolment_id <> n.enrolment_id",
        [month, month, invoice_id, month],
    )


def checkpoint(source_id: int, month: datetime.date, at: int, skipped_other_funder: int) -> None:
    """Record that the funder-month was billed completely as of journal position ``at``."""
    checkpoint_sources(month, at, {source_id: skipped_other_funder})


def checkpoint_sources(month: datetime.date, at: int, skipped_by_source: dict[int, int]) -> None:
    """:func:`checkpoint` for several sources billed in one transaction, in one write:
    ``skipped_by_source`` maps each source id to what its billing reported."""
    BillingCheckpoint.objects.bulk_create(
        [
            BillingCheckpoint(
                source_id=source_id, month=month, position=at, skipped_other_funder=skipped
            )
            for source_id, skipped in skipped_by_source.items()
        ],
        update_conflicts=True,
        unique_fields=["source", "month"],
        update_fields=["position", "skipped_other_funder", "billed_at"],
    )


def prune() -> int:
    """Keep the journal small (see the module's docstring); returns the rows deleted."""
    quote = connection.ops.quote_name
    journal = quote(BillingChange._meta.db_table)
    checkpoints = quote(BillingCheckpoint._meta.db_table)
    with transaction.atomic(), connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            try:
                with transaction.atomic():
                    # SHARE waits out no one (NOWAIT): with it, no journal row is uncommitted,
                    # and EXCLUSIVE keeps checkpoints from being written meanwhile.
                    cursor.execute(f"LOCK TABLE {journal} IN SHARE MODE NOWAIT")
                    cursor.execute(f"LOCK TABLE {checkpoints} IN EXCLUSIVE MODE NOWAIT")
            except OperationalError as error:
                if sqlstate(error) != LOCK_NOT_AVAILABLE:
                    raise
                return 0
        newest = position()
        if not BillingChange.objects.filter(id__lt=newest).exists():
            return 0
        cursor.execute(
            f"DELETE FROM {checkpoints} WHERE EXISTS (SELECT 1 FROM {journal} j "  # noqa: S608  # nosec B608
            f"WHERE j.id > {checkpoints}.position "
            f"AND j.source_id = {checkpoints}.source_id "
            f"AND j.first_month <= {checkpoints}.month AND j.last_month >= {checkpoints}.month)"
        )
        BillingCheckpoint.objects.filter(position__lt=newest).update(position=newest)
        # The newest row stays: the position never goes back.
        deleted, _ = BillingChange.objects.filter(id__lt=newest).delete()
    return deleted
