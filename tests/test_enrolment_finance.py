"""Targeting, enrolment with BPJS, billing and payments: the money adds up to the rupiah."""

import datetime
import io
import json
from pathlib import Path

import openpyxl
import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.db import IntegrityError, transaction
from django.utils import timezone

from jaring.accounts.models import PersonalDataAccess, User
from jaring.accounts.rules import RoleCode
from jaring.accounts.services import grant_role
from jaring.core import crypto, sealed
from jaring.enrolment import selectors as enrolment_selectors
from jaring.enrolment import services as enrolment_services
from jaring.enrolment.models import CoveragePlan, Enrolment
from jaring.finance import planning, protection
from jaring.finance import selectors as finance_selectors
from jaring.finance import services as finance_services
from jaring.finance.models import FundingSource, Invoice, InvoiceLine
from jaring.programs import rules as program_rules
from jaring.programs.rulebook import default_rulebook
from jaring.regions.models import Region
from jaring.registry import services as registry_services
from jaring.registry.models import Worker, WorkerStatus
from jaring.registry.synthetic import write_csv as write_synthetic
from tests.conftest import BENGKALIS

D = datetime.date
TODAY = D(2025, 3, 15)


@pytest.fixture
def registry(riau_regions, occupations, tmp_path):
    path = tmp_path / "workers.csv"
    write_synthetic(path, BENGKALIS, rows=300, bad_share=0, seed=11)
    batch = registry_services.run_import(
        registry_services.create_batch(path, Region.objects.get(code=BENGKALIS), "DTKS")
    )
    assert batch.accepted == 300
    return Worker.objects.all()


@pytest.fixture
def finance_officer(make_user):
    return make_user("keuangan", RoleCode.FINANCE_OFFICER, BENGKALIS)


@pytest.fixture
def apbd(registry, finance_officer):
    source = FundingSource.objects.create(
        region_id=BENGKALIS, kind="apbd_kab", name="APBD Kabupaten Bengkalis"
    )
    # 100 workers × 9 months (Apr–Dec) × Rp16.800, plus a remainder that buys nobody more.
    finance_services.allocate(
        source, 2025, 100 * 9 * 16_800 + 100_000, finance_officer, "DPA Disnaker 2025"
    )
    return source


def plan(source, user, **options):
    return planning.plan_coverage(
        Region.objects.get(code=BENGKALIS), source, 2025, user, today=TODAY, **options
    )


def test_plan_fills_the_budget_poorest_first_and_never_exceeds_it(apbd, finance_officer):
    draft = plan(apbd, finance_officer)
    assert (draft.start_month, draft.months, draft.monthly_cost) == (D(2025, 4, 1), 9, 16_800)
    assert draft.capacity == 100 and draft.selected == 100
    assert draft.cost == 100 * 9 * 16_800 <= draft.budget_available
    chosen = set(draft.selections.values_list("worker_id", flat=True))
    chosen_desil = max(Worker.objects.filter(pk__in=chosen).values_list("desil", flat=True))
    left_desil = min(Worker.objects.exclude(pk__in=chosen).values_list("desil", flat=True))
    assert chosen_desil <= left_desil
    again = plan(apbd, finance_officer)
    assert set(again.selections.values_list("worker_id", flat=True)) == chosen  # deterministic
    first = draft.selections.get(overall_rank=1)
    assert enrolment_selectors.explain(first, draft).startswith("Terpilih: desil 1; urutan ke-1")


def test_plan_excludes_the_dead_the_too_old_and_the_already_covered(apbd, finance_officer):
    dead, old = Worker.objects.order_by("desil", "created_at", "id")[:2]
    dead.status, dead.date_of_death = WorkerStatus.DECEASED, D(2025, 1, 5)
    dead.save()
    old.birth_date = D(1950, 1, 1)
    old.save()
    selected = set(plan(apbd, finance_officer).selections.values_list("worker_id", flat=True))
    assert dead.pk not in selected and old.pk not in selected


