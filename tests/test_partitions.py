"""Monthly partitions of the big append-only tables (PostgreSQL only; SQLite keeps plain
tables): the migrations made them, ``jaring partitions`` creates months ahead, lists and
detaches, billing writes a month's lines into its own partition (the bulk path) and every
unique constraint still holds across the partitioned table."""

import datetime
import json
import threading
import time
from io import StringIO

import psycopg
import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import IntegrityError, connection, transaction

from jaring.core import partitions
from jaring.finance import changes
from jaring.finance import services as finance_services
from jaring.finance.models import Invoice, InvoiceLine
from jaring.regions.models import Region
from jaring.registry.models import Worker
from tests.conftest import BENGKALIS
from tests.test_enrolment_finance import apbd, finance_officer, registry
from tests.test_funders import enrol, line, province

FIXTURES = (apbd, finance_officer, province, registry)  # pytest finds them by name
D = datetime.date

pytestmark = pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="declarative partitioning is PostgreSQL's; SQLite keeps plain tables",
)

LINES = partitions.INVOICE_LINES.table


def run(*args) -> list[dict]:
    out = StringIO()
    call_command("partitions", "--json", *args, stdout=out)
    return json.loads(out.getvalue())


def attached(table: str) -> set[str]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid "
            "WHERE i.inhparent = %s::regclass",
            [table],
        )
        return {row[0] for row in cursor.fetchall()}


def where(line_id: int) -> str:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT tableoid::regclass::text FROM {LINES} WHERE id = %s", [line_id])  # noqa: S608
        return cursor.fetchone()[0]


@pytest.mark.django_db
def test_the_tables_are_partitioned_with_a_default_partition():
    for spec in partitions.TABLES:
        assert partitions.is_partitioned(spec.table)
        assert partitions.default_name(spec.table) in attached(spec.table)
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pg_get_constraintdef(oid) FROM pg_constraint WHERE conname = %s",
            [f"{LINES}_pkey"],
        )
        assert cursor.fetchone()[0] == "PRIMARY KEY (id, month)"


@pytest.mark.django_db
def test_partitions_are_created_ahead_and_the_command_is_idempotent():
    first = run("--date", "2031-01-15", "--ahead", "2")
    for entry in first:
        months = [partitions.partition_name(entry["table"], D(2031, m, 1)) for m in (1, 2, 3)]
        assert set(months) <= set(entry["created"])
        assert set(months) <= attached(entry["table"])
        assert partitions.partition_name(entry["table"], D(2031, 4, 1)) not in attached(
            entry["table"]
        )
    again = run("--date", "2031-01-15", "--ahead", "2")
    assert [e["created"] for e in again] == [[] for _ in again]
    assert [e["partitions"] for e in again] == [e["partitions"] for e in first]


@pytest.mark.django_db
def test_a_line_lands_in_its_months_partition_and_stray_rows_move_in(apbd):  # noqa: F811
    run("--date", "2025-03-01", "--ahead", "0", "--table", LINES)
    worker = Worker.objects.order_by("pk").first()
    enrolment = enrol(worker, apbd, D(2025, 1, 1), D(2025, 12, 1))
    march = line(enrolment, D(2025, 3, 1))
    assert where(march.pk) == partitions.partition_name(LINES, D(2025, 3, 1))
    # No partition for May yet: the DEFAULT partition takes the row (no insert ever fails)…
    may = line(enrolment, D(2025, 5, 1))
    assert where(may.pk) == partitions.default_name(LINES)
    # … and creating May's partition moves it there.
    created = run("--date", "2025-05-01", "--ahead", "0", "--table", LINES)[0]["created"]
    assert created == [partitions.partition_name(LINES, D(2025, 5, 1))]
    assert where(may.pk) == partitions.partition_name(LINES, D(2025, 5, 1))
    assert InvoiceLine.objects.filter(enrolment=enrolment).count() == 2


