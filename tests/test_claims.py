"""Claims: eligibility on the event date, heirs, documents, maker-checker, payment, handover,
service level, and the death lists that find claims nobody reported."""

import datetime
import io
import json
import threading
from decimal import Decimal

import pypdf
import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.db import IntegrityError, connection, transaction

from jaring.accounts.rules import RoleCode
from jaring.claims import selectors, services
from jaring.claims.models import Claim, ClaimStatus, DeathRecord, Instalment
from jaring.core import crypto
from jaring.enrolment.models import Enrolment
from jaring.finance import planning
from jaring.finance import services as finance_services
from jaring.finance.models import FundingSource, Invoice
from jaring.regions.models import Region
from jaring.registry import services as registry_services
from jaring.registry.models import Worker, WorkerStatus
from tests.conftest import BENGKALIS, SIAK
from tests.test_registry_import import BAHTIAR, RUSNI, SAFRI, write_csv

D = datetime.date
TODAY = D(2026, 1, 20)
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
JKM_DOCUMENTS = [
    "kpj_card",
    "death_certificate",
    "ktp_deceased",
    "family_card",
    "ktp_heir",
    "heir_statement",
    "bank_book",
]


def nik_of(row) -> str:
    return row[0]


def worker(row) -> Worker:
    return Worker.objects.get(nik_index=crypto.nik_index(nik_of(row)))


def build_coverage(builder, tmp_path, rows=(RUSNI, BAHTIAR, SAFRI), paid_months=8):
    """The seed's workers enrolled from January 2025 with KPJ numbers, billed for the year and
    paid through ``paid_months``."""
    region = Region.objects.get(code=BENGKALIS)
    batch = registry_services.run_import(
        registry_services.create_batch(write_csv(tmp_path / "w.csv", list(rows)), region, "DTKS")
    )
    assert batch.accepted == len(rows)
    source = FundingSource.objects.create(region=region, kind="apbd_kab", name="APBD Bengkalis")
    finance_services.allocate(source, 2025, len(rows) * 12 * 16_800, builder)
    plan = planning.plan_coverage(region, source, 2025, builder, start_month=D(2025, 1, 1))
    planning.commit_plan(plan, builder)
    Enrolment.objects.filter(source=source).update(status="active", kpj_number="24030000001")
    for month in range(1, 13):
        finance_services.bill_month(region, D(2025, month, 1), builder)
    for invoice in Invoice.objects.filter(source=source, month__lte=D(2025, paid_months, 1)):
        finance_services.record_payment(
            invoice, invoice.total, invoice.month, f"SP2D/{invoice.month:%m}", builder
        )
    return source


def problem_texts(claim) -> list[str]:
    """What the claim page lists as still missing (each problem is a coded ValidationError)."""
    return [text for problem in services.submission_problems(claim) for text in problem.messages]


@pytest.fixture
def people(make_user, occupations, tmp_path):
    builder = make_user("pembangun", is_superuser=True)
    build_coverage(builder, tmp_path)
    return {
        "officer": make_user("klaim", RoleCode.CLAIMS_OFFICER, BENGKALIS),
        "clerk": make_user("klaim2", RoleCode.CLAIMS_OFFICER, BENGKALIS),
        "supervisor": make_user("supervisor", RoleCode.CLAIMS_SUPERVISOR, BENGKALIS),
        "bpjs": make_user("bpjs", RoleCode.BPJS_OFFICER, BENGKALIS),
        "siak": make_user("klaim.siak", RoleCode.CLAIMS_OFFICER, SIAK),
    }


def death(row, day, user, today=TODAY, **extra) -> Claim:
    report = services.EventReport(
        program="JKM", event="death", event_date=day, reported_by="village", **extra
    )
    return services.report_event(worker(row), report, user, today=today)


def upload(claim, kind, user, content=PDF, name="berkas.pdf"):
    return services.upload_document(
        claim, kind, SimpleUploadedFile(name, content + kind.encode()), user
    )


def prepare(claim, officer, clerk, heirs=(("Istri", "spouse"),)):
    """Family, heirs and every required document uploaded by one officer, checked by another."""
    for name, relationship in heirs:
        services.add_family_member(
            claim, officer, full_name=name, relationship=relationship, birth_date=D(1986, 1, 1)
        )
    for kind in services.required_documents(claim):
        services.verify_document(upload(claim, kind, officer), clerk, today=D(2025, 9, 15))
    claim.refresh_from_db()
    return claim