def test_quotas_cap_each_kecamatan(apbd, finance_officer):
    district = Worker.objects.values_list("district_code", flat=True).first()
    draft = plan(apbd, finance_officer, quotas={district: 3})
    assert draft.selections.filter(district_code=district).count() == 3
    assert draft.selected == 100
    per_district = {row["code"]: row for row in enrolment_selectors.plan_by_district(draft)}
    assert per_district[district]["workers"] == 3
    assert sum(r["cost"] for r in per_district.values()) == draft.cost


def test_commit_enrols_once_and_later_plans_see_the_smaller_budget(apbd, finance_officer):
    draft = plan(apbd, finance_officer)
    assert planning.commit_plan(draft, finance_officer) == 100
    assert Enrolment.objects.filter(status="planned", source=apbd).count() == 100
    with pytest.raises(ValidationError):
        planning.commit_plan(draft, finance_officer)
    after = plan(apbd, finance_officer)
    assert after.budget_available == 100_000 and after.capacity == 0 and after.selected == 0
    enrolment = Enrolment.objects.first()
    assert enrolment.history.get().history_type == "+"
    with pytest.raises(IntegrityError), transaction.atomic():
        Enrolment.objects.create(
            worker=enrolment.worker,
            source=apbd,
            start_month=D(2025, 5, 1),
            end_month=D(2025, 12, 1),
            declared_income=1_000_000,
        )


def test_a_second_source_cannot_cover_a_worker_already_covered(apbd, finance_officer):
    planning.commit_plan(plan(apbd, finance_officer), finance_officer)
    csr = FundingSource.objects.create(region_id=BENGKALIS, kind="csr", name="CSR Sawit")
    finance_services.allocate(csr, 2025, 10_000_000, finance_officer)
    covered = set(Enrolment.objects.values_list("worker_id", flat=True))
    csr_plan = plan(csr, finance_officer)
    assert csr_plan.selected > 0
    assert covered.isdisjoint(csr_plan.selections.values_list("worker_id", flat=True))


def test_plan_needs_an_allocation(registry, finance_officer):
    source = FundingSource.objects.create(region_id=BENGKALIS, kind="baznas", name="Baznas")
    with pytest.raises(ValidationError, match="Belum ada pagu"):
        plan(source, finance_officer)


def exchange_officer():
    """The operator who exchanges files with BPJS (a finance officer may not: they carry NIKs)."""
    operator = User.objects.filter(username="op.exchange").first()
    if operator is None:
        operator = User.objects.create_user("op.exchange")
        grant_role(operator, RoleCode.OPERATOR, Region.objects.get(code=BENGKALIS))
    return operator


def _opened(sealed_path: str) -> io.BytesIO:
    """A BPJS submission workbook as the download gives it (kept sealed at rest)."""
    return io.BytesIO(b"".join(sealed.unseal(Path(sealed_path))))


def enrol_and_activate(source, user, tmp_path):
    planning.commit_plan(plan(source, user), user)
    operator = exchange_officer()
    submission = enrolment_services.export_submission(Region.objects.get(code=BENGKALIS), operator)
    sheet = openpyxl.load_workbook(_opened(submission.file_path)).active
    rows = list(sheet.iter_rows(values_only=True))
    reply = openpyxl.Workbook()
    reply.active.append(["NIK", "No KPJ", "Status", "Keterangan"])
    for index, row in enumerate(rows[1:]):
        reply.active.append([row[0], f"{25000000000 + index:011d}", "Diterima", ""])
    path = tmp_path / "balasan.xlsx"
    reply.save(path)
    return submission, enrolment_services.import_reply(submission, path, operator)