@pytest.mark.django_db
def test_old_partitions_are_detached_not_dropped(apbd):  # noqa: F811
    run("--date", "2025-01-01", "--ahead", "3", "--table", LINES)
    enrolment = enrol(Worker.objects.order_by("pk").first(), apbd, D(2025, 1, 1), D(2025, 12, 1))
    line(enrolment, D(2025, 1, 1))
    with pytest.raises(CommandError, match="closed-invoice-months"):
        run("--date", "2025-04-10", "--table", LINES, "--retain-months", "2")
    report = run(
        "--date",
        "2025-04-10",
        "--ahead",
        "0",
        "--table",
        LINES,
        "--retain-months",
        "2",
        "--closed-invoice-months",
    )
    detached = {d["table"]: d["rows"] for d in report[0]["detached"]}
    january = partitions.partition_name(LINES, D(2025, 1, 1))
    assert detached[january] == 1
    assert january not in attached(LINES)
    assert partitions.partition_name(LINES, D(2025, 2, 1)) in attached(LINES)  # kept
    with connection.cursor() as cursor:  # the rows are still there, in the detached table
        cursor.execute(f'SELECT count(*) FROM "{january}"')  # noqa: S608
        assert cursor.fetchone()[0] == 1
    assert not InvoiceLine.objects.filter(month=D(2025, 1, 1)).exists()
    out = StringIO()
    call_command(
        "partitions",
        "--table",
        LINES,
        "--retain-months",
        "1",
        "--closed-invoice-months",
        "--date",
        "2025-05-10",
        stdout=out,
    )
    february = partitions.partition_name(LINES, D(2025, 2, 1))
    assert f"DETACHED {february}" in out.getvalue()  # the text form also says what it did


@pytest.mark.django_db
def test_a_retention_needs_a_table():
    from django.core.management.base import CommandError

    with pytest.raises(CommandError):
        call_command("partitions", "--retain-months", "12")


@pytest.mark.django_db
def test_billing_fills_the_months_partition_and_the_constraints_hold(
    apbd,
    province,
    finance_officer,  # noqa: F811
):
    run("--date", "2025-04-01", "--ahead", "1", "--table", LINES)  # April made ahead, empty
    workers = list(Worker.objects.order_by("pk")[:3])
    kabupaten = [
        enrol(w, apbd, D(2025, 4, 1), D(2025, 12, 1), kpj=f"2403000000{i}")
        for i, w in enumerate(workers)
    ]
    region = Region.objects.get(code=BENGKALIS)
    first = finance_services.bill_month(region, D(2025, 4, 1), finance_officer).summary()
    assert first["new_lines"] == 3  # one participant-month each (JKK and JKM on it)
    april = partitions.partition_name(LINES, D(2025, 4, 1))
    assert {where(pk) for pk in InvoiceLine.objects.values_list("pk", flat=True)} == {april}
    assert (
        finance_services.bill_month(region, D(2025, 4, 1), finance_officer).summary()["new_lines"]
        == 0
    )  # a re-run adds nothing
    # The unique constraints still refuse duplicates in the partition the bulk path attached.
    with pytest.raises(IntegrityError), transaction.atomic():
        line(kabupaten[0], D(2025, 4, 1))
    other = enrol(workers[0], province, D(2025, 4, 1), D(2025, 12, 1), "ended", "24039999999")
    with pytest.raises(IntegrityError), transaction.atomic():
        line(other, D(2025, 4, 1))
    # A participant added mid-month is billed by the plain path into the same partition.
    late = enrol(
        Worker.objects.order_by("pk")[5], apbd, D(2025, 4, 1), D(2025, 12, 1), kpj="24030000009"
    )
    again = finance_services.bill_month(region, D(2025, 4, 1), finance_officer).summary()
    assert again["new_lines"] == 1
    assert {
        where(pk) for pk in InvoiceLine.objects.filter(enrolment=late).values_list("pk", flat=True)
    } == {april}
    invoice = InvoiceLine.objects.filter(enrolment=late).first().invoice
    assert (invoice.line_count, invoice.total) == (
        4,
        sum(InvoiceLine.objects.filter(invoice=invoice).values_list("amount", flat=True)),
    )