PAID_ON = D(2026, 1, 23)
SENT_ON, RECEIVED_ON, DECIDED_ON = D(2026, 1, 20), D(2026, 1, 20), D(2026, 1, 21)


def to_bpjs(claim, officer, checker, bpjs, received_on=RECEIVED_ON) -> Claim:
    """Put forward by the officer, checked by the Pemda's checker, carried to the branch on
    ``SENT_ON`` and received complete by BPJS on ``received_on``."""
    services.submit(claim, officer)
    services.approve(claim, checker, "Berkas lengkap")
    services.record_sending(claim, officer, SENT_ON, "hand")
    services.record_receipt(claim, bpjs, received_on, f"JKM-{claim.pk:05d}")
    claim.refresh_from_db()
    return claim


def bpjs_approves(claim, bpjs, decided_on=DECIDED_ON, **amounts) -> Claim:
    """BPJS approves with Jaring's expected amounts, or with ``amounts`` where given."""
    expected = {c["code"]: c["amount"] for c in claim.components}
    decision = services.BpjsDecision("approved", decided_on, amounts=expected | amounts)
    services.record_decision(claim, bpjs, decision)
    claim.refresh_from_db()
    return claim


def transfer(amount, reference="TRF-1", paid_on=PAID_ON):
    return services.BankTransfer(
        amount, paid_on, "BRK Syariah", "0123 4567 8901", "Istri", reference
    )


# --- Eligibility on the event date ------------------------------------------------------------


@pytest.mark.parametrize(
    ("day", "eligible", "code", "arrears"),
    [
        (D(2025, 1, 1), True, "covered", 0),  # first day of the first covered month
        (D(2025, 8, 31), True, "covered", 0),  # last day of the last paid month
        (D(2025, 9, 1), True, "covered_with_arrears", 1),
        (D(2025, 11, 30), True, "covered_with_arrears", 3),  # the 3rd unpaid month still holds
        (D(2025, 12, 1), False, "membership_inactive", 4),
        (D(2024, 12, 31), False, "not_started", 0),  # the day before coverage began
    ],
)
def test_eligibility_on_edge_dates(people, day, eligible, code, arrears):
    claim = death(RUSNI, day, people["officer"])
    assert (claim.eligible, claim.eligibility["reason_code"], claim.arrears_months) == (
        eligible,
        code,
        arrears,
    )
    assert claim.benefit_total == (42_000_000 if eligible else 0)
    if eligible:
        assert [c["code"] for c in claim.components] == ["lump_sum", "periodic", "funeral"]
    assert claim.eligibility["reason_id"]  # an Indonesian sentence for the officer


def test_a_planned_enrolment_without_kpj_does_not_protect(people):
    Enrolment.objects.update(kpj_number="", status="submitted")
    claim = death(BAHTIAR, D(2025, 6, 1), people["officer"])
    assert claim.eligible is False and claim.eligibility["reason_code"] == "not_enrolled"


def test_a_death_marks_the_worker_deceased_and_ends_the_coverage(people):
    claim = death(RUSNI, D(2025, 8, 10), people["officer"], place="Kelebuk", cause="sakit")
    rusni = worker(RUSNI)
    assert (rusni.status, rusni.date_of_death) == (WorkerStatus.DECEASED, D(2025, 8, 10))
    enrolment = Enrolment.objects.get(worker=rusni)
    assert (enrolment.status, enrolment.end_reason, enrolment.end_month) == (
        "ended",
        "death",
        D(2025, 8, 1),
    )
    assert claim.enrolment == enrolment  # the ended enrolment still covers the event date
    assert claim.number == f"KLM/{BENGKALIS}/2025/{claim.pk:06d}"
    with pytest.raises(ValidationError, match="sudah ada"):
        death(RUSNI, D(2025, 8, 10), people["officer"])
    with pytest.raises(ValidationError, match="sudah tercatat meninggal"):
        death(RUSNI, D(2025, 8, 11), people["officer"])