def test_bpjs_exchange_files_round_trip(apbd, finance_officer, tmp_path):
    planning.commit_plan(plan(apbd, finance_officer), finance_officer)
    submission = enrolment_services.export_submission(
        Region.objects.get(code=BENGKALIS), exchange_officer()
    )
    rows = list(
        openpyxl.load_workbook(_opened(submission.file_path)).active.iter_rows(values_only=True)
    )
    assert rows[0][:4] == ("NIK", "NAMA LENGKAP", "TEMPAT LAHIR", "TANGGAL LAHIR")
    assert len(rows) == 101 and submission.rows == 100
    first = Enrolment.objects.get(worker__nik_index=crypto.nik_index(rows[1][0]))
    assert first.status == "submitted" and first.submission == submission
    assert PersonalDataAccess.objects.filter(
        action="export", object_type="bpjs_submission"
    ).exists()
    reply = openpyxl.Workbook()
    reply.active.append(["NIK", "KPJ", "Status", "Alasan"])
    reply.active.append([rows[1][0], "25012345678", "DITERIMA", ""])
    reply.active.append([rows[2][0], "", "Ditolak", "NIK tidak terdaftar di Dukcapil"])
    reply.active.append([rows[3][0], "123", "Diterima", ""])
    reply.active.append(["1403010101990099", "25012345679", "Diterima", ""])
    path = tmp_path / "balasan.xlsx"
    reply.save(path)
    outcome = enrolment_services.import_reply(submission, path, exchange_officer())
    assert (outcome["rows"], outcome["matched"], outcome["rejected"], outcome["unknown"]) == (
        4,
        1,
        2,
        1,
    )
    first.refresh_from_db()
    assert (first.status, first.kpj_number) == ("active", "25012345678")
    second = Enrolment.objects.get(worker__nik_index=crypto.nik_index(rows[2][0]))
    assert (second.status, second.submission, second.bpjs_note) == (
        "planned",
        None,
        "NIK tidak terdaftar di Dukcapil",
    )
    third = Enrolment.objects.get(worker__nik_index=crypto.nik_index(rows[3][0]))
    assert third.status == "planned" and "11 digit" in third.bpjs_note
    assert first.history.latest().history_change_reason.startswith("Balasan BPJS")


def test_the_branchs_layout_shapes_the_submission_and_its_reply_headers_are_read(
    apbd, finance_officer, tmp_path
):
    from jaring.accounts.models import OrgUnit
    from jaring.core.spreadsheets import FileRefused
    from jaring.enrolment.models import BranchFormat

    planning.commit_plan(plan(apbd, finance_officer), finance_officer)
    office = OrgUnit.objects.create(name="BPJS Duri", kind="bpjs", region_id=BENGKALIS)
    branch = BranchFormat.objects.create(
        office=office, columns=[["NO KTP", "nik"], ["NAMA PESERTA", "full_name"]]
    )
    submission = enrolment_services.export_submission(
        Region.objects.get(code=BENGKALIS), exchange_officer()
    )
    rows = list(
        openpyxl.load_workbook(_opened(submission.file_path)).active.iter_rows(values_only=True)
    )
    assert rows[0] == ("NO KTP", "NAMA PESERTA")
    reply = openpyxl.Workbook()
    reply.active.append(["NO KTP", "NOMOR KARTU", "HASIL VERIFIKASI"])
    reply.active.append([rows[1][0], "25012345678", "Diterima"])
    path = tmp_path / "balasan-cabang.xlsx"
    reply.save(path)
    with pytest.raises(FileRefused):  # without the branch's own headers: no status column
        enrolment_services.import_reply(submission, path, exchange_officer())
    branch.reply_columns = [["NOMOR KARTU", "kpj"], ["HASIL VERIFIKASI", "status"]]
    branch.save()
    outcome = enrolment_services.import_reply(submission, path, exchange_officer())
    assert (outcome["matched"], outcome["unknown"]) == (1, 0)
    first = Enrolment.objects.get(worker__nik_index=crypto.nik_index(rows[1][0]))
    assert first.kpj_number == "25012345678"