def indexes(table: str, of_parent: bool = False) -> list[str]:
    """``table``'s indexes by name, or (``of_parent``) by the partitioned index each belongs to
    ('' for an index of its own)."""
    name = "coalesce(p.relname, '')" if of_parent else "x.indexrelid::regclass::text"
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT {name} FROM pg_index x LEFT JOIN pg_inherits i ON i.inhrelid = x.indexrelid "  # noqa: S608
            "LEFT JOIN pg_class p ON p.oid = i.inhparent WHERE x.indrelid = %s::regclass",
            [table],
        )
        return sorted(row[0] for row in cursor.fetchall())


@pytest.mark.django_db
def test_a_national_run_loads_every_funders_month_into_one_new_partition(apbd, province):
    """Every funder's lines in the month's partition, one per participant-month; the partition
    has exactly the table's indexes, each attached to it, and the constraints hold."""
    workers = list(Worker.objects.order_by("pk")[:3])
    enrol(workers[0], apbd, D(2025, 1, 1), D(2025, 12, 1), kpj="24030000001")
    enrol(workers[1], apbd, D(2025, 1, 1), D(2025, 6, 1), "ended", "24030000002")
    enrol(workers[1], province, D(2025, 4, 1), D(2025, 12, 1), kpj="24030000002")
    taken = enrol(workers[2], province, D(2025, 1, 1), D(2025, 12, 1), kpj="24030000003")
    result = finance_services.bill_month_everywhere(D(2025, 4, 1), None).summary()
    assert (result["new_lines"], result["skipped_other_funder"]) == (3, 1)
    april = partitions.partition_name(LINES, D(2025, 4, 1))
    assert {where(pk) for pk in InvoiceLine.objects.values_list("pk", flat=True)} == {april}
    assert indexes(april, of_parent=True) == indexes(LINES)
    with pytest.raises(IntegrityError), transaction.atomic():
        line(taken, D(2025, 4, 1))  # billed once already


@pytest.mark.django_db
@pytest.mark.parametrize("report_open", [False, True])
def test_one_funders_new_month_keeps_one_line_where_two_of_its_enrolments_cover_a_worker(
    apbd,
    finance_officer,  # noqa: F811
    settings,
    report_open,
):
    """A month's first run for one funder skips the one-funder pass (rarely needed with one
    funder); the partition's unique index finds the worker two of its enrolments cover, and
    the pass then keeps the earlier enrolment's line, as a run of several funders does. Also
    when a long report makes the attach give up and the lines go in the ordinary way."""
    settings.JARING_PARTITION_LOCK_TIMEOUT = "200ms"
    april = D(2025, 4, 1)
    worker, other_worker = Worker.objects.order_by("pk")[:2]
    earlier = enrol(worker, apbd, D(2025, 1, 1), april, "ended", "24030000001")
    enrol(worker, apbd, april, D(2025, 12, 1), kpj="24030000001")
    other = enrol(other_worker, apbd, april, D(2025, 12, 1), kpj="24030000002")
    region = Region.objects.get(code=BENGKALIS)
    reader = other_connection()
    try:
        if report_open:
            reader.execute(f"SELECT count(*) FROM {partitions.default_name(LINES)}")  # noqa: S608
        result = finance_services.bill_month(region, april, finance_officer).summary()
    finally:
        reader.rollback()
        reader.close()
    assert (result["new_lines"], result["skipped_other_funder"]) == (2, 1)
    assert set(InvoiceLine.objects.values_list("enrolment_id", flat=True)) == {
        earlier.pk,
        other.pk,
    }
    home = (
        partitions.default_name(LINES) if report_open else partitions.partition_name(LINES, april)
    )
    assert {where(pk) for pk in InvoiceLine.objects.values_list("pk", flat=True)} == {home}
    invoice = Invoice.objects.get()
    assert (invoice.line_count, invoice.total) == (
        2,
        sum(InvoiceLine.objects.values_list("amount", flat=True)),
    )


