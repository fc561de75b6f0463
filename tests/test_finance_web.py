"""The money screens: allocate, plan, commit, exchange files with BPJS, bill, pay, absorption."""

import datetime
import re

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from jaring.accounts.rules import RoleCode
from jaring.enrolment.models import CoveragePlan, Enrolment, PlanSelection, Submission
from jaring.finance.models import Allocation, Invoice, Payment
from tests.conftest import BENGKALIS, SIAK
from tests.test_enrolment_finance import registry  # noqa: F401 - fixture

# Session, user, roles, the invoices with their payments (one query, however many invoices).
QUERIES_FOR_ANY_NUMBER_OF_INVOICES = 7


@pytest.fixture
def staff(make_user):
    return {
        "finance": make_user("keu", RoleCode.FINANCE_OFFICER, BENGKALIS),
        "operator": make_user("op", RoleCode.OPERATOR, BENGKALIS),
        "bpjs": make_user("bpjs", RoleCode.BPJS_OFFICER, BENGKALIS),
        "siak": make_user("keu.siak", RoleCode.FINANCE_OFFICER, SIAK),
        "auditor": make_user("aud", RoleCode.AUDITOR, BENGKALIS),
    }


def test_the_whole_money_flow_through_the_screens(registry, staff, client, monkeypatch):  # noqa: F811
    monkeypatch.setattr(
        "jaring.enrolment.services.timezone.localdate", lambda: datetime.date(2025, 3, 15)
    )
    client.force_login(staff["finance"])
    client.post(
        reverse("finance:allocate"),
        {
            "source_name": "APBD Kabupaten Bengkalis",
            "kind": "apbd_kab",
            "fiscal_year": 2025,
            "amount": 50 * 9 * 16_800,
            "budget_document": "DPA 2025",
        },
    )
    allocation = Allocation.objects.get()
    assert allocation.amount == 7_560_000 and allocation.created_by == staff["finance"]
    asked = {"source": allocation.source_id, "fiscal_year": 2025, "start_month": "2025-04"}
    for _click in range(3):  # "Tampilkan rencana", as often as one likes: nothing is saved
        preview = client.post(reverse("finance:plan_new"), {**asked, "quotas": ""})
        assert "Terpilih: desil" in preview.text and preview.context["plan"].selected == 50
    assert not CoveragePlan.objects.exists() and not PlanSelection.objects.exists()
    assert "contribution.jkm.amount@" not in preview.text and "PP 44/2015" in preview.text
    shown = {"shown_selected": 50, "shown_cost": preview.context["plan"].cost}
    response = client.post(reverse("finance:plan_new"), {**asked, **shown, "commit": "1"})
    plan = CoveragePlan.objects.get()
    assert response["Location"] == reverse("finance:plan", args=[plan.pk])
    assert plan.status == CoveragePlan.Status.COMMITTED and plan.selected == 50
    assert Enrolment.objects.filter(status="planned").count() == 50

    client.force_login(staff["operator"])
    client.post(reverse("enrolment:submission_create"), {"region": BENGKALIS})
    submission = Submission.objects.get()
    download = client.get(reverse("enrolment:submission_download", args=[submission.pk]))
    rows = list(
        openpyxl.load_workbook(
            __import__("io").BytesIO(b"".join(download.streaming_content))
        ).active.iter_rows(values_only=True)
    )
    assert len(rows) == 51

    client.force_login(staff["bpjs"])
    reply = openpyxl.Workbook()
    reply.active.append(["NIK", "No KPJ", "Status"])
    for index, row in enumerate(rows[1:]):
        reply.active.append([row[0], f"{25000000000 + index}", "DITERIMA"])
    buffer = __import__("io").BytesIO()
    reply.save(buffer)
    client.post(
        reverse("enrolment:submission_reply", args=[submission.pk]),
        {"file": SimpleUploadedFile("balasan.xlsx", buffer.getvalue())},
    )
    assert Enrolment.objects.filter(status="active").count() == 50

    client.force_login(staff["finance"])
    for month in ("2025-04", "2025-05", "2025-06"):
        client.post(reverse("finance:invoices"), {"month": month})
    assert Invoice.objects.count() == 3
    april = Invoice.objects.get(month=datetime.date(2025, 4, 1))
    assert april.total == 50 * 16_800
    client.post(
        reverse("finance:invoice", args=[april.pk]),
        {"amount": april.total, "paid_on": "2025-04-14", "reference": "SP2D-0412", "note": ""},
    )
    assert Payment.objects.get().recorded_by == staff["finance"]
    overpaid = client.post(
        reverse("finance:invoice", args=[april.pk]),
        {"amount": 1, "paid_on": "2025-04-14", "reference": "SP2D-0413", "note": ""},
        follow=True,
    )
    assert "melebihi" in overpaid.text and Payment.objects.count() == 1
    budget = client.get(reverse("finance:budget"), {"tahun": 2025})
    assert "Rp7.560.000" in budget.text and "Rp840.000" in budget.text
    assert "11,1%" in budget.text  # 840.000 / 7.560.000
    pdf = client.get(reverse("finance:invoice", args=[april.pk]), {"format": "pdf"})
    assert pdf["Content-Type"] == "application/pdf" and pdf.content.startswith(b"%PDF")
    xlsx = client.get(reverse("finance:invoice", args=[april.pk]), {"format": "xlsx"})
    lines = list(
        openpyxl.load_workbook(__import__("io").BytesIO(xlsx.content)).active.iter_rows(
            values_only=True
        )
    )
    # A header, one row per participant-month (50 participants), the totals.
    assert len(lines) == 1 + 50 + 1 and lines[-1][7] == 840_000
    assert lines[-1][4:7] == (50 * 10_000, 50 * 6_800, 0)  # JKK, JKM, JHT
    assert lines[0][8] == "Dibayar" and lines[1][8] == "14-04-2025 SP2D-0412"  # who paid it
    budget_xlsx = client.get(reverse("finance:budget"), {"tahun": 2025, "format": "xlsx"})
    sheet = list(
        openpyxl.load_workbook(__import__("io").BytesIO(budget_xlsx.content)).active.iter_rows(
            values_only=True
        )
    )
    assert sheet[1][:8] == (
        "APBD Kabupaten Bengkalis",
        7_560_000,
        7_560_000,
        2_520_000,
        0,  # credited: no month billed that was not owed
        840_000,
        0,  # remaining to commit (sisa pagu): the plan committed the whole allocation
        1_680_000,  # remaining to pay: May and June billed, not yet paid
    )