def test_reports_that_cannot_be_true_are_refused(people):
    with pytest.raises(ValidationError, match="masa depan"):
        death(BAHTIAR, D(2026, 2, 1), people["officer"])
    with pytest.raises(ValidationError, match="tidak sesuai"):
        services.report_event(
            worker(BAHTIAR),
            services.EventReport("JKM", "total_disability", D(2025, 5, 1), "family"),
            people["officer"],
            today=TODAY,
        )
    assert not Claim.objects.exists() and worker(BAHTIAR).status == WorkerStatus.ACTIVE


def test_a_work_accident_is_priced_from_the_declared_income(people):
    claim = services.report_event(
        worker(SAFRI),
        services.EventReport(
            "JKK", "partial_disability", D(2025, 7, 3), "family", disability_percent=Decimal("10")
        ),
        people["officer"],
        today=TODAY,
    )
    # 10 % × 80 × Rp1.000.000; paid to the participant, so no heirs are needed.
    assert claim.eligible and claim.benefit_total == 8_000_000
    assert services.required_documents(claim) == [
        "kpj_card",
        "ktp_participant",
        "family_card",
        "bank_book",
        "accident_report",
        "medical_report",
    ]


# --- Heirs ------------------------------------------------------------------------------------


def test_heirs_follow_the_legal_order(people):
    claim = death(BAHTIAR, D(2025, 6, 1), people["officer"])
    officer = people["officer"]
    services.add_family_member(claim, officer, full_name="Ayah", relationship="parent")
    services.add_family_member(claim, officer, full_name="Adik", relationship="sibling")
    assert set(claim.family.filter(is_heir=True).values_list("full_name", flat=True)) == {"Ayah"}
    services.add_family_member(claim, officer, full_name="Anak", relationship="child")
    services.add_family_member(
        claim, officer, full_name="Istri", relationship="spouse", nik="1403014101850009"
    )
    services.add_family_member(
        claim, officer, full_name="Istri Pertama", relationship="spouse", alive=False
    )
    heirs = set(claim.family.filter(is_heir=True).values_list("full_name", flat=True))
    assert heirs == {"Anak", "Istri"}  # tier 1 (spouse or children) wins; the dead inherit nothing
    claim.refresh_from_db()
    assert claim.heir_basis.startswith("Urutan ke-1")
    wife = claim.family.get(full_name="Istri")
    assert crypto.decrypt_nik(wife.nik_cipher) == "1403014101850009"
    assert wife.masked_nik == "1403**********0009"


def test_an_heir_exception_needs_a_justification_and_is_kept(people):
    claim = death(BAHTIAR, D(2025, 6, 1), people["officer"])
    officer = people["officer"]
    services.add_family_member(claim, officer, full_name="Anak", relationship="child")
    services.add_family_member(claim, officer, full_name="Ibu", relationship="parent")
    mother = claim.family.get(full_name="Ibu")
    with pytest.raises(ValidationError, match="alasan"):
        services.override_heirs(claim, officer, [mother.pk], "karena")
    reason = "Anak masih bayi; wali yang ditetapkan pengadilan adalah neneknya (ibu peserta)."
    services.override_heirs(claim, officer, [mother.pk], reason)
    services.add_family_member(claim, officer, full_name="Kakak", relationship="sibling")
    claim.refresh_from_db()
    assert list(claim.family.filter(is_heir=True).values_list("full_name", flat=True)) == ["Ibu"]
    assert claim.heir_override_by == officer and reason in claim.heir_basis
    assert claim.history.filter(history_change_reason="Pengecualian ahli waris").exists()
    assert mother.history.filter(history_change_reason=reason, history_user=officer).exists()


# --- Documents --------------------------------------------------------------------------------