@pytest.mark.django_db
def test_billing_a_month_without_a_partition_makes_it(apbd, finance_officer):  # noqa: F811
    enrol(Worker.objects.order_by("pk").first(), apbd, D(2025, 4, 1), D(2025, 12, 1))
    june = partitions.partition_name(LINES, D(2025, 6, 1))
    assert june not in attached(LINES)
    region = Region.objects.get(code=BENGKALIS)
    result = finance_services.bill_month(region, D(2025, 6, 1), finance_officer).summary()
    assert result["new_lines"] == 1
    assert june in attached(LINES)
    assert {where(pk) for pk in InvoiceLine.objects.values_list("pk", flat=True)} == {june}


@pytest.mark.django_db
def test_billing_does_not_queue_behind_a_long_reader_of_the_default_partition(
    apbd,
    finance_officer,  # noqa: F811
    settings,
):
    """Attaching the month locks the DEFAULT partition; a long report holding it must not hold
    billing (nor, through the waiting attach, every reader after it): past the wait the lines
    go in the ordinary way, and `jaring partitions` moves them into their month later."""
    settings.JARING_PARTITION_LOCK_TIMEOUT = "200ms"
    enrol(Worker.objects.order_by("pk").first(), apbd, D(2025, 4, 1), D(2025, 12, 1))
    july = partitions.partition_name(LINES, D(2025, 7, 1))
    default = partitions.default_name(LINES)
    reader = other_connection()
    try:
        reader.execute(f"SELECT count(*) FROM {default}")  # noqa: S608  (a report, still open)
        region = Region.objects.get(code=BENGKALIS)
        result = finance_services.bill_month(region, D(2025, 7, 1), finance_officer).summary()
    finally:
        reader.rollback()
        reader.close()
    assert result["new_lines"] == 1
    assert july not in attached(LINES)
    assert {where(pk) for pk in InvoiceLine.objects.values_list("pk", flat=True)} == {default}
    with connection.cursor() as cursor:
        cursor.execute("SELECT to_regclass(%s)", [july])
        assert cursor.fetchone()[0] is None  # the standalone table is gone
        cursor.execute("SHOW lock_timeout")
        assert cursor.fetchone()[0] == "0"  # the wait applied to the attach only
    assert run("--date", "2025-07-01", "--ahead", "0", "--table", LINES)[0]["created"] == [july]
    assert {where(pk) for pk in InvoiceLine.objects.values_list("pk", flat=True)} == {july}


def other_connection():
    """A connection of another session (another billing run, a report) to the test database."""
    db = connection.settings_dict
    return psycopg.connect(
        host=db["HOST"] or "127.0.0.1",
        port=db["PORT"] or 5432,
        user=db["USER"],
        password=db["PASSWORD"] or None,
        dbname=db["NAME"],
    )


