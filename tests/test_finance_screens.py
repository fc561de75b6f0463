"""The money screens as a finance officer meets them: amounts typed as written, the payment
form's defaults, paid / partly paid / unpaid, rules by name, the invoice a BPKAD files."""

import datetime
import io

import openpyxl
import pypdf
import pytest
from django.urls import reverse
from django.utils import timezone
from hypothesis import given
from hypothesis import strategies as st

from jaring.accounts.rules import RoleCode
from jaring.core.formatting import ribuan, rupiah
from jaring.core.forms import RupiahField
from jaring.core.money import parse_rupiah
from jaring.finance.models import Invoice, Payment, PaymentState
from jaring.programs.names import RULE_NAMES, shown
from jaring.programs.rulebook import default_rulebook
from jaring.reference.models import Letterhead, Signatory
from tests.conftest import BENGKALIS
from tests.test_protection import base, build  # noqa: F401 - fixture

D = datetime.date
AMOUNTS = st.integers(min_value=0, max_value=10**15 - 1)


@given(AMOUNTS)
def test_an_amount_reads_back_however_it_is_written(amount):
    for written in (str(amount), ribuan(amount), rupiah(amount), f"Rp {ribuan(amount)},-"):
        assert parse_rupiah(written) == amount, written
    assert RupiahField().clean(ribuan(amount)) == amount


@pytest.mark.parametrize("written", ["199.811.200", "Rp199.811.200", "199811200", "199.811.200,00"])
def test_the_issues_amount_is_accepted(written):
    assert RupiahField(min_value=1).clean(written) == 199_811_200


@pytest.mark.parametrize("written", ["199.811.200,50", "-5", "sembilan", "1.99.811", "12,5"])
def test_an_amount_that_is_not_whole_rupiah_is_refused_never_guessed(written):
    with pytest.raises(ValueError):
        parse_rupiah(written)


def test_every_rule_has_a_name_and_a_ref_reads_as_name_and_source():
    assert set(default_rulebook().keys()) <= set(RULE_NAMES)
    rate = shown("contribution.jkk.rate@2015-07-01")
    assert str(rate.name) == "Tarif iuran JKK" and "PP 44/2015" in rate.source
    assert rate.effective_from == D(2015, 7, 1)


@pytest.fixture
def invoices(base, make_user):  # noqa: F811
    """Three billed months of one participant: January paid, February half, March not."""
    history = (
        [{"status": "active", "start": 0, "end": 11, "kpj": True, "billed": 3}],
        [("full", 0), ("part", 0), ("none", 0)] + [("none", 0)] * 47,
        None,
        (3, 1),
    )
    build(base, history)
    return {
        "by_month": {i.month: i for i in Invoice.objects.all()},
        "officer": make_user("keu", RoleCode.FINANCE_OFFICER, BENGKALIS),
    }


def test_the_invoice_list_says_paid_partly_paid_unpaid(invoices, client):
    client.force_login(invoices["officer"])
    page = client.get(reverse("finance:invoices"))
    states = {i.month: i.payment_state for i in page.context["invoices"]}
    assert states == {
        D(2021, 1, 1): PaymentState.PAID,
        D(2021, 2, 1): PaymentState.PARTLY_PAID,
        D(2021, 3, 1): PaymentState.UNPAID,
    }
    for label in ("Lunas", "Dibayar sebagian", "Belum dibayar"):
        assert label in page.text


def test_the_payment_form_starts_today_for_what_is_owed_and_takes_dots(invoices, client):
    february = invoices["by_month"][D(2021, 2, 1)]
    client.force_login(invoices["officer"])
    url = reverse("finance:invoice", args=[february.pk])
    page = client.get(url)
    assert f'value="{timezone.localdate():%Y-%m-%d}"' in page.text  # what a date input reads
    assert 'value="8.400"' in page.text  # 16.800 billed, 8.400 paid
    form = {"amount": "Rp8.400", "paid_on": "2021-03-01", "reference": "SP2D-2", "note": ""}
    client.post(url, form)
    assert Payment.objects.filter(invoice=february).count() == 2
    paid = client.get(reverse("finance:invoices")).context["invoices"]
    assert {i.month: i.payment_state for i in paid}[D(2021, 2, 1)] == PaymentState.PAID
    refused = client.post(url, {**form, "amount": "8.400,50"})
    assert "amount" in refused.context["form"].errors


def test_the_invoice_pdf_has_the_letterhead_signatory_and_grouped_numbers(invoices, client):
    Letterhead.objects.create(
        region_id=BENGKALIS,
        government="PEMERINTAH KABUPATEN BENGKALIS",
        office="DINAS TENAGA KERJA",
        address="Jl. Pramuka, Bengkalis",
        city="Bengkalis",
    )
    Signatory.objects.create(
        region_id=BENGKALIS,
        purpose=Signatory.Purpose.INVOICE,
        name="Hj. Siti Aminah, S.E.",
        position="Kepala Dinas Tenaga Kerja",
        nip="197501012000032001",
    )
    january = invoices["by_month"][D(2021, 1, 1)]
    client.force_login(invoices["officer"])
    pdf = client.get(reverse("finance:invoice", args=[january.pk]), {"format": "pdf"})
    text = " ".join(pypdf.PdfReader(io.BytesIO(pdf.content)).pages[0].extract_text().split())
    assert "PEMERINTAH KABUPATEN BENGKALIS" in text and "DINAS TENAGA KERJA" in text
    assert "Hj. Siti Aminah, S.E." in text and "NIP 197501012000032001" in text
    assert "Rp16.800" in text and "Lunas" in text
    assert "enam belas ribu delapan ratus rupiah" in text


def test_the_invoice_workbook_has_a_frozen_header_and_widths(invoices, make_user, client):
    client.force_login(make_user("op", RoleCode.OPERATOR, BENGKALIS))
    january = invoices["by_month"][D(2021, 1, 1)]
    xlsx = client.get(reverse("finance:invoice", args=[january.pk]), {"format": "xlsx"})
    sheet = openpyxl.load_workbook(io.BytesIO(xlsx.content)).active
    assert sheet.freeze_panes == "A2"
    assert sheet.column_dimensions["A"].width >= 16 and sheet["A1"].value == "KPJ"
    assert sheet["A2"].number_format == "@"  # a KPJ stays text