def test_documents_are_checked_by_content_size_and_duplicates(people, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    claim = death(RUSNI, D(2025, 8, 10), people["officer"])
    officer = people["officer"]
    with pytest.raises(ValidationError, match="PDF, JPG atau PNG"):
        services.upload_document(
            claim, "kpj_card", SimpleUploadedFile("kartu.pdf", b"MZ\x90\x00 not a pdf"), officer
        )
    with pytest.raises(ValidationError, match="Ukuran"):
        services.upload_document(claim, "kpj_card", SimpleUploadedFile("kosong.pdf", b""), officer)
    with pytest.raises(ValidationError, match="Jenis dokumen"):
        upload(claim, "selfie", officer)
    document = upload(claim, "kpj_card", officer, PNG, "kartu.png")
    assert document.content_type == "image/png"
    assert (tmp_path / "media" / "claims" / str(claim.pk)).is_dir()
    assert document.stored_file.endswith(".png") and "kartu" not in document.stored_file
    with pytest.raises(ValidationError, match="sudah diunggah"):
        upload(claim, "kpj_card", officer, PNG, "kartu-lagi.png")
    with pytest.raises(ValidationError, match="petugas lain"):
        services.verify_document(document, officer)
    assert claim.documents.count() == 1


def test_complete_documents_start_the_service_clock(people):
    claim = death(RUSNI, D(2025, 8, 10), people["officer"])
    officer, clerk = people["officer"], people["clerk"]
    services.add_family_member(claim, officer, full_name="Suami", relationship="spouse")
    required = services.required_documents(claim)
    assert required == [*JKM_DOCUMENTS, "marriage_book"]  # a spouse inherits: buku nikah
    for kind in required[:-1]:
        services.verify_document(upload(claim, kind, officer), clerk, today=D(2025, 9, 12))
    claim.refresh_from_db()
    assert claim.documents_complete_on is None
    assert "Dokumen wajib belum lengkap atau belum diperiksa." in problem_texts(claim)
    services.verify_document(upload(claim, "marriage_book", officer), clerk, today=D(2025, 9, 12))
    claim.refresh_from_db()
    assert claim.documents_complete_on == D(2025, 9, 12)
    items = selectors.checklist(claim)
    assert [i.kind for i in items] == required and all(i.verified for i in items)


# --- Maker-checker, payment, handover ---------------------------------------------------------


def test_the_seed_case_from_report_to_handover(people, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    officer, clerk, supervisor = people["officer"], people["clerk"], people["supervisor"]
    bpjs = people["bpjs"]
    claim = prepare(death(RUSNI, D(2025, 8, 10), officer, place="Desa Kelebuk"), officer, clerk)
    assert services.submission_problems(claim) == []
    stale = Claim.objects.get(pk=claim.pk)  # a page opened before the submission
    services.submit(claim, officer)
    with pytest.raises(PermissionDenied):
        services.approve(claim, officer)
    with pytest.raises(PermissionDenied):
        services.approve(claim, bpjs)  # BPJS decides the benefit, it does not check the file
    services.approve(claim, supervisor, "Lengkap")
    claim.refresh_from_db()
    assert (claim.status, claim.decided_by) == (ClaimStatus.CHECKED, supervisor)
    assert not claim.instalments.exists()  # the Pemda approves no benefit
    with pytest.raises(ValidationError, match="berubah"):
        services.approve(claim, people["supervisor"])
    services.judge(stale)  # judging from a stale copy never writes the status back
    assert Claim.objects.get(pk=claim.pk).status == ClaimStatus.CHECKED
    with pytest.raises(ValidationError, match="sudah diajukan"):
        services.decide(Claim.objects.get(pk=claim.pk), officer, "recheck")
    services.record_sending(claim, officer, SENT_ON, "hand")
    with pytest.raises(PermissionDenied):
        services.record_receipt(claim, officer, RECEIVED_ON, "JKM-1")  # the Pemda cannot
    services.record_receipt(claim, bpjs, RECEIVED_ON, "JKM/DURI/0001")
    claim = bpjs_approves(claim, bpjs)
    assert (claim.status, claim.bpjs_total, claim.amount_difference) == (
        ClaimStatus.APPROVED,
        42_000_000,
        0,
    )
    cash = claim.instalments.get()
    assert (cash.kind, cash.amount, cash.due_on) == ("cash", 42_000_000, DECIDED_ON)
    heir = claim.family.get(is_heir=True)
    with pytest.raises(PermissionDenied):
        services.record_benefit_payment(cash, heir, transfer(42_000_000), officer)
    with pytest.raises(ValidationError, match="sebelum keputusannya"):
        services.record_benefit_payment(cash, heir, transfer(1, "TRF-0", D(2026, 1, 19)), bpjs)
    services.record_benefit_payment(cash, heir, transfer(40_000_000), bpjs)
    with pytest.raises(ValidationError, match="melebihi"):
        services.record_benefit_payment(cash, heir, transfer(2_000_001, "TRF-2"), bpjs)
    with pytest.raises(ValidationError, match="sudah dicatat"):
        services.record_benefit_payment(cash, heir, transfer(1, "TRF-1"), bpjs)
    claim.refresh_from_db()
    assert claim.status == ClaimStatus.APPROVED  # partly paid
    with pytest.raises(ValidationError, match="setelah BPJS membayar"):
        services.record_handover(claim, heir, handover_facts(), officer)
    payment = services.record_benefit_payment(cash, heir, transfer(2_000_000, "TRF-2"), bpjs)
    claim.refresh_from_db()
    assert (claim.status, claim.paid_on) == (ClaimStatus.PAID, PAID_ON)
    assert payment.masked_account == "••••8901" and b"8901" not in bytes(payment.account_cipher)
    assert crypto.decrypt_personal(payment.account_cipher) == "012345678901"
    sla = selectors.service_level_of(claim)
    assert (sla.target_days, sla.working_days_taken, sla.days_late, sla.overdue) == (3, 3, 0, False)
    handover = services.record_handover(
        claim, heir, handover_facts(), officer, photo=SimpleUploadedFile("foto.png", PNG)
    )
    assert handover.photo.endswith(".png") and str(tmp_path / "media") in handover.photo
    assert not handover.is_signed and "KONSEP" in pdf_text(handover_pdf(claim))
    services.sign_handover(claim, officer)
    with pytest.raises(ValidationError, match="sudah ditandatangani"):
        services.record_handover(claim, heir, handover_facts(), officer)
    text = pdf_text(handover_pdf(claim))
    assert "KONSEP" not in text and "Senin, 22 September 2025" in text
    assert "Wisma Daerah Sri Mahkota, Bengkalis" in text
    assert "Rp42.000.000" in text and "empat puluh dua juta rupiah" in text
    assert "Rusni" in text and "Istri" in text and handover.number in text
    assert "JKM/DURI/0001" in text
    assert "Halaman 1 dari 1" in text  # one sheet to sign
    statuses = list(claim.history.order_by("history_date").values_list("status", flat=True))
    steps = [s for i, s in enumerate(statuses) if i == 0 or s != statuses[i - 1]]
    assert steps == ["reported", "checking", "checked", "sent", "at_bpjs", "approved", "paid"]


def handover_facts():
    return services.HandoverFacts(
        D(2025, 9, 22),
        "Wisma Daerah Sri Mahkota",
        "Bengkalis",
        "Kasmarni",
        "Bupati Bengkalis",
        "Kepala Cabang",
        "BPJS Ketenagakerjaan Cabang Duri",
    )


def handover_pdf(claim):
    from jaring.claims.exports import handover_pdf as render

    claim.refresh_from_db()
    return render(claim)


def pdf_text(content: bytes) -> str:
    pages = pypdf.PdfReader(io.BytesIO(content)).pages
    return " ".join(" ".join(page.extract_text().split()) for page in pages)


def test_a_claim_cannot_be_submitted_with_arrears_or_without_heirs(people):
    officer, clerk = people["officer"], people["clerk"]
    claim = prepare(death(SAFRI, D(2025, 10, 2), officer), officer, clerk, heirs=())
    problems = problem_texts(claim)
    assert "Lunasi dahulu tunggakan iuran 2 bulan." in problems
    assert "Belum ada ahli waris." in problems
    assert {p.code for p in services.submission_problems(claim)} == {
        "arrears_unpaid",
        "heir_missing",
    }
    with pytest.raises(ValidationError):
        services.submit(claim, officer)
    assert Claim.objects.get(pk=claim.pk).status == ClaimStatus.REPORTED


def test_arrears_settled_after_the_event_unblock_the_file_but_not_the_cover(people, make_user):
    """Two months in arrears on 2 October (tolerated: covered); paying them on 20 October settles
    them, so the file may go to BPJS; the cover itself was decided on the event date."""
    officer = people["officer"]
    claim = death(SAFRI, D(2025, 10, 2), officer)
    assert (claim.eligible, claim.arrears_months) == (True, 2)
    source = FundingSource.objects.get()
    finance = make_user("keuangan", RoleCode.FINANCE_OFFICER, BENGKALIS)
    for invoice in Invoice.objects.filter(source=source, month__in=[D(2025, 9, 1), D(2025, 10, 1)]):
        finance_services.record_payment(
            invoice, invoice.total, D(2025, 10, 20), f"SP2D/late/{invoice.month:%m}", finance
        )
    claim = services.judge(claim)
    assert claim.eligible and claim.arrears_months == 0
    assert claim.eligibility["reason_code"] == "covered_with_arrears"  # as on the event date
    assert "arrears_unpaid" not in {p.code for p in services.submission_problems(claim)}


def test_the_database_refuses_a_maker_who_checks_himself(people):
    officer = people["officer"]
    claim = death(RUSNI, D(2025, 8, 10), officer)
    with pytest.raises(IntegrityError), transaction.atomic():
        Claim.objects.filter(pk=claim.pk).update(
            status="approved", submitted_by=officer, decided_by=officer
        )
    with pytest.raises(IntegrityError), transaction.atomic():
        Claim.objects.filter(pk=claim.pk).update(status="approved")  # approved without a checker


def test_a_returned_claim_goes_back_to_its_officer(people):
    officer, clerk, supervisor = people["officer"], people["clerk"], people["supervisor"]
    claim = prepare(death(BAHTIAR, D(2025, 6, 1), officer), officer, clerk)
    services.submit(claim, officer)
    with pytest.raises(ValidationError, match="alasan"):
        services.send_back(claim, supervisor, "kurang")
    services.send_back(claim, supervisor, "KTP ahli waris buram, unggah ulang.")
    claim.refresh_from_db()
    assert (claim.status, claim.submitted_by) == (ClaimStatus.REPORTED, None)
    claim = to_bpjs(claim, officer, supervisor, people["bpjs"])
    refusal = services.BpjsDecision("refused", DECIDED_ON, "Bukan peserta yang sama (NIK berbeda).")
    services.record_decision(claim, people["bpjs"], refusal)
    claim.refresh_from_db()
    assert claim.status == ClaimStatus.REJECTED and not claim.instalments.exists()
    assert claim.bpjs_reason.startswith("Bukan peserta")


# --- Races (PostgreSQL: real concurrent transactions) -----------------------------------------

needs_postgres = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="row locks need a server database"
)


def _at_once(*calls):
    """Run each call in its own thread and connection, released together."""
    barrier = threading.Barrier(len(calls))
    outcomes = [None] * len(calls)

    def run(index, call):
        from django.db import connections

        barrier.wait()
        try:
            call()
            outcomes[index] = "ok"
        except (ValidationError, IntegrityError, PermissionDenied) as exc:
            outcomes[index] = type(exc).__name__
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(i, c)) for i, c in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return outcomes