def commit_once_waited_for(
    other, then: tuple[tuple[str, list], ...] = (), seconds: float = 30.0
) -> threading.Thread:
    """Commit ``other``'s transaction as soon as this test's session (the billing under test)
    waits for a lock, in a thread of its own; ``then``: statements ``other`` runs first (they
    may themselves wait for the billing). The thread's ``outcome`` says how they ended: "done"
    or the SQLSTATE of the error."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        billing = cursor.fetchone()[0]

    def commit() -> None:
        deadline = time.monotonic() + seconds
        with other_connection() as watcher:
            while time.monotonic() < deadline:
                waiting = watcher.execute(
                    "SELECT count(*) FROM pg_stat_activity WHERE pid = %s "
                    "AND wait_event_type = 'Lock'",
                    [billing],
                ).fetchone()[0]
                if waiting:
                    break
                time.sleep(0.02)
        try:
            for statement in then:
                other.execute(*statement)
            thread.outcome = "done"
        except psycopg.Error as error:
            thread.outcome = error.sqlstate
            other.rollback()
            return
        other.commit()

    thread = threading.Thread(target=commit)
    thread.outcome = None
    thread.start()
    return thread


@pytest.mark.django_db(transaction=True)
def test_a_national_run_that_meets_another_runs_new_invoice_uses_it(apbd):  # noqa: F811
    """Another run makes the same funder-month's invoice while the national run makes it too:
    the national run waits for it and bills on it instead of failing."""
    april = D(2025, 4, 1)
    enrol(Worker.objects.order_by("pk").first(), apbd, april, D(2025, 12, 1))
    number = f"TGH/{apbd.region_id}/{apbd.pk}/2025-04"
    other = other_connection()
    other.execute(
        "INSERT INTO finance_invoice (source_id, month, number, total, line_count, created_at) "
        "VALUES (%s, %s, %s, 0, 0, now())",
        [apbd.pk, april, number],
    )
    committer = commit_once_waited_for(other)
    try:
        result = finance_services.bill_month_everywhere(april, None).summary()
    finally:
        committer.join()
        other.close()
    assert [(i["invoice"], i["new_lines"], i["lines"]) for i in result["invoices"]] == [
        (number, 1, 1)
    ]
    invoice = Invoice.objects.get(number=number)
    assert list(
        invoice.history.order_by("history_id").values_list("history_type", "line_count")
    ) == [
        ("+", 0),
        ("~", 1),
    ]


def deadlocks() -> int:
    """How many deadlocks PostgreSQL has detected in the test database so far (this session's
    own count flushed first: the victim may be this session)."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_stat_force_next_flush()")
        cursor.execute("SELECT pg_stat_clear_snapshot()")
        cursor.execute("SELECT deadlocks FROM pg_stat_database WHERE datname = current_database()")
        return cursor.fetchone()[0]


def invoice_sql(source, month: datetime.date) -> tuple[str, list]:
    """Another run's insert of ``source``'s invoice for ``month`` (the number billing gives it)."""
    return (
        "INSERT INTO finance_invoice (source_id, month, number, total, line_count, created_at) "
        "VALUES (%s, %s, %s, 0, 0, now())",
        [source.pk, month, f"TGH/{source.region_id}/{source.pk}/{month:%Y-%m}"],
    )


def bill_while_deadlocked_by(other, then: tuple[tuple[str, list], ...]) -> dict:
    """Bill April nationally while ``other`` (holding the province's new invoice, which the run
    waits for) runs ``then``, which waits for the run: a deadlock, of which PostgreSQL picks
    the national run as the victim (its check comes first). Returns the run's summary, after
    checking that the other session was not aborted and that one deadlock happened."""
    other.execute("SET deadlock_timeout = '20s'")
    before = deadlocks()
    committer = commit_once_waited_for(other, then=then)
    with connection.cursor() as cursor:
        cursor.execute("SET deadlock_timeout = '2s'")
    try:
        result = finance_services.bill_month_everywhere(D(2025, 4, 1), None).summary()
    finally:
        with connection.cursor() as cursor:
            cursor.execute("RESET deadlock_timeout")
        committer.join()
        other.close()
    assert committer.outcome == "done"  # the other session was not the one aborted
    assert deadlocks() == before + 1
    return result