def test_billing_three_months_to_the_rupiah_and_rerun_adds_nothing(apbd, finance_officer, tmp_path):
    enrol_and_activate(apbd, finance_officer, tmp_path)
    region = Region.objects.get(code=BENGKALIS)
    for month in (D(2025, 4, 1), D(2025, 5, 1), D(2025, 6, 1)):
        result = finance_services.bill_month(region, month, finance_officer).summary()
        assert result["new_lines"] == 100 and result["total"] == 100 * 16_800
    again = finance_services.bill_month(region, D(2025, 5, 1), finance_officer).summary()
    assert again["new_lines"] == 0 and again["total"] == 1_680_000
    invoice = Invoice.objects.get(month=D(2025, 5, 1))
    assert (invoice.total, invoice.line_count) == (1_680_000, 100)
    assert set(invoice.lines.values_list("jkk_amount", "jkm_amount", "jht_amount", "amount")) == {
        (10_000, 6_800, 0, 16_800)
    }
    # Before the coverage starts nobody is billable: refused with the reason, no empty invoice.
    with pytest.raises(ValidationError) as refused:
        finance_services.bill_month(region, D(2025, 3, 1), finance_officer)
    assert refused.value.error_list[0].code == "nothing_to_bill"
    assert "03/2025" in refused.value.messages[0]
    assert not Invoice.objects.filter(month=D(2025, 3, 1)).exists()


def test_a_month_with_coverage_on_any_day_is_billed_whole(apbd, finance_officer, tmp_path):
    enrol_and_activate(apbd, finance_officer, tmp_path)
    ended = Enrolment.objects.first()
    enrolment_services.end_enrolment(ended, "death", D(2025, 5, 20), exchange_officer())
    region = Region.objects.get(code=BENGKALIS)
    finance_services.bill_month(region, D(2025, 5, 1), finance_officer)
    finance_services.bill_month(region, D(2025, 6, 1), finance_officer)
    assert InvoiceLine.objects.filter(enrolment=ended, month=D(2025, 5, 1)).count() == 1
    assert not InvoiceLine.objects.filter(enrolment=ended, month=D(2025, 6, 1)).exists()


@pytest.mark.parametrize(
    ("kind", "occupation", "income", "month", "programs"),
    [
        ("apbd_kab", "ojek_transportasi", 1_000_000, D(2026, 2, 1), "JKK,JKM"),
        ("csr", "ojek_transportasi", 1_000_000, D(2026, 2, 1), "JKK,JKM"),
        ("csr", "ojek_transportasi", 1_200_000, D(2026, 2, 1), "JKK,JKM"),
        ("csr", "nelayan", 2_400_000, D(2026, 2, 1), "JKK,JKM"),
        ("csr", "ojek_transportasi", 1_400_000, D(2025, 12, 1), "JKK,JKM"),
        ("apbdes", "ojek_transportasi", 3_400_000, D(2026, 3, 1), "JKK,JKM"),
        # PP 50/2025's non-transport relief (April-December 2026), not for a Pemda's budget.
        ("csr", "nelayan", 2_400_000, D(2026, 5, 1), "JKK,JKM"),
        ("apbd_kab", "nelayan", 1_000_000, D(2026, 5, 1), "JKK,JKM"),
        ("apbdes", "nelayan", 1_000_000, D(2026, 12, 1), "JKK,JKM"),
        # JHT taken as well: its own column of the participant-month, with and without relief.
        ("apbd_kab", "nelayan", 2_400_000, D(2026, 2, 1), "JKK,JKM,JHT"),
        ("csr", "nelayan", 2_400_000, D(2026, 5, 1), "JKK,JKM,JHT"),
    ],
)
def test_sql_billing_equals_the_rule_for_every_rate_case(
    registry, finance_officer, kind, occupation, income, month, programs
):
    source = FundingSource.objects.create(region_id=BENGKALIS, kind=kind, name=f"Sumber {kind}")
    finance_services.allocate(source, month.year, 1_000_000, finance_officer)
    worker = Worker.objects.first()
    worker.occupation_id = occupation
    worker.save()
    Enrolment.objects.create(
        worker=worker,
        source=source,
        status="active",
        kpj_number="2" * 11,
        start_month=month,
        end_month=month,
        declared_income=income,
        programs=programs,
    )
    result = finance_services.bill_month(
        Region.objects.get(code=BENGKALIS), month, finance_officer, source.name
    ).summary()
    expected = program_rules.monthly_contribution(
        default_rulebook(),
        month,
        income,
        {program_rules.Program(p) for p in programs.split(",")},
        "transport" if occupation == "ojek_transportasi" else None,
        source.rule_funding,
    )
    assert result["total"] == expected.total
    assert InvoiceLine.objects.count() == 1  # one participant-month, every programme on it
    by_rule = {line.program.value: line.amount for line in expected.lines}
    # Each programme in its column; one not taken is 0.
    assert InvoiceLine.objects.all().program_totals() == {
        program: by_rule.get(program, 0) for program in InvoiceLine.PROGRAM_AMOUNTS
    }


