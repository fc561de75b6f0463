"""Corrections: a death or exit ends the enrolment at the right month; what was billed for months
not owed is credited; a death before coverage began cancels the enrolment and bills nothing."""

import datetime

import pytest

from jaring.enrolment import services as enrolment_services
from jaring.enrolment.models import Enrolment
from jaring.finance import selectors as finance_selectors
from jaring.finance import services as finance_services
from jaring.finance.models import CreditNote, InvoiceLine
from jaring.regions.models import Region
from tests.conftest import BENGKALIS
from tests.test_enrolment_finance import apbd, enrol_and_activate, finance_officer, registry

FIXTURES = (apbd, finance_officer, registry)  # pytest finds the imported fixtures by name
D = datetime.date
PER_MONTH = 16_800


@pytest.fixture
def active(apbd, finance_officer, tmp_path):  # noqa: F811
    """100 participants active April–December 2025."""
    enrol_and_activate(apbd, finance_officer, tmp_path)
    return Region.objects.get(code=BENGKALIS)


def bill(region, user, months):
    for month in months:
        finance_services.bill_month(region, month, user)


def test_months_billed_after_a_death_become_a_credit_note(active, finance_officer):  # noqa: F811
    bill(active, finance_officer, [D(2025, m, 1) for m in range(4, 13)])  # billed in advance
    enrolment = Enrolment.objects.order_by("pk").first()
    enrolment_services.end_enrolment(enrolment, "death", D(2025, 6, 18), None)
    enrolment.refresh_from_db()
    assert (enrolment.status, enrolment.end_month) == ("ended", D(2025, 6, 1))
    note = CreditNote.objects.get(enrolment=enrolment)
    assert note.total == 6 * PER_MONTH  # July to December, both programmes
    assert note.reason.startswith("Meninggal") and "06/2025" in note.reason
    credited = InvoiceLine.objects.filter(credit_note=note)
    assert sorted({line.month for line in credited}) == [D(2025, m, 1) for m in range(7, 13)]
    assert (
        not InvoiceLine.objects.filter(enrolment=enrolment, month__lte=D(2025, 6, 1))
        .filter(credit_note__isnull=False)
        .exists()
    )
    line = finance_selectors.budget_lines(finance_officer, 2025)[0]
    assert line.credited == note.total
    assert line.remaining_to_pay == line.billed - note.total - line.paid
    # Billing again changes nothing: the ended enrolment is not billed past its end.
    bill(active, finance_officer, [D(2025, 12, 1)])
    assert CreditNote.objects.count() == 1


def test_a_death_before_coverage_began_cancels_and_bills_nothing(active, finance_officer):  # noqa: F811
    enrolment = Enrolment.objects.order_by("pk").first()
    enrolment_services.end_enrolment(enrolment, "death", D(2025, 3, 9), None)
    enrolment.refresh_from_db()
    assert enrolment.status == Enrolment.Status.CANCELLED and enrolment.end_reason == "death"
    bill(active, finance_officer, [D(2025, 4, 1), D(2025, 5, 1)])
    assert not InvoiceLine.objects.filter(enrolment=enrolment).exists()
    assert InvoiceLine.objects.values("enrolment").distinct().count() == 99
    assert not CreditNote.objects.exists()  # nothing was billed, nothing to credit


def test_a_cancellation_after_billing_credits_every_billed_month(active, finance_officer):  # noqa: F811
    bill(active, finance_officer, [D(2025, 4, 1)])
    enrolment = Enrolment.objects.order_by("pk").first()
    # The death is learned after April was billed, but happened in March.
    enrolment_services.end_enrolment(enrolment, "death", D(2025, 3, 30), None)
    note = CreditNote.objects.get(enrolment=enrolment)
    assert note.total == PER_MONTH and "batal sebelum mulai" in note.reason