@pytest.fixture
def two_funders_in_april(apbd, province):  # noqa: F811
    """One participant of each funder in April 2025, no partition for April (a transactional
    test before may have left one, empty); the other session starts its transaction with the
    province's April invoice (the second the national run makes)."""
    april = D(2025, 4, 1)
    partitions.drop_if_empty(partitions.INVOICE_LINES, april)
    workers = list(Worker.objects.order_by("pk")[:2])
    enrol(workers[0], apbd, april, D(2025, 12, 1), kpj="24030000001")
    enrol(workers[1], province, april, D(2025, 12, 1), kpj="24030000002")
    assert apbd.pk < province.pk  # the national run makes apbd's invoice first
    other = other_connection()
    other.execute(*invoice_sql(province, april))
    return apbd, province, other


@pytest.mark.django_db(transaction=True)
def test_a_national_run_chosen_as_a_deadlocks_victim_begins_again(two_funders_in_april):
    """The other session then makes the first funder's invoice too, which the run holds: the
    run, aborted, is rolled back, begins again once the other has committed, and bills on the
    other's invoices."""
    apbd, province, other = two_funders_in_april
    april = D(2025, 4, 1)
    result = bill_while_deadlocked_by(other, then=(invoice_sql(apbd, april),))
    assert result["new_lines"] == 2
    assert sorted(i["invoice"] for i in result["invoices"]) == sorted(
        invoice_sql(source, april)[1][2] for source in (apbd, province)
    )
    assert InvoiceLine.objects.count() == Invoice.objects.count() == 2


@pytest.mark.django_db(transaction=True)
def test_a_national_run_that_finds_the_month_made_meanwhile_bills_source_by_source(
    two_funders_in_april,
):
    """The month had no partition when the national run looked, but the other session (a run
    of its own) makes it while the national run waits for its invoice. Making a partition locks
    the invoices the lines refer to, which the run is writing: a deadlock, the run aborted. Begun
    again, the run finds the partition and bills each funder into it as a later run does (it
    does not try to make the partition again)."""
    _apbd, _province, other = two_funders_in_april
    name = partitions.partition_name(LINES, D(2025, 4, 1))
    assert name not in attached(LINES)
    make = (
        ("SELECT pg_advisory_xact_lock(hashtext(%s))", [name]),  # as a bulk load takes it
        (
            f'CREATE TABLE "{name}" PARTITION OF {LINES} '
            "FOR VALUES FROM ('2025-04-01') TO ('2025-05-01')",
            [],
        ),
    )
    result = bill_while_deadlocked_by(other, then=make)
    assert result["new_lines"] == 2
    assert {where(pk) for pk in InvoiceLine.objects.values_list("pk", flat=True)} == {name}


@pytest.mark.django_db
def test_a_national_run_kept_waiting_by_writers_backs_off_and_bills_nothing(apbd, province):  # noqa: F811
    """Waiting for the locks of several funders while holding others, a national run could
    deadlock with a writer that changes two of them; it gives up first, each time, so the
    writer never is the one aborted, and says so."""
    april = D(2025, 4, 1)
    workers = list(Worker.objects.order_by("pk")[:2])
    enrol(workers[0], apbd, april, D(2025, 12, 1), kpj="24030000001")
    enrol(workers[1], province, april, D(2025, 12, 1), kpj="24030000002")
    with connection.cursor() as cursor:
        # A bound of 100 ms per attempt, for this test's transaction only.
        cursor.execute("SET LOCAL deadlock_timeout = '200ms'")
    writer = other_connection()  # a writer of the province's enrolments, still working
    writer.execute(
        "SELECT pg_advisory_xact_lock_shared(hashtext(%s), %s)", [changes.LOCK_CLASS, province.pk]
    )
    try:
        with pytest.raises(changes.SourcesBusy):
            finance_services.bill_month_everywhere(april, None)
        assert not InvoiceLine.objects.exists() and not Invoice.objects.exists()
        writer.execute("SELECT 1")  # the writer's transaction was left alone
    finally:
        writer.commit()
        writer.close()
    result = finance_services.bill_month_everywhere(april, None).summary()
    assert result["new_lines"] == 2
