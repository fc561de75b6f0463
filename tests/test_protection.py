"""protected_on: the one definition of "protected on a day", and its SQL twin kept equal to it."""

import datetime

import pytest
from django.db import DatabaseError, connection
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from jaring.enrolment.models import Enrolment
from jaring.finance.allocation import paid_bounds
from jaring.finance.models import FundingSource, Invoice, Payment
from jaring.finance.protection import (
    PROTECTING_STATUSES,
    SCOPE_ENROLMENTS,
    SCOPE_MONTHS,
    Why,
    add_months,
    facts_join,
    paid_through,
    paid_through_sql,
    payments_counted_until,
    protected_from_facts,
    protected_on,
    protected_sql,
    protected_workers,
    scoped,
)
from jaring.programs.rulebook import default_rulebook
from jaring.regions.models import Region
from jaring.registry import services as registry_services
from jaring.registry.models import Worker
from tests.billing_kit import billed_line
from tests.conftest import BENGKALIS
from tests.test_registry_import import RUSNI, write_csv

D = datetime.date
FIRST = D(2021, 1, 1)  # histories span 2021-2023: the arrears rule starts on 1 July 2022
MONTHS = 36


@pytest.fixture
def base(make_user, occupations, tmp_path):
    """One worker and one funding source; each example adds its own history and rolls it back."""
    region = Region.objects.get(code=BENGKALIS)
    batch = registry_services.run_import(
        registry_services.create_batch(write_csv(tmp_path / "w.csv", [RUSNI]), region, "DTKS")
    )
    assert batch.accepted == 1
    return {
        "worker": Worker.objects.get(),
        "source": FundingSource.objects.create(region=region, kind="apbd_kab", name="APBD"),
        "user": make_user("keuangan"),
    }


def month(index: int) -> datetime.date:
    return add_months(FIRST, index)


@st.composite
def histories(draw):
    """Enrolments (at most one open, as the database demands), billed months, payments (mostly a
    paid prefix, as money arrives), a death, and the day asked about (mostly near an enrolment,
    where the answer is interesting)."""
    enrolments = []
    open_used = False
    for _ in range(draw(st.sampled_from([0, 1, 1, 1, 2, 3]))):
        status = draw(st.sampled_from(["planned", "submitted", "active", "active", "ended"]))
        if status != "ended":
            if open_used:
                status = "ended"
            open_used = True
        start = draw(st.integers(0, MONTHS - 1))
        length = draw(st.integers(1, 14))
        kpj = status == "active" or (status == "ended" and draw(st.integers(0, 3)) > 0)
        billed = draw(st.one_of(st.just(length), st.integers(0, length))) if kpj else 0
        enrolments.append(
            {
                "status": status,
                "start": start,
                "end": start + length - 1,
                "kpj": kpj,
                "billed": billed,
            }
        )
    paid_prefix = draw(st.integers(0, 16))
    rest = draw(st.lists(st.sampled_from(["none", "part", "full"]), min_size=50, max_size=50))
    # How many days after the 1st of its month each invoice was paid (some after the day asked;
    # None: on the very day asked, the boundary).
    delays = draw(st.lists(st.sampled_from([0, 0, 9, 40, 100, None]), min_size=50, max_size=50))
    payments = list(zip(["full"] * paid_prefix + rest[paid_prefix:], delays, strict=True))
    if enrolments and draw(st.integers(0, 4)) > 0:
        around = draw(st.sampled_from(enrolments))
        asked_month = draw(st.integers(around["start"], around["end"] + 4))
    else:
        asked_month = draw(st.integers(0, MONTHS + 6))
    asked = (max(asked_month, 0), draw(st.integers(1, 28)))
    death = draw(st.sampled_from(["none", "none", "none", "none", "asked", "random"]))
    if death == "random":
        death = draw(st.tuples(st.integers(0, MONTHS), st.integers(1, 28)))
    else:
        death = asked if death == "asked" else None
    return enrolments, payments, death, asked