@needs_postgres
@pytest.mark.django_db(transaction=True)
def test_two_approvals_at_once_pay_once(people, make_user):
    officer, clerk, bpjs = people["officer"], people["clerk"], people["bpjs"]
    claim = prepare(death(RUSNI, D(2025, 8, 10), officer), officer, clerk)
    services.submit(claim, officer)
    second = make_user("supervisor2", RoleCode.CLAIMS_SUPERVISOR, BENGKALIS)
    outcomes = _at_once(
        lambda: services.approve(claim, people["supervisor"]),
        lambda: services.approve(claim, second),
    )
    assert sorted(outcomes) == ["ValidationError", "ok"]
    services.record_sending(claim, officer, SENT_ON, "hand")
    services.record_receipt(claim, bpjs, RECEIVED_ON, "JKM-RACE")
    claim.refresh_from_db()
    other = make_user("bpjs2", RoleCode.BPJS_OFFICER, BENGKALIS)
    outcomes = _at_once(lambda: bpjs_approves(claim, bpjs), lambda: bpjs_approves(claim, other))
    assert sorted(outcomes) == ["ValidationError", "ok"]
    assert Instalment.objects.filter(claim=claim).count() == 1
    cash = Instalment.objects.get(claim=claim)
    heir = claim.family.get(is_heir=True)
    outcomes = _at_once(
        lambda: services.record_benefit_payment(cash, heir, transfer(42_000_000, "A"), bpjs),
        lambda: services.record_benefit_payment(cash, heir, transfer(42_000_000, "B"), other),
    )
    assert sorted(outcomes) == ["ValidationError", "ok"]
    cash.refresh_from_db()
    assert cash.paid_amount == 42_000_000 and cash.payments.count() == 1


