"""Several funders, one at a time per participant-month: the database refuses a second funder
for the same participant-month (SQLite and PostgreSQL alike), billing never bills it twice, a
plan skips workers another funder covers (with the reason), and PP 50/2025's relief follows
each funder's kind as the rules say."""

import datetime

import pytest
from django.db import IntegrityError, transaction
from django.urls import reverse

from jaring.enrolment import selectors as enrolment_selectors
from jaring.enrolment.models import Enrolment, PlanDrop
from jaring.finance import services as finance_services
from jaring.finance.models import CreditNote, FundingSource, Invoice, InvoiceLine
from jaring.programs import rules as program_rules
from jaring.programs.rulebook import default_rulebook
from jaring.regions.models import Region
from jaring.registry.models import Worker
from tests.billing_kit import billed_line
from tests.conftest import BENGKALIS
from tests.test_enrolment_finance import apbd, finance_officer, plan, registry

FIXTURES = (apbd, finance_officer, registry)  # pytest finds the imported fixtures by name
D = datetime.date


@pytest.fixture
def province(registry, finance_officer):  # noqa: F811
    source = FundingSource.objects.create(
        region_id=BENGKALIS, kind="apbd_prov", name="APBD Provinsi Riau"
    )
    finance_services.allocate(source, 2025, 10_000_000, None)
    return source


def enrol(worker, source, start, end, status="active", kpj="24030000001"):
    return Enrolment.objects.create(
        worker=worker,
        source=source,
        status=status,
        start_month=start,
        end_month=end,
        declared_income=1_000_000,
        kpj_number=kpj,
        end_reason="budget_end" if status == "ended" else "",
    )


def line(enrolment, month):
    invoice, _ = Invoice.objects.get_or_create(
        source=enrolment.source,
        month=month,
        defaults={"number": f"T/{enrolment.source_id}/{month:%Y-%m}"},
    )
    return billed_line(invoice, enrolment, month)


def test_the_database_refuses_two_funders_for_one_participant_month(apbd, province):  # noqa: F811
    worker = Worker.objects.order_by("pk").first()
    kabupaten = enrol(worker, apbd, D(2025, 1, 1), D(2025, 6, 1), status="ended")
    provinsi = enrol(worker, province, D(2025, 3, 1), D(2025, 12, 1))
    first = line(kabupaten, D(2025, 3, 1))
    with pytest.raises(IntegrityError), transaction.atomic():
        line(provinsi, D(2025, 3, 1))
    line(provinsi, D(2025, 7, 1))  # a month nobody else owes
    # Taken back by a credit note, the month is no longer the first funder's: the next may bill.
    note = CreditNote.objects.create(
        source=apbd, enrolment=kabupaten, reason="pindah", total=first.amount
    )
    InvoiceLine.objects.filter(pk=first.pk).update(credit_note=note)
    line(provinsi, D(2025, 3, 1))


def test_billing_bills_a_participant_month_once_whoever_asks(apbd, province, finance_officer):  # noqa: F811
    worker = Worker.objects.order_by("pk").first()
    enrol(worker, apbd, D(2025, 1, 1), D(2025, 6, 1), status="ended")
    enrol(worker, province, D(2025, 4, 1), D(2025, 12, 1))
    region = Region.objects.get(code=BENGKALIS)
    result = finance_services.bill_month(region, D(2025, 4, 1), finance_officer).summary()
    by_source = {i["source"]: i["new_lines"] for i in result["invoices"]}
    assert by_source == {apbd.name: 1, province.name: 0}  # the kabupaten billed April first
    skipped = {i["source"]: i["skipped_other_funder"] for i in result["invoices"]}
    assert skipped == {apbd.name: 0, province.name: 1}  # reported, not silently left out
    assert result["skipped_other_funder"] == 1
    assert InvoiceLine.objects.filter(worker=worker, month=D(2025, 4, 1)).count() == 1
    may = finance_services.bill_month(region, D(2025, 7, 1), finance_officer).summary()
    assert {i["source"]: i["new_lines"] for i in may["invoices"]}[province.name] == 1
    assert may["skipped_other_funder"] == 0