def test_payments_partial_overpayment_refused_and_paid_through(apbd, finance_officer, tmp_path):
    enrol_and_activate(apbd, finance_officer, tmp_path)
    region = Region.objects.get(code=BENGKALIS)
    for month in (D(2025, 4, 1), D(2025, 5, 1), D(2025, 6, 1)):
        finance_services.bill_month(region, month, finance_officer)
    april, may = Invoice.objects.order_by("month")[:2]
    finance_services.record_payment(april, 1_000_000, D(2025, 4, 14), "SP2D-001", finance_officer)
    # Rp1.000.000 of Rp1.680.000 pays 59 whole participant-months (59 × Rp16.800), in order.
    enrolment, last = (
        Enrolment.objects.order_by("pk").first(),
        Enrolment.objects.order_by("pk").last(),
    )
    assert protection.paid_through(enrolment) == D(2025, 4, 1)
    assert protection.paid_through(last) is None
    finance_services.record_payment(april, 680_000, D(2025, 4, 15), "SP2D-002", finance_officer)
    with pytest.raises(ValidationError, match="melebihi"):
        finance_services.record_payment(may, 1_680_001, D(2025, 5, 15), "SP2D-003", finance_officer)
    finance_services.record_payment(may, 1_680_000, D(2025, 5, 15), "SP2D-003", finance_officer)
    assert protection.paid_through(enrolment) == D(2025, 5, 1)
    coverage = program_rules.coverage_on(
        default_rulebook(), D(2025, 9, 20), D(2025, 4, 1), D(2025, 5, 1)
    )
    assert coverage.eligible is False and coverage.arrears_months == 4
    june = Invoice.objects.get(month=D(2025, 6, 1))
    finance_services.record_payment(june, 1, D(2025, 6, 16), "SP2D-004", finance_officer)
    with pytest.raises(ValidationError, match="sudah dicatat"):
        finance_services.record_payment(june, 1, D(2025, 6, 16), "SP2D-004", finance_officer)
    payment = june.payments.get()
    assert payment.recorded_by == finance_officer and payment.history.get().history_type == "+"


def test_budget_line_adds_up(apbd, finance_officer, tmp_path):
    enrol_and_activate(apbd, finance_officer, tmp_path)
    region = Region.objects.get(code=BENGKALIS)
    finance_services.bill_month(region, D(2025, 4, 1), finance_officer)
    invoice = Invoice.objects.get()
    finance_services.record_payment(
        invoice, invoice.total, D(2025, 4, 15), "SP2D-9", finance_officer
    )
    [line] = finance_selectors.budget_lines(finance_officer, 2025)
    assert line.allocation == 100 * 9 * 16_800 + 100_000
    assert line.committed == 100 * 9 * 16_800
    assert (line.billed, line.paid, line.covered_workers) == (1_680_000, 1_680_000, 100)
    assert line.remaining_to_commit == 100_000  # sisa pagu: allocation − committed
    assert line.remaining_to_pay == 0  # billed − credited − paid
    assert str(line.absorption_percent) == "11.0"  # 1.680.000 / 15.220.000, half-up