# --- Proactive discovery ----------------------------------------------------------------------


def write_deaths(path, rows):
    return write_csv(path, rows, header=["NIK", "Nama", "Tanggal Meninggal"])


def test_a_death_list_opens_potential_claims_once(people, tmp_path, capsys):
    outsider = "1403015001900003"  # a real-looking NIK nobody registered
    path = write_deaths(
        tmp_path / "kematian.csv",
        [
            [nik_of(RUSNI), "RUSNI", "10-08-2025"],  # covered: a potential claim
            [nik_of(BAHTIAR), "Bahtiar", "02-12-2024"],  # before his coverage began
            [outsider, "Orang Lain", "01-07-2025"],
            ["14030112", "Rusak", "01-07-2025"],
            [nik_of(SAFRI), "Safri", "bukan tanggal"],
        ],
    )
    call_command("claims", "import-deaths", str(path), "--region", BENGKALIS, "--json")
    summary = json.loads(capsys.readouterr().out)
    assert summary == {
        "rows": 5,
        "matched_covered": 1,
        "claims_opened": 1,
        "not_covered": 1,
        "unknown": 1,
        "rejected": 2,
    }
    potential = Claim.objects.get()
    assert (potential.status, potential.reported_by, potential.eligible) == (
        "potential",
        "death_list",
        True,
    )
    assert worker(RUSNI).status == WorkerStatus.DECEASED
    assert worker(BAHTIAR).status == WorkerStatus.DECEASED  # Dukcapil says so, covered or not
    assert worker(SAFRI).status == WorkerStatus.ACTIVE
    reasons = dict(DeathRecord.objects.values_list("row_number", "reason"))
    assert reasons[5] and reasons[6]  # every rejected row says why

    call_command("claims", "import-deaths", str(path), "--region", BENGKALIS, "--json")
    again = json.loads(capsys.readouterr().out)
    assert again["matched_covered"] == 1 and again["claims_opened"] == 0
    assert Claim.objects.count() == 1
    counts = selectors.discovery_counts(people["officer"])
    assert counts == {"found": 1, "waiting": 1, "opened": 0, "paid": 0, "dismissed": 0}
    services.open_potential(potential, people["officer"])
    assert selectors.discovery_counts(people["officer"])["opened"] == 1
    # Another regency's officer sees none of it.
    assert not selectors.claims_for(people["siak"]).exists()


