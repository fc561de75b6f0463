"""Upgrading a database whose paid lines were stamped with their payment: migration finance 0009
turns the stamps into each payment's bounds, and every line reads as paid by the same payment."""

import datetime

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from tests.test_migrations import _needs, _sample

BEFORE = [("finance", "0008_partitioned_lines")]
JANUARY = datetime.date(2026, 1, 1)


def _two_invoices(apps):
    """One participant billed for January and February (JKK and JKM), one invoice a month."""
    Region = apps.get_model("regions", "Region")
    Occupation = apps.get_model("registry", "Occupation")
    Worker = apps.get_model("registry", "Worker")
    FundingSource = apps.get_model("finance", "FundingSource")
    Enrolment = apps.get_model("enrolment", "Enrolment")
    Invoice = apps.get_model("finance", "Invoice")
    InvoiceLine = apps.get_model("finance", "InvoiceLine")
    parent = None
    for code, level in [("14", 1), ("14.03", 2), ("14.03.01", 3), ("14.03.01.2001", 4)]:
        parent = Region.objects.create(
            code=code, name=code, name_key=code, level=level, parent=parent
        )
    occupation = Occupation.objects.create(
        **{f.name: _sample(f) for f in Occupation._meta.concrete_fields if _needs(f)}
    )
    worker = Worker.objects.create(
        nik_index="x" * 64,
        nik_cipher=b"\x00",
        nik_hint="14030001",
        full_name="Rusni",
        name_key="rusni",
        sex="P",
        birth_date=datetime.date(1985, 1, 1),
        village=parent,
        occupation=occupation,
        status="active",
    )
    source = FundingSource.objects.create(region_id="14.03", kind="apbd_kab", name="APBD")
    enrolment = Enrolment.objects.create(
        worker=worker,
        source=source,
        status="active",
        start_month=JANUARY,
        end_month=datetime.date(2026, 12, 1),
        declared_income=1_000_000,
        programs="JKK,JKM",
        kpj_number="12345678901",
    )
    for month in (JANUARY, datetime.date(2026, 2, 1)):
        invoice = Invoice.objects.create(source=source, month=month, number=f"TGH/{month}")
        for program, amount in (("JKK", 10_000), ("JKM", 6_800)):
            InvoiceLine.objects.create(
                invoice=invoice,
                enrolment=enrolment,
                worker=worker,
                month=month,
                program=program,
                amount=amount,
            )
    return InvoiceLine


@pytest.mark.django_db(transaction=True)
def test_stamped_lines_become_payment_bounds_that_read_the_same():
    executor = MigrationExecutor(connection)
    executor.migrate(BEFORE)
    apps = executor.loader.project_state(BEFORE).apps
    lines = _two_invoices(apps)
    User = apps.get_model("accounts", "User")
    user = User.objects.create(
        **{f.name: _sample(f) for f in User._meta.concrete_fields if _needs(f)}
    )
    Payment = apps.get_model("finance", "Payment")
    Invoice = apps.get_model("finance", "Invoice")
    payments = {}
    for invoice in Invoice.objects.order_by("pk"):
        # A payment short of the participant-month (paid nothing), then one that paid it.
        for reference, amount in (("SP2D-1", 100), ("SP2D-2", 16_700)):
            payments[invoice.pk, reference] = Payment.objects.create(
                invoice=invoice,
                amount=amount,
                paid_on=JANUARY,
                reference=reference,
                recorded_by=user,
            ).pk
        lines.objects.filter(invoice=invoice).update(payment_id=payments[invoice.pk, "SP2D-2"])
    # Per participant-month (finance 0011 later merges a month's lines into one).
    stamps = {
        (e, m): p for e, m, p in lines.objects.values_list("enrolment_id", "month", "payment_id")
    }

    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(executor.loader.graph.leaf_nodes())

    from jaring.finance.allocation import with_payer
    from jaring.finance.models import InvoiceLine
    from jaring.finance.models import Payment as LivePayment

    paid = with_payer(InvoiceLine.objects.all()).values_list("enrolment_id", "month", "paid_by")
    assert {(e, m): p for e, m, p in paid} == stamps
    short = LivePayment.objects.filter(reference="SP2D-1")
    assert set(short.values_list("paid_through_enrolment", "paid_through_line")) == {(None, None)}