def build(base, history):
    enrolments, payments, death, (asked_month, asked_date) = history
    asked_day = month(asked_month).replace(day=asked_date)
    worker, source = base["worker"], base["source"]
    if death:
        Worker.objects.filter(pk=worker.pk).update(
            status="deceased", date_of_death=month(death[0]).replace(day=death[1])
        )
    invoices, billed_months = {}, set()
    for index, spec in enumerate(enrolments):
        enrolment = Enrolment.objects.create(
            worker=worker,
            source=source,
            status=spec["status"],
            start_month=month(spec["start"]),
            end_month=month(spec["end"]),
            declared_income=1_000_000,
            kpj_number=f"{index + 1:011d}" if spec["kpj"] else "",
            end_reason="budget_end" if spec["status"] == "ended" else "",
        )
        for offset in range(spec["billed"]):
            billed = month(spec["start"] + offset)
            if billed in billed_months:  # one funder per participant-month: the DB refuses more
                continue
            billed_months.add(billed)
            invoice = invoices.get(billed)
            if invoice is None:
                invoice = invoices[billed] = Invoice.objects.create(
                    source=source, month=billed, number=f"T/{billed:%Y-%m}"
                )
            billed_line(invoice, enrolment, billed)
    for position, (billed, invoice) in enumerate(sorted(invoices.items())):
        invoice.total = 16_800 * invoice.lines.count()
        invoice.save(update_fields=["total"])
        kind, delay = payments[position]
        share = {"none": 0, "part": invoice.total // 2, "full": invoice.total}[kind]
        if share:
            Payment.objects.create(
                invoice=invoice,
                amount=share,
                paid_on=asked_day if delay is None else billed + datetime.timedelta(days=delay),
                reference=f"SP2D/{billed:%Y-%m}",
                recorded_by=base["user"],
                **paid_bounds(invoice.pk, share),
            )
    worker.refresh_from_db()
    return worker, asked_day


@settings(
    max_examples=200,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(history=histories())
def test_the_sql_form_says_what_the_python_form_says(base, history):
    from django.db import transaction

    with transaction.atomic():
        worker, day = build(base, history)
        answer = protected_on(worker, day)
        in_sql = protected_workers(Worker.objects.filter(pk=worker.pk), day).exists()
        assert in_sql == answer.protected, (answer, history)
        # The scoped form (the summaries read copies of the kabupaten's rows).
        assert protected_in_scope(worker, day) == answer.protected, (answer, history)
        # paid_through's set form (the lapse run stores it) says what the Python form says.
        counted = payments_counted_until(default_rulebook(), day)
        sql, params = paid_through_sql("e.id", counted)
        with connection.cursor() as cursor:
            table = Enrolment._meta.db_table
            cursor.execute(f"SELECT e.id, {sql} FROM {table} e", params)  # noqa: S608
            # SQLite hands a computed date back as text.
            in_sql_paid = {
                pk: datetime.date.fromisoformat(str(value)) if value else None
                for pk, value in cursor.fetchall()
            }
        for enrolment in Enrolment.objects.filter(worker=worker):
            assert in_sql_paid[enrolment.pk] == paid_through(enrolment, counted), history
        # The facts form (the API's coverage look-up: one statement, judged in Python).
        facts, facts_params = facts_join("w.id", day)
        with connection.cursor() as cursor:
            columns = "pf.id, pf.start_month, pf.end_month, pf.programs, pf.kpj_number, pf.paid"
            table = Worker._meta.db_table
            sql = f"SELECT {columns} FROM {table} w {facts} WHERE w.id = %s"  # noqa: S608
            cursor.execute(sql, [*facts_params, worker.pk])
            rows = cursor.fetchall()
        from_facts = protected_from_facts(worker.pk, worker.date_of_death, rows, day)
        if from_facts is None:  # nothing covers the day: only protected_on says why
            assert answer.enrolment is None and answer.why != Why.DECEASED, history
        else:

            def seen(p):
                return (
                    getattr(p.enrolment, "pk", None),
                    p.protected,
                    p.why,
                    p.until,
                    p.paid_through,
                    p.membership_start,
                    p.programs,
                    p.kpj,
                )

            assert seen(from_facts) == seen(answer), history
        event(f"protected: {answer.protected}, {answer.why.value}")
        if answer.protected:
            assert answer.until >= day and answer.enrolment.status in PROTECTING_STATUSES
            assert answer.kpj and answer.programs == ("JKK", "JKM")
        else:
            assert answer.until is None and answer.kpj == "" and answer.programs == ()
        transaction.set_rollback(True)


def protected_in_scope(worker, day) -> bool:
    """``protected_sql`` read through a ``scoped`` copy of the worker's kabupaten."""
    with scoped("w.regency_code = %s", [worker.regency_code]) as scope:
        sql, params = protected_sql("w.id", day, scope=scope)
        with connection.cursor() as cursor:
            table = Worker._meta.db_table
            cursor.execute(f"SELECT {sql} FROM {table} w WHERE w.id = %s", [*params, worker.pk])  # noqa: S608
            return bool(cursor.fetchone()[0])


def temporary_tables() -> set[str]:
    """The scope's temporary tables that exist in this connection."""
    names = (SCOPE_ENROLMENTS, SCOPE_MONTHS)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "SELECT relname FROM pg_class WHERE relnamespace = pg_my_temp_schema() "
                "AND relname IN (%s, %s)",
                names,
            )
        else:
            cursor.execute(
                "SELECT name FROM sqlite_temp_master WHERE type = 'table' AND name IN (%s, %s)",
                names,
            )
        return {name for (name,) in cursor.fetchall()}


def test_a_scope_leaves_no_table_behind_and_an_error_inside_takes_it_away(base):
    enrolment = enrol(base)
    bill_and_pay(base, enrolment, [D(2025, 1, 1), D(2025, 2, 1)], D(2025, 2, 1), D(2025, 1, 5))
    worker, day = base["worker"], D(2025, 2, 10)
    assert protected_on(worker, day).protected
    assert protected_in_scope(worker, day)
    with pytest.raises(ZeroDivisionError), scoped("w.id = %s", [worker.pk]) as scope:
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT COUNT(*) FROM {scope.months}")  # noqa: S608
            assert cursor.fetchone()[0] == 2
        assert temporary_tables() == {SCOPE_ENROLMENTS, SCOPE_MONTHS}
        raise ZeroDivisionError
    assert temporary_tables() == set()
    # A second scope in the same connection starts from nothing left by the first.
    assert protected_in_scope(worker, day)
    assert not protected_in_scope(worker, D(2025, 6, 10))


def test_scopes_do_not_nest_and_a_refused_one_leaves_the_first_intact(base):
    worker = base["worker"]
    with scoped("w.id = %s", [worker.pk]):
        with pytest.raises(DatabaseError), scoped("w.id = %s", [worker.pk]):
            pass  # pragma: no cover - the second scope is refused before it yields
        assert temporary_tables() == {SCOPE_ENROLMENTS, SCOPE_MONTHS}
    assert temporary_tables() == set()


def enrol(base, status="active", start=None, end=None, kpj="24030000001"):
    return Enrolment.objects.create(
        worker=base["worker"],
        source=base["source"],
        status=status,
        start_month=start or D(2025, 1, 1),
        end_month=end or D(2025, 12, 1),
        declared_income=1_000_000,
        kpj_number=kpj,
        end_reason="budget_end" if status == "ended" else "",
    )


def bill_and_pay(base, enrolment, months, paid_through, paid_on=None):
    for billed in months:
        invoice, _ = Invoice.objects.get_or_create(
            source=base["source"], month=billed, defaults={"number": f"T/{billed:%Y-%m}"}
        )
        invoice.total += billed_line(invoice, enrolment, billed, jkk=0).amount
        invoice.save(update_fields=["total"])
        if billed <= paid_through:
            Payment.objects.create(
                invoice=invoice,
                amount=6_800,
                paid_on=paid_on or billed,
                reference=f"SP2D/{billed:%Y-%m}/{enrolment.pk}",
                recorded_by=base["user"],
                **paid_bounds(invoice.pk, 6_800),
            )


def year_2025():
    return [D(2025, m, 1) for m in range(1, 13)]


def test_the_issue_case_paid_through_august(base):
    """Paid through August 2025: protected to the end of November (three months of arrears
    tolerated), not on 15 December — whatever the enrolment's own end month says."""
    enrolment = enrol(base)
    bill_and_pay(base, enrolment, year_2025(), paid_through=D(2025, 8, 1))
    november = protected_on(base["worker"], D(2025, 11, 30))
    assert november.protected and november.why is Why.PROTECTED_WITH_ARREARS
    assert (november.until, november.arrears_months) == (D(2025, 11, 30), 3)
    assert november.paid_through == D(2025, 8, 1) and november.kpj == "24030000001"
    december = protected_on(base["worker"], D(2025, 12, 15))
    assert not december.protected and december.why is Why.ARREARS
    assert december.reason["reason_code"] == "membership_inactive"
    fully = protected_on(base["worker"], D(2025, 6, 15))
    # On 15 June only the payments made by then count: paid through June, so until September.
    assert fully.protected and fully.why is Why.PROTECTED and fully.until == D(2025, 9, 30)


def test_until_is_capped_by_the_enrolments_last_month(base):
    enrolment = enrol(base, end=D(2025, 6, 1))
    bill_and_pay(base, enrolment, year_2025()[:6], paid_through=D(2025, 6, 1))
    assert protected_on(base["worker"], D(2025, 3, 2)).until == D(2025, 6, 30)
    after = protected_on(base["worker"], D(2025, 7, 1))
    assert not after.protected and after.why is Why.ENDED


@pytest.mark.parametrize(
    ("status", "kpj", "day", "why"),
    [
        ("planned", "", D(2025, 3, 1), Why.NO_KPJ),
        ("submitted", "", D(2025, 3, 1), Why.NO_KPJ),
        ("active", "24030000001", D(2024, 12, 31), Why.NOT_STARTED),
        ("ended", "24030000001", D(2026, 1, 2), Why.ENDED),
        ("active", "24030000001", D(2025, 3, 1), Why.NOTHING_PAID),
    ],
)
def test_each_reason_for_not_protected(base, status, kpj, day, why):
    enrol(base, status=status, kpj=kpj)
    if why is Why.ENDED:
        assert protected_on(base["worker"], D(2025, 12, 31)).why is Why.NOTHING_PAID
    answer = protected_on(base["worker"], day)
    assert (answer.protected, answer.why) == (False, why)
    assert answer.reason["reason_code"] == why.value and answer.reason["reason_id"]


def test_a_death_ends_protection_the_day_after(base):
    enrolment = enrol(base)
    bill_and_pay(base, enrolment, year_2025(), paid_through=D(2025, 12, 1))
    Worker.objects.filter(pk=base["worker"].pk).update(
        status="deceased", date_of_death=D(2025, 5, 10)
    )
    base["worker"].refresh_from_db()
    assert protected_on(base["worker"], D(2025, 5, 10)).protected  # the day of the event
    later = protected_on(base["worker"], D(2025, 5, 11))
    assert not later.protected and later.why is Why.DECEASED
    assert not protected_workers(Worker.objects.all(), D(2025, 5, 11)).exists()
    assert protected_workers(Worker.objects.all(), D(2025, 5, 10)).exists()


def test_membership_runs_across_contiguous_enrolments_only(base):
    """Membership (for the 36-month scholarship rule) counts across renewals with no gap; one
    month without an enrolment breaks the run."""
    first = enrol(base, status="ended", start=D(2023, 1, 1), end=D(2023, 12, 1))
    second = enrol(base, status="ended", start=D(2024, 1, 1), end=D(2024, 11, 1))
    third = enrol(base, status="active", start=D(2025, 1, 1), end=D(2025, 12, 1))
    for enrolment in (first, second, third):
        months = [add_months(enrolment.start_month, i) for i in range(12)]
        months = [m for m in months if m <= enrolment.end_month]
        bill_and_pay(base, enrolment, months, paid_through=D(2025, 12, 1))
    # December 2024 is not covered: the 2025 enrolment starts a new run.
    assert protected_on(base["worker"], D(2025, 6, 1)).membership_start == D(2025, 1, 1)
    # Within 2024, the run began with the contiguous 2023 enrolment.
    assert protected_on(base["worker"], D(2024, 6, 1)).membership_start == D(2023, 1, 1)
    Enrolment.objects.filter(pk=second.pk).update(end_month=D(2024, 12, 1))
    assert protected_on(base["worker"], D(2025, 6, 1)).membership_start == D(2023, 1, 1)


def test_a_payment_dated_after_the_death_does_not_cover_it(base):
    """Arrears of five months at the death: paying them the week after does not make the death
    covered (contribution.settled_after_event); the same money paid the week before does."""
    enrolment = enrol(base)
    bill_and_pay(base, enrolment, year_2025()[:3], paid_through=D(2025, 3, 1))
    death = D(2025, 8, 20)
    late = D(2025, 8, 27)
    bill_and_pay(base, enrolment, year_2025()[3:8], paid_through=D(2025, 8, 1), paid_on=late)
    answer = protected_on(base["worker"], death)
    assert not answer.protected and answer.why is Why.ARREARS
    assert answer.paid_through == D(2025, 3, 1)  # the late payment is not counted
    assert not protected_workers(Worker.objects.all(), death).exists()
    assert protected_on(base["worker"], D(2025, 9, 1)).protected  # it counts from its own date
    Payment.objects.filter(paid_on=late).update(paid_on=D(2025, 8, 13))
    assert protected_on(base["worker"], death).protected
    assert protected_workers(Worker.objects.all(), death).exists()