def test_money_screens_are_region_scoped(registry, staff, client):  # noqa: F811
    from jaring.finance.models import FundingSource
    from jaring.finance.services import allocate

    source = FundingSource.objects.create(region_id=BENGKALIS, kind="apbd_kab", name="APBD")
    allocate(source, 2025, 1_000_000, staff["finance"])
    client.force_login(staff["finance"])
    assert "<td>APBD</td>" in client.get(reverse("finance:budget"), {"tahun": 2025}).text
    client.force_login(staff["siak"])
    assert "<td>APBD</td>" not in client.get(reverse("finance:budget"), {"tahun": 2025}).text
    client.post(
        reverse("finance:allocate"),
        {"source_name": "APBD Siak", "kind": "apbd_kab", "fiscal_year": 2025, "amount": 5},
    )
    assert Allocation.objects.get(source__name="APBD Siak").source.region_id == SIAK
    client.force_login(staff["auditor"])
    assert client.post(reverse("finance:allocate"), {}).status_code == 403
    assert client.get(reverse("enrolment:submissions")).status_code == 403


def test_the_invoice_list_shows_what_was_paid_in_one_query(
    make_user, occupations, tmp_path, client, django_assert_num_queries
):
    from tests.test_claims import build_coverage

    build_coverage(make_user("pembangun", is_superuser=True), tmp_path, paid_months=8)
    client.force_login(make_user("keu", RoleCode.FINANCE_OFFICER, BENGKALIS))
    client.get(reverse("finance:invoices"))  # warm the session and the role caches
    with django_assert_num_queries(QUERIES_FOR_ANY_NUMBER_OF_INVOICES):
        page = client.get(reverse("finance:invoices"))
    cells = re.findall(r'<td class="num">Rp([\d.]+)</td><td class="num">Rp([\d.]+)</td>', page.text)
    paid = [int(cell.replace(".", "")) for _total, cell in cells]
    invoices = Invoice.objects.order_by("-month", "source_id")
    assert paid == [i.total if i.month.month <= 8 else 0 for i in invoices]