def test_allocation_revisions_are_kept_in_history(registry, finance_officer):
    source = FundingSource.objects.create(region_id=BENGKALIS, kind="apbd_kab", name="APBD")
    allocation = finance_services.allocate(source, 2025, 6_000_000_000, finance_officer, "DPA")
    finance_services.allocate(source, 2025, 6_100_000_000, finance_officer, "DPA-P")
    allocation.refresh_from_db()
    assert allocation.amount == 6_100_000_000
    assert [h.amount for h in allocation.history.order_by("history_date")] == [
        6_000_000_000,
        6_100_000_000,
    ]
    with pytest.raises(ValidationError):
        finance_services.allocate(source, 2026, 1.5, finance_officer)


def test_cli_plan_commit_and_bill(apbd, capsys):
    call_command(
        "plan_coverage",
        "--region",
        BENGKALIS,
        "--year",
        "2025",
        "--source",
        "APBD Kabupaten Bengkalis",
        "--start",
        "2025-04",
        "--json",
    )
    draft = json.loads(capsys.readouterr().out)
    assert (draft["status"], draft["selected"], draft["cost"]) == ("draft", 100, 15_120_000)
    assert sum(d["workers"] for d in draft["by_district"]) == 100
    call_command(
        "plan_coverage",
        "--region",
        BENGKALIS,
        "--year",
        "2025",
        "--source",
        "apbd_kab",
        "--start",
        "2025-04",
        "--commit",
        "--json",
    )
    committed = json.loads(capsys.readouterr().out)
    assert committed["enrolled"] == 100
    assert CoveragePlan.objects.filter(status="committed").count() == 1
    Enrolment.objects.update(status="active", kpj_number="12345678901")
    call_command("bill", "--region", BENGKALIS, "--month", "2025-04", "--json")
    bill = json.loads(capsys.readouterr().out)
    assert (bill["month"], bill["new_lines"], bill["total"]) == ("2025-04", 100, 1_680_000)


def test_worker_page_shows_coverage_paid_through_and_protection(
    apbd, finance_officer, tmp_path, make_user, client
):
    from django.urls import reverse

    enrol_and_activate(apbd, finance_officer, tmp_path)
    region = Region.objects.get(code=BENGKALIS)
    for month in (D(2025, 4, 1), D(2025, 5, 1)):
        finance_services.bill_month(region, month, finance_officer)
    april = Invoice.objects.get(month=D(2025, 4, 1))
    finance_services.record_payment(april, april.total, D(2025, 4, 10), "SP2D-1", finance_officer)
    enrolment = Enrolment.objects.first()
    june = protection.protected_on(enrolment.worker, D(2025, 6, 20))
    assert june.paid_through == D(2025, 4, 1)
    assert june.protected and june.arrears_months == 2 and june.until == D(2025, 7, 31)
    assert not protection.protected_on(enrolment.worker, D(2025, 8, 2)).protected
    client.force_login(make_user("op", RoleCode.OPERATOR, BENGKALIS))
    page = client.get(reverse("registry:worker", args=[enrolment.worker_id]))
    assert 'id="coverage"' in page.text and enrolment.kpj_number in page.text
    today = timezone.localdate()
    # The page answers with protected_on for today, naming the day it answers for.
    from jaring.core.formatting import tanggal

    assert f"Tidak terlindungi pada {tanggal(today)}:" in page.text
    assert "kepesertaan sudah berakhir sebelum tanggal ini" in page.text  # why: Why.ENDED
    assert "APBD Kabupaten Bengkalis" in page.text