def test_the_billing_page_names_the_participants_another_funder_owes(
    apbd,
    province,
    finance_officer,  # noqa: F811
    client,
):
    worker = Worker.objects.order_by("pk").first()
    enrol(worker, apbd, D(2025, 1, 1), D(2025, 6, 1), status="ended")
    enrol(worker, province, D(2025, 4, 1), D(2025, 12, 1))
    client.force_login(finance_officer)
    response = client.post(reverse("finance:invoices"), {"month": "2025-04"}, follow=True)
    assert (
        f"{province.name}: 1 peserta tidak ditagih untuk 2025-04: bulan itu sudah ditanggung "
        "pemberi dana lain." in response.text
    )
    assert f"{apbd.name}: 0 peserta" not in response.text


def test_a_plan_skips_workers_another_funder_covers_with_the_reason(
    apbd,
    province,
    finance_officer,  # noqa: F811
):
    first_choice = plan(apbd, finance_officer).selections.order_by("overall_rank").first()
    covered = enrol(first_choice.worker, province, D(2025, 1, 1), D(2025, 12, 1))
    draft = plan(apbd, finance_officer)
    assert not draft.selections.filter(worker=first_choice.worker).exists()
    drop = draft.drops.get(worker=first_choice.worker)
    assert (drop.reason, drop.previous) == (PlanDrop.Reason.OTHER_FUNDER, covered)
    assert draft.selected == 100  # the budget still buys 100: the next poorest instead
    parts = enrolment_selectors.plan_parts(draft)
    assert [(d["reason"], d["workers"]) for d in parts["dropped"]] == [("funded", 1)]
    assert str(parts["dropped"][0]["label"]) == "Dibiayai sumber dana lain"
    # A funder whose months end before the plan starts does not stop it.
    Enrolment.objects.filter(pk=covered.pk).update(
        status="ended", end_month=D(2025, 3, 1), end_reason="budget_end"
    )
    assert plan(apbd, finance_officer).selections.filter(worker=first_choice.worker).exists()


@pytest.mark.parametrize("kind", [k for k, _label in FundingSource.Kind.choices])
def test_pp_50_2025_relief_applies_per_funder_as_the_rules_say(kind):
    book = default_rulebook()
    february = D(2026, 2, 1)
    funding = FundingSource.RULE_FUNDING[kind]
    params = program_rules.contribution_parameters(book, february, funding)
    relief = book.at("contribution.relief", february).value
    expected = funding not in relief["excluded_funding"]
    assert (params.relief_factor is not None) == expected
    # Regional budgets (APBD kabupaten or provinsi, their DBH) pay the full rate.
    if kind in {"apbd_kab", "apbd_prov", "dbhcht", "dbh_sawit"}:
        assert params.relief_factor is None


@pytest.mark.parametrize(
    "tuples, changed, pages_then, pages_now, stale",
    [
        (-1, 0, 0, 0, True),
        (0, 0, 0, 0, False),
        (0, 1, 0, 0, True),
        (1_000_000, 150_000, 10_000, 10_000, False),
        (1_000_000, 250_000, 10_000, 10_000, True),
        # A million rows inserted a moment ago: not yet counted as changed, but on disk.
        (0, 0, 0, 8_000, True),
        (1_000_000, 0, 10_000, 11_000, False),
        (1_000_000, 0, 10_000, 13_000, True),
    ],
)
def test_statistics_are_stale_when_missing_or_a_fifth_of_the_rows_changed(
    tuples, changed, pages_then, pages_now, stale
):
    from jaring.core.bulk import statistics_stale

    assert statistics_stale(tuples, changed, pages_then, pages_now) is stale


def test_billing_leaves_fresh_statistics_behind(apbd):  # noqa: F811
    """A bulk INSERT … SELECT planned on tables without statistics can loop over every line
    (minutes at a million enrolments): billing analyses stale tables first."""
    from django.db import connection

    from jaring.core.bulk import analyze_if_stale

    analysed = analyze_if_stale(Enrolment, InvoiceLine)
    if connection.vendor != "postgresql":
        assert analysed == []
        return
    # The invoice lines are partitioned by month: the parent is never analysed (that would
    # sample every partition), billing analyses the month's partition.
    assert "finance_invoiceline" not in analysed
    with connection.cursor() as cursor:
        cursor.execute("SELECT reltuples FROM pg_class WHERE oid = 'enrolment_enrolment'::regclass")
        assert cursor.fetchone()[0] >= 0  # analysed now (or before): the planner has statistics
    assert analyze_if_stale(Enrolment, InvoiceLine) == []  # fresh: not analysed again
