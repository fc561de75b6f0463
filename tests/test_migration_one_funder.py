"""Upgrading a database where two funders already owe one participant-month: migration finance
0006 stops before its constraint with how many there are and what to do, and changes nothing."""

import datetime

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from tests.test_migrations import _needs, _sample

BEFORE = [("finance", "0005_bpjs_reconciliation")]
JANUARY = datetime.date(2026, 1, 1)


def _two_funders_for_one_month(apps):
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
    for kind in ("apbd_kab", "apbd_prov"):
        source = FundingSource.objects.create(region_id="14.03", kind=kind, name=kind)
        enrolment = Enrolment.objects.create(
            worker=worker,
            source=source,
            status="active" if kind == "apbd_kab" else "ended",  # one open enrolment a worker
            start_month=JANUARY,
            end_month=datetime.date(2026, 12, 1),
            declared_income=1_000_000,
            programs="JKK,JKM",
            kpj_number="12345678901",
            end_reason="" if kind == "apbd_kab" else "moved",
        )
        invoice = Invoice.objects.create(source=source, month=JANUARY, number=f"TGH/{kind}")
        for program, amount in (("JKK", 10_000), ("JKM", 6_800)):
            InvoiceLine.objects.create(
                invoice=invoice, enrolment=enrolment, month=JANUARY, program=program, amount=amount
            )
    return InvoiceLine


@pytest.mark.django_db(transaction=True)
def test_two_funders_for_one_participant_month_stop_the_upgrade_with_what_to_do():
    executor = MigrationExecutor(connection)
    executor.migrate(BEFORE)
    lines = _two_funders_for_one_month(executor.loader.project_state(BEFORE).apps)

    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    with pytest.raises(RuntimeError) as refused:
        executor.migrate(executor.loader.graph.leaf_nodes())
    message = str(refused.value)
    assert message.startswith("2 participant-month(s) are billed twice")
    assert "2026-01 JKK" in message and "2026-01 JKM" in message
    assert "end the other funder's enrolment" in message
    assert lines.objects.count() == 4  # nothing changed

    # Resolved as the message says (here: the province's lines removed), the upgrade runs.
    lines.objects.filter(invoice__source__kind="apbd_prov").delete()
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(executor.loader.graph.leaf_nodes())
    assert not MigrationExecutor(connection).migration_plan(executor.loader.graph.leaf_nodes())