def test_a_death_list_only_matches_workers_of_its_region(people, tmp_path, capsys):
    path = write_deaths(tmp_path / "siak.csv", [[nik_of(RUSNI), "Rusni", "10-08-2025"]])
    call_command("claims", "import-deaths", str(path), "--region", SIAK, "--json")
    assert json.loads(capsys.readouterr().out)["unknown"] == 1
    assert worker(RUSNI).status == WorkerStatus.ACTIVE


# --- Service level ----------------------------------------------------------------------------


def test_overdue_claims_are_found_in_sql(people):
    officer, clerk = people["officer"], people["clerk"]
    claim = prepare(death(RUSNI, D(2025, 8, 10), officer), officer, clerk)  # complete 15 Sep
    claims = selectors.claims_for(officer)
    assert not selectors.overdue(claims, today=D(2026, 3, 2)).exists()  # BPJS has nothing yet
    claim = to_bpjs(claim, officer, people["supervisor"], people["bpjs"])  # Tue 20 Jan 2026
    # Tue 20 Jan + 3 working days = Fri 23 Jan; overdue from Mon 26 Jan.
    assert not selectors.overdue(claims, today=D(2026, 1, 23)).exists()
    assert list(selectors.overdue(claims, today=D(2026, 1, 26))) == [claim]
    late = selectors.service_level_of(claim, today=D(2026, 1, 27))
    assert (late.due, late.days_late, late.overdue) == (D(2026, 1, 23), 2, True)
    assert late.late_penalty == 2 * 420_000  # 1 % of Rp42 juta per working day late
