"""Upgrading a database billed one line per programme: migration finance 0011 merges each
participant-month's lines into one, with each programme's contribution in its own column, and
every month reads as paid (or credited) as before."""

import datetime

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from tests.test_migration_paid_bounds import _two_invoices
from tests.test_migrations import _needs, _sample

BEFORE = [("finance", "0010_billing_changes")]
JANUARY, FEBRUARY = datetime.date(2026, 1, 1), datetime.date(2026, 2, 1)


@pytest.mark.django_db(transaction=True)
def test_a_months_lines_merge_into_one_that_reads_paid_and_credited_as_before():
    executor = MigrationExecutor(connection)
    executor.migrate(BEFORE)
    apps = executor.loader.project_state(BEFORE).apps
    lines = _two_invoices(apps)  # JKK 10,000 and JKM 6,800 for January and February
    february = lines.objects.filter(month=FEBRUARY).first()
    lines.objects.create(  # February also takes JHT
        invoice_id=february.invoice_id,
        enrolment_id=february.enrolment_id,
        worker_id=february.worker_id,
        month=FEBRUARY,
        program="JHT",
        amount=5_700,
    )
    User = apps.get_model("accounts", "User")
    user = User.objects.create(
        **{f.name: _sample(f) for f in User._meta.concrete_fields if _needs(f)}
    )
    january = lines.objects.filter(month=JANUARY)
    last_of = {
        month: max(lines.objects.filter(month=month).values_list("pk", flat=True))
        for month in (JANUARY, FEBRUARY)
    }
    apps.get_model("finance", "Payment").objects.create(  # January paid, as allocation bounds it
        invoice_id=january.first().invoice_id,
        amount=16_800,
        paid_on=JANUARY,
        reference="SP2D-1",
        recorded_by=user,
        paid_through_enrolment=february.enrolment_id,
        paid_through_line=last_of[JANUARY],
    )
    note = apps.get_model("finance", "CreditNote").objects.create(
        source_id=apps.get_model("finance", "Invoice").objects.get(month=FEBRUARY).source_id,
        enrolment_id=february.enrolment_id,
        reason="meninggal",
        total=22_500,
        created_by=user,
    )
    lines.objects.filter(month=FEBRUARY).update(credit_note=note)

    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(executor.loader.graph.leaf_nodes())

    from jaring.finance.allocation import with_payer
    from jaring.finance.models import InvoiceLine

    merged = {line.month: line for line in with_payer(InvoiceLine.objects.all()).order_by("month")}
    assert list(merged) == [JANUARY, FEBRUARY]  # one line a participant-month
    amounts = {
        month: (line.jkk_amount, line.jkm_amount, line.jht_amount, line.amount)
        for month, line in merged.items()
    }
    assert amounts == {
        JANUARY: (10_000, 6_800, 0, 16_800),
        FEBRUARY: (10_000, 6_800, 5_700, 22_500),
    }
    assert {month: line.pk for month, line in merged.items()} == last_of  # the month's last line
    assert merged[JANUARY].paid_by is not None and merged[FEBRUARY].paid_by is None
    assert merged[FEBRUARY].credit_note_id == note.pk and merged[JANUARY].credit_note_id is None
    from jaring.finance.models import Invoice

    assert set(Invoice.objects.values_list("line_count", flat=True)) == {1}  # counted again

    # Not reversed once payments are recorded: the split lines would read as unpaid.
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    with pytest.raises(RuntimeError, match="payments are recorded"):
        executor.migrate(BEFORE)
    assert InvoiceLine.objects.count() == 2  # nothing changed
    # Without payments (development only), each month splits back into one line per programme.
    from jaring.finance.models import Payment

    Payment.objects.all().delete()
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(BEFORE)
    old = executor.loader.project_state(BEFORE).apps.get_model("finance", "InvoiceLine")
    assert sorted(old.objects.values_list("month", "program", "amount", "credit_note_id")) == [
        (JANUARY, "JKK", 10_000, None),
        (JANUARY, "JKM", 6_800, None),
        (FEBRUARY, "JHT", 5_700, note.pk),
        (FEBRUARY, "JKK", 10_000, note.pk),
        (FEBRUARY, "JKM", 6_800, note.pk),
    ]
    assert sorted(Invoice.objects.values_list("line_count", flat=True)) == [2, 3]
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(executor.loader.graph.leaf_nodes())
    assert InvoiceLine.objects.count() == 2
