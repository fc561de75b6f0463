"""Money reaches participants: whole participant-months, in a fixed order, each its paid-through."""

import datetime

import pytest

from jaring.enrolment.models import Enrolment
from jaring.finance import exports
from jaring.finance import services as finance_services
from jaring.finance.allocation import with_payer
from jaring.finance.models import Invoice, InvoiceLine
from jaring.finance.protection import paid_through, protected_on
from jaring.regions.models import Region
from tests.conftest import BENGKALIS
from tests.test_enrolment_finance import apbd, enrol_and_activate, finance_officer, registry

FIXTURES = (apbd, finance_officer, registry)  # pytest finds the imported fixtures by name

D = datetime.date
PER_MONTH = 16_800  # JKK Rp10.000 + JKM Rp6.800 at the lowest bracket


@pytest.fixture
def billed(apbd, finance_officer, tmp_path):  # noqa: F811
    """100 participants enrolled from April 2025, billed for April and May."""
    enrol_and_activate(apbd, finance_officer, tmp_path)
    region = Region.objects.get(code=BENGKALIS)
    for month in (D(2025, 4, 1), D(2025, 5, 1)):
        finance_services.bill_month(region, month, finance_officer)
    return {m: Invoice.objects.get(month=m) for m in (D(2025, 4, 1), D(2025, 5, 1))}


def paid_lines(invoice):
    return with_payer(invoice.lines).filter(paid_by__isnull=False)


def paid_participants(invoice) -> int:
    return paid_lines(invoice).values("enrolment_id").distinct().count()


def test_sixty_percent_paid_pays_sixty_percent_of_participants_and_names_the_rest(
    billed,
    finance_officer,  # noqa: F811
):
    april = billed[D(2025, 4, 1)]
    assert april.total == 100 * PER_MONTH
    finance_services.record_payment(
        april, 60 * PER_MONTH, D(2025, 4, 10), "SP2D-1", finance_officer
    )
    assert paid_participants(april) == 60
    # Whole participant-months: each paid line is one participant's whole month.
    assert set(paid_lines(april).values_list("amount", flat=True)) == {PER_MONTH}
    order = list(Enrolment.objects.order_by("pk").values_list("pk", flat=True))
    paid_ids = set(paid_lines(april).values_list("enrolment_id", flat=True))
    assert paid_ids == set(order[:60])  # a fixed order: the same 60 on every run
    first, last = Enrolment.objects.get(pk=order[0]), Enrolment.objects.get(pk=order[-1])
    assert paid_through(first) == D(2025, 4, 1) and paid_through(last) is None
    assert protected_on(first.worker, D(2025, 4, 20)).protected
    unpaid = protected_on(last.worker, D(2025, 4, 20))
    assert not unpaid.protected and unpaid.why.value == "nothing_paid"
    summary = exports.invoice_summary(april)
    assert (summary["participants_paid"], summary["participants_unpaid"]) == (60, 40)


def test_money_short_of_a_participant_month_waits_for_the_next_payment(billed, finance_officer):  # noqa: F811
    april = billed[D(2025, 4, 1)]
    finance_services.record_payment(
        april, PER_MONTH // 2, D(2025, 4, 10), "SP2D-1", finance_officer
    )
    assert paid_participants(april) == 0
    second = finance_services.record_payment(
        april, PER_MONTH // 2 + PER_MONTH, D(2025, 4, 12), "SP2D-2", finance_officer
    )
    assert paid_participants(april) == 2
    assert set(paid_lines(april).values_list("paid_by", flat=True)) == {second.pk}
    finance_services.record_payment(
        april, april.total - 2 * PER_MONTH, D(2025, 4, 14), "SP2D-3", finance_officer
    )
    assert paid_participants(april) == 100


def test_the_excel_file_names_who_is_unpaid(billed, finance_officer):  # noqa: F811
    import io

    import openpyxl

    may = billed[D(2025, 5, 1)]
    pay = finance_services.record_payment
    pay(may, 99 * PER_MONTH, D(2025, 5, 9), "SP2D-MEI", finance_officer)
    sheet = openpyxl.load_workbook(io.BytesIO(exports.invoice_xlsx(may, full_kpj=True))).active
    rows = list(sheet.iter_rows(min_row=2, values_only=True))[:-1]  # the last row is the total
    assert rows[0][:8] and sum(1 for r in rows if r[8] == "BELUM DIBAYAR") == 1
    assert sum(1 for r in rows if str(r[8]).endswith("SP2D-MEI")) == 99
    assert {r[4:8] for r in rows} == {(10_000, 6_800, 0, PER_MONTH)}  # JKK, JKM, JHT, sum


def test_a_month_billed_after_a_payment_waits_for_the_next_one(billed, finance_officer):  # noqa: F811
    """A re-run bills a participant-month after a payment: that payment did not pay it, even when
    its enrolment sorts before the ones the payment paid; the next payment pays it first."""
    april = billed[D(2025, 4, 1)]
    first = Enrolment.objects.order_by("pk").first()
    late_lines = list(april.lines.filter(enrolment=first).values())
    april.lines.filter(enrolment=first).delete()  # as if first was billed only later
    paid = finance_services.record_payment(
        april, 99 * PER_MONTH, D(2025, 4, 10), "SP2D-1", finance_officer
    )
    assert paid_participants(april) == 99
    for line in late_lines:  # the re-run bills it now: new lines, after the payment
        line.pop("id")
        InvoiceLine.objects.create(**line)
    assert paid_through(first) is None and paid_participants(april) == 99
    later = finance_services.record_payment(
        april, PER_MONTH, D(2025, 4, 20), "SP2D-2", finance_officer
    )
    assert set(paid_lines(april).filter(enrolment=first).values_list("paid_by", flat=True)) == {
        later.pk
    }
    assert paid_participants(april) == 100 and paid.paid_through_line < later.paid_through_line
    assert paid_through(first) == D(2025, 4, 1)
