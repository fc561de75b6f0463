"""The demo region: Kabupaten Bengkalis (Riau), as on 22 September 2025 (the report date).

One user per role, a registry of the seed case's three workers plus synthetic ones, and the
programme's story since it began in November 2022 (``seed_demo_story``): each fiscal year
allocated from the APBD, renewed from the previous cohort (same KPJ, unbroken membership) with
newcomers, enrolled through the real BPJS exchange files, billed and paid in advance (Rp5,9 of
Rp6,1 miliar for 2025 by the report date); the participants who died, drawn from the Tabel
Mortalita Indonesia IV with a seeded generator, taken through the claims services to where
they stand on the report date; the seed's three JKM claims handed over on 22 September 2025;
and September's Dukcapil death list, which leaves potential claims for the claims officer.
Nothing is dated after the report date. Demo passwords are public by design; ``make demo``
runs with DEBUG on and is not a deployment.
"""

import datetime
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum

from django.contrib.auth.models import Group, Permission
from django.db import transaction

from jaring.accounts.models import OrgUnit, User
from jaring.accounts.rules import RoleCode
from jaring.accounts.services import grant_role
from jaring.regions.models import Region

DEMO_REGENCY = "14.03"  # Kabupaten Bengkalis
DEMO_PROVINCE = "14"  # Riau
# The demo login is public on purpose (README); the demo runs only with DEBUG on.
DEMO_PASSWORD = "jaring-demo-2025"  # noqa: S105  # nosec B105

# username, full name, office key, role, region code (None = national), staff
DEMO_USERS = [
    ("operator", "Siti Aminah", "disnaker", RoleCode.OPERATOR, DEMO_REGENCY, False),
    ("keuangan", "Rahmat Hidayat", "bpkad", RoleCode.FINANCE_OFFICER, DEMO_REGENCY, False),
    ("klaim", "Nurul Huda", "disnaker", RoleCode.CLAIMS_OFFICER, DEMO_REGENCY, False),
    ("supervisor", "Hendra Gunawan", "disnaker", RoleCode.CLAIMS_SUPERVISOR, DEMO_REGENCY, False),
    ("bpjs.duri", "Andi Saputra", "bpjs", RoleCode.BPJS_OFFICER, DEMO_REGENCY, False),
    ("auditor", "Dewi Lestari", "inspektorat", RoleCode.AUDITOR, DEMO_REGENCY, False),
    ("admin.bengkalis", "Fauzan Akbar", "disnaker", RoleCode.REGENCY_ADMIN, DEMO_REGENCY, True),
    ("admin.riau", "Yuliani Putri", "riau", RoleCode.PROVINCIAL_ADMIN, DEMO_PROVINCE, True),
    ("nasional", "Bambang Sutrisno", "kemnaker", RoleCode.NATIONAL_VIEWER, None, False),
]

OFFICES = {
    "disnaker": ("Dinas Tenaga Kerja Kabupaten Bengkalis", OrgUnit.Kind.PEMDA, DEMO_REGENCY),
    "bpkad": ("BPKAD Kabupaten Bengkalis", OrgUnit.Kind.PEMDA, DEMO_REGENCY),
    "bpjs": ("BPJS Ketenagakerjaan Cabang Duri", OrgUnit.Kind.BPJS, DEMO_REGENCY),
    "inspektorat": ("Inspektorat Kabupaten Bengkalis", OrgUnit.Kind.INSPECTORATE, DEMO_REGENCY),
    "riau": ("Dinas Tenaga Kerja Provinsi Riau", OrgUnit.Kind.PEMDA, DEMO_PROVINCE),
    "kemnaker": ("Kementerian Ketenagakerjaan", OrgUnit.Kind.MINISTRY, None),
}


DEMO_WORKERS = 32_000  # more than Rp6,1 miliar covers, so targeting has to choose
DEMO_YEAR = 2025
DEMO_ALLOCATION = 6_100_000_000
DEMO_PAID = 5_900_000_000
# The demo's "today": the seed's handover. Nothing in the demo happens after it (the Makefile
# pins JARING_REPORT_DATE to it).
DEMO_REPORT_DATE = datetime.date(2025, 9, 22)
# The Triwulan IV tranche: October to December paid in advance, before the report date.
DEMO_ADVANCE_DAY = datetime.date(2025, 9, 15)
# The three workers of the seed case (Bengkalis, 22 September 2025), written the way the
# village list had them ("Perapat Tunggal" is Kemendagri's Prapat Tunggal).
SEED_WORKERS = [
    [
        "1403014101850001",
        "Rusni",
        "P",
        "01-01-1985",
        "",
        "Kelebuk",
        "Bengkalis",
        "Petani/Pekebun",
        "1.000.000",
        "1",
        "",
    ],
    [
        "1403021505800002",
        "Bahtiar",
        "L",
        "15-05-1980",
        "",
        "Bantan Tua",
        "Bantan",
        "Nelayan",
        "1.000.000",
        "1",
        "",
    ],
    [
        "1403010203750003",
        "Safri Ismail",
        "L",
        "02-03-1975",
        "",
        "Perapat Tunggal",
        "Bengkalis",
        "Buruh Harian Lepas",
        "1.000.000",
        "2",
        "",
    ],
]


def import_demo_workers(operator: User, workers: int = DEMO_WORKERS) -> None:
    """Give the demo a registry: the seed case's workers plus synthetic ones, once."""
    import csv
    import tempfile
    from pathlib import Path

    from jaring.registry.models import Worker
    from jaring.registry.services import create_batch, run_import
    from jaring.registry.synthetic import HEADER, generate_rows

    if Worker.objects.filter(regency_code=DEMO_REGENCY).exists():
        return
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "daftar-pekerja-rentan-bengkalis.csv"
        with path.open("w", newline="", encoding="utf-8") as handle:
            writer = csv.writer(handle, delimiter=";")
            writer.writerow(HEADER)
            writer.writerows(SEED_WORKERS)
            writer.writerows(row for row, _ in generate_rows(DEMO_REGENCY, workers, 0.03))
        batch = create_batch(
            path, Region.objects.get(code=DEMO_REGENCY), "Daftar desa (demo)", user=operator
        )
    run_import(batch)


@transaction.atomic
def setup_demo() -> list[tuple[User, str]]:
    """Offices and one user per role (idempotent); returns (user, role label) pairs."""
    regions = Region.objects.in_bulk([DEMO_REGENCY, DEMO_PROVINCE])
    if len(regions) != 2:
        raise RuntimeError("Load the regions first: jaring load_regions")
    offices = {
        key: OrgUnit.objects.get_or_create(
            name=name, region=regions.get(code) if code else None, defaults={"kind": kind}
        )[0]
        for key, (name, kind, code) in OFFICES.items()
    }
    admin_group = _regional_admin_group()
    created = []
    for username, full_name, office, role, code, staff in DEMO_USERS:
        first, _, last = full_name.partition(" ")
        user, is_new = User.objects.get_or_create(
            username=username,
            defaults={
                "first_name": first,
                "last_name": last,
                "org_unit": offices[office],
                "is_staff": staff,
            },
        )
        if is_new:
            user.set_password(DEMO_PASSWORD)
            user.save(update_fields=["password"])
        if staff:
            user.groups.add(admin_group)
        grant_role(user, role, regions.get(code) if code else None)
        created.append((user, str(user.role_assignments.first())))
    _demo_letterhead()
    return created


def _demo_letterhead() -> None:
    """Bengkalis's kop surat, printed on the demo's invoices, berita acara and monthly report."""
    from jaring.reference.models import Letterhead
    from jaring.reference.services import save_reference

    if not Letterhead.objects.filter(region_id=DEMO_REGENCY).exists():
        save_reference(
            Letterhead(
                region_id=DEMO_REGENCY,
                government="PEMERINTAH KABUPATEN BENGKALIS",
                office="DINAS TENAGA KERJA",
                address="Bengkalis, Provinsi Riau",
                city="Bengkalis",
            ),
            None,
            "Demo",
        )


def _regional_admin_group() -> Group:
    """Regional admins manage users and offices in the Django admin (scoped by OrgUnitAdmin)."""
    group, _ = Group.objects.get_or_create(name="Administrator wilayah")
    group.permissions.set(
        Permission.objects.filter(
            content_type__app_label="accounts",
            content_type__model__in=["user", "orgunit", "roleassignment"],
        ).exclude(codename__startswith="delete_")
    )
    return group


@dataclass(frozen=True)
class FiscalYear:
    """One year of the programme: from which month it ran and what its budget covered, as a
    share of the last year's participants (the budget grew each year)."""

    year: int
    first_month: int
    share: Decimal
    document: str

    @property
    def start(self) -> datetime.date:
        return datetime.date(self.year, self.first_month, 1)

    def allocation(self, last_year_allocation: int) -> int:
        months = 13 - self.first_month
        return int(self.share * last_year_allocation * months / 12)


# Bengkalis has paid for its pekerja rentan since November 2022 (APBD-P 2022); each January
# the cohort was renewed (same KPJ) and the larger budget took newcomers. The shares are
# illustrative: the seed gave 2025's figures only.
DEMO_HISTORY = (
    FiscalYear(2022, 11, Decimal("0.80"), "DPPA Disnaker Bengkalis 2022 (APBD-P)"),
    FiscalYear(2023, 1, Decimal("0.86"), "DPA Disnaker Bengkalis 2023"),
    FiscalYear(2024, 1, Decimal("0.93"), "DPA Disnaker Bengkalis 2024"),
)
DEMO_LAST_YEAR = FiscalYear(DEMO_YEAR, 1, Decimal(1), "DPA Disnaker Bengkalis 2025")
DEMO_SOURCE = "APBD Kabupaten Bengkalis"


def seed_demo_money(
    finance_officer: User,
    operator: User,
    bpjs_officer: User,
    allocation: int = DEMO_ALLOCATION,
    paid: int = DEMO_PAID,
) -> None:
    """One year of the seed's money (2025 only), through the same services the screens use.
    Runs once. ``seed_demo_story`` plays the years before it too."""
    source = _demo_source()
    if source is not None:
        _fund_year(source, DEMO_LAST_YEAR, allocation, finance_officer, operator, bpjs_officer)
        _bill_and_pay(source, DEMO_LAST_YEAR, finance_officer, paid)


def seed_demo_story(
    users: dict[str, User], allocation: int = DEMO_ALLOCATION, paid: int = DEMO_PAID
) -> None:
    """The programme since November 2022, once: each fiscal year allocated, renewed from the
    previous cohort (continued, dropped, new), enrolled through the BPJS files, billed and paid
    before the report date; the year's deaths drawn from the mortality table and taken through
    the claims services to their stage on the report date; then 2025's seed claims, handed over
    on 22 September 2025, and the Dukcapil death list of September."""
    finance, operator, bpjs = users["keuangan"], users["operator"], users["bpjs.duri"]
    source = _demo_source()
    if source is None:
        return
    for fiscal in (*DEMO_HISTORY, DEMO_LAST_YEAR):
        last = fiscal is DEMO_LAST_YEAR
        amount = allocation if last else fiscal.allocation(allocation)
        _fund_year(source, fiscal, amount, finance, operator, bpjs)
        _bill_and_pay(source, fiscal, finance, paid if last else None)
        deaths = draw_deaths(source, fiscal)
        reported = [(w, d) for w, d in deaths if claim_stage(d) != ClaimStage.DEATH_LIST]
        _file_claims(reported, users, fiscal.year)
    recent = [(w, d) for w, d in deaths if claim_stage(d) == ClaimStage.DEATH_LIST]
    seed_demo_claims(users["klaim"], users["supervisor"], operator, recent_deaths=recent)


@transaction.atomic
def _demo_source():
    """The APBD source, or None when the demo's money was already played."""
    from jaring.finance.models import FundingSource

    region = Region.objects.get(code=DEMO_REGENCY)
    source, created = FundingSource.objects.get_or_create(
        region=region, name=DEMO_SOURCE, defaults={"kind": "apbd_kab"}
    )
    return source if created else None


@transaction.atomic
def _fund_year(source, fiscal: FiscalYear, amount: int, finance_officer, operator, bpjs_officer):
    """Allocate the year, plan it (the renewal continues the previous cohort first), commit it,
    and send the newcomers to the branch, whose reply gives each its KPJ."""
    from jaring.finance import planning
    from jaring.finance import services as finance

    finance.allocate(source, fiscal.year, amount, finance_officer, fiscal.document)
    plan = planning.plan_coverage(
        source.region, source, fiscal.year, finance_officer, start_month=fiscal.start
    )
    planning.commit_plan(plan, finance_officer)
    if plan.selections.filter(kind="new").exists():
        _enrol_newcomers(source.region, fiscal.year, operator, bpjs_officer)


def _enrol_newcomers(region: Region, year: int, operator, bpjs_officer) -> None:
    """The submission file and the branch's reply: every row accepted with a new KPJ (11 digits,
    numbered per year so that each year's newcomers get their own)."""
    import tempfile
    from pathlib import Path

    import openpyxl

    from jaring.core import sealed
    from jaring.enrolment import services as enrolment

    submission = enrolment.export_submission(region, operator)
    reply = openpyxl.Workbook(write_only=True)
    sheet = reply.create_sheet("Balasan")
    sheet.append(["NIK", "No KPJ", "Status", "Keterangan"])
    first_kpj = (year % 100) * 1_000_000_000 + 30_000_000
    with sealed.plain_copy(Path(submission.file_path)) as sent_file:
        sent = openpyxl.load_workbook(sent_file, read_only=True)
        for index, row in enumerate(sent.active.iter_rows(min_row=2, values_only=True)):
            sheet.append([row[0], f"{first_kpj + index:011d}", "Diterima", ""])
        sent.close()
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / f"balasan-bpjs-cabang-duri-{year}.xlsx"
        reply.save(path)
        enrolment.import_reply(submission, path, bpjs_officer)


def payment_day(month: datetime.date) -> datetime.date:
    """Contributions are paid in advance: a month's SP2D a few days before it starts; the
    months after the report date in the Triwulan IV tranche, before the report date."""
    return min(month - datetime.timedelta(days=5), DEMO_ADVANCE_DAY)


@transaction.atomic
def _bill_and_pay(source, fiscal: FiscalYear, finance_officer, paid: int | None) -> None:
    """Bill each month of the year and pay the invoices in month order, in full, or up to
    ``paid`` rupiah."""
    from jaring.finance import services as finance
    from jaring.finance.models import Invoice

    for month in range(fiscal.first_month, 13):
        finance.bill_month(source.region, datetime.date(fiscal.year, month, 1), finance_officer)
    remaining = paid
    invoices = Invoice.objects.filter(source=source, month__year=fiscal.year).order_by("month")
    for invoice in invoices:
        amount = invoice.total if remaining is None else min(invoice.total, remaining)
        if amount <= 0:
            break
        finance.record_payment(
            invoice,
            amount,
            payment_day(invoice.month),
            f"SP2D/{invoice.month:%m}/DISNAKER/{fiscal.year}",
            finance_officer,
        )
        if remaining is not None:
            remaining -= amount


def draw_deaths(source, fiscal: FiscalYear) -> list[tuple[int, datetime.date]]:
    """Who of the year's participants died, and when: each participant dies in the year with the
    mortality table's probability for their age and sex over their covered months (a seeded
    generator, so the demo is the same on every machine). Deaths after the report date have not
    happened yet. The seed's three workers die on their own dates (``SEED_DEATHS``). Streams the
    cohort in worker order; returns (worker id, day of death)."""
    import random

    from jaring.core.crypto import nik_index
    from jaring.enrolment.models import Enrolment
    from jaring.programs.rules import death_probability, months_between

    rng = random.Random(f"jaring-demo-deaths-{fiscal.year}")  # noqa: S311  # nosec B311
    seed_indexes = [nik_index(nik) for nik, _died, _heir in SEED_DEATHS]
    cohort = (
        Enrolment.objects.filter(
            source=source, start_month__year=fiscal.year, status__in=("active", "ended")
        )
        .exclude(worker__nik_index__in=seed_indexes)
        .order_by("worker_id")
        .values_list("worker_id", "worker__birth_date", "worker__sex", "start_month", "end_month")
    )
    deaths = []
    for worker_id, born, sex, start, end in cohort.iterator(chunk_size=2000):
        months = months_between(start, end) + 1
        if rng.random() < death_probability(fiscal.year - born.year, sex, months):
            last_day = datetime.date(end.year, 12, 31) if end.month == 12 else end
            died = start + datetime.timedelta(days=rng.randrange((last_day - start).days + 1))
            if died <= DEMO_REPORT_DATE:
                deaths.append((worker_id, died))
    return sorted(deaths, key=lambda death: death[1])


class ClaimStage(StrEnum):
    """Where a claim stands on the report date, by how long ago the worker died."""

    HANDED_OVER = "handed_over"  # paid by BPJS and handed over to the family
    PAID = "paid"  # paid by BPJS; the handover is still to come
    AT_BPJS = "at_bpjs"  # received by the branch, awaiting its decision
    DEATH_LIST = "death_list"  # in September's Dukcapil list: a potential claim to take up


def claim_stage(died: datetime.date) -> ClaimStage:
    days = (DEMO_REPORT_DATE - died).days
    if days >= 45:
        return ClaimStage.HANDED_OVER
    if days >= 30:
        return ClaimStage.PAID
    if days >= 20:
        return ClaimStage.AT_BPJS
    return ClaimStage.DEATH_LIST


@dataclass(frozen=True)
class ClaimTimeline:
    """The days a claim's steps happened on; a step left None has not happened yet."""

    reported: datetime.date
    checked: datetime.date  # documents checked against the originals, file sent and received
    decided: datetime.date | None = None
    paid: datetime.date | None = None
    handed_over: datetime.date | None = None


def timeline_for(died: datetime.date) -> ClaimTimeline:
    """A week to report, a week to gather and check the documents, five days for BPJS to
    decide, four to pay, a week to the handover; cut at the claim's stage."""
    stage = claim_stage(died)
    paid = stage in (ClaimStage.PAID, ClaimStage.HANDED_OVER)

    def after(days: int) -> datetime.date:
        return died + datetime.timedelta(days=days)

    return ClaimTimeline(
        reported=after(7),
        checked=after(14),
        decided=after(19) if paid else None,
        paid=after(23) if paid else None,
        handed_over=after(30) if stage == ClaimStage.HANDED_OVER else None,
    )


# Who handed over the demo's benefits: the Bupati of Bengkalis at the seed's handover, and the
# Dinas for the others (names of the office, not of a person, where the seed gave none).
SEED_HANDOVER = ("Wisma Daerah Sri Mahkota", "Kasmarni", "Bupati Bengkalis")
OFFICE_HANDOVER = ("Kantor Dinas Tenaga Kerja", "Kepala Dinas", "Dinas Tenaga Kerja Bengkalis")


def _file_claims(deaths: list[tuple[int, datetime.date]], users: dict[str, User], year: int):
    """Each death reported by its village and taken through the claims services as far as its
    stage on the report date; the spouse is the heir."""
    from faker import Faker

    from jaring.registry.models import Worker

    fake = Faker("id_ID")
    fake.seed_instance(year)
    workers = Worker.objects.in_bulk([worker_id for worker_id, _died in deaths])
    for worker_id, died in deaths:
        worker = workers[worker_id]
        spouse = fake.name_male() if worker.sex == "P" else fake.name_female()
        _file_claim(worker, died, spouse, timeline_for(died), OFFICE_HANDOVER, users)


@transaction.atomic
def _file_claim(worker, died, heir_name, timeline: ClaimTimeline, handover, users) -> None:
    """One JKM claim through report, heir, documents, the Pemda's check, the file carried to the
    branch, BPJS's receipt, decision and payment, and the signed handover, up to its timeline."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    from jaring.claims import services as claims
    from jaring.claims.models import SentVia

    officer, supervisor = users["klaim"], users["supervisor"]
    checker = users[DEMO_DOCUMENT_CHECKER]
    report = claims.EventReport(
        "JKM", "death", died, "village", place=worker.village.name, reporter_name="Kepala Desa"
    )
    claim = claims.report_event(worker, report, officer, today=timeline.reported)
    claims.add_family_member(claim, officer, full_name=heir_name, relationship="spouse")
    key = f"{worker.pk:08d}"
    for kind in claims.required_documents(claim):
        scan = SimpleUploadedFile(f"{kind}.pdf", f"%PDF-1.4\n% demo scan {key} {kind}".encode())
        document = claims.upload_document(claim, kind, scan, officer)
        # by the BPJS branch: neither the uploader nor the approver
        claims.verify_document(document, checker, today=timeline.checked)
    claims.submit(claim, officer)
    claims.approve(claim, supervisor, "Berkas lengkap")  # the Pemda's check of the file
    claims.record_sending(claim, officer, timeline.checked, SentVia.HAND)
    claims.record_receipt(claim, checker, timeline.checked, f"JKM/DURI/{died.year}/{key}")
    if timeline.decided is None:
        return
    claim.refresh_from_db()
    claims.record_decision(
        claim,
        checker,
        claims.BpjsDecision(
            claims.Outcome.APPROVED,
            timeline.decided,
            amounts={c["code"]: c["amount"] for c in claim.components},
        ),
    )
    claim.refresh_from_db()
    heir = claim.family.get(is_heir=True)
    transfer = claims.BankTransfer(
        claim.bpjs_total,
        timeline.paid,
        "Bank Riau Kepri Syariah",
        f"10{key}",
        heir_name,
        f"BPJS-DURI/{died.year}/{key}",
    )
    claims.record_benefit_payment(claim.instalments.get(kind="cash"), heir, transfer, checker)
    if timeline.handed_over is None:
        return
    place, by_name, by_title = handover
    facts = claims.HandoverFacts(
        timeline.handed_over,
        place,
        "Bengkalis",
        by_name,
        by_title,
        "Kepala Kantor Cabang",
        "BPJS Ketenagakerjaan Cabang Duri",
    )
    claims.record_handover(claim, heir, facts, officer)
    claims.sign_handover(claim, officer)


# The seed's deaths (dates illustrative: the news gave the handover, not the deaths) and the
# families who received the benefit.
SEED_DEATHS = [
    ("1403014101850001", datetime.date(2025, 7, 14), ("Zulkifli", "spouse")),
    ("1403021505800002", datetime.date(2025, 8, 3), ("Nurhayati", "spouse")),
    ("1403010203750003", datetime.date(2025, 8, 21), ("Rosmawati", "spouse")),
]
SEED_HANDOVER_DAY = DEMO_REPORT_DATE
# The seed's files went to the branch together, five days before the handover.
SEED_TIMELINE = ClaimTimeline(
    reported=datetime.date(2025, 8, 25),
    checked=SEED_HANDOVER_DAY - datetime.timedelta(days=5),
    decided=SEED_HANDOVER_DAY - datetime.timedelta(days=4),
    paid=SEED_HANDOVER_DAY - datetime.timedelta(days=3),
    handed_over=SEED_HANDOVER_DAY,
)


# Who checks the seed claims' documents and records BPJS's side (receipt, decision, payment): the
# branch officer; having checked documents it is a maker, so the supervisor checks the file.
DEMO_DOCUMENT_CHECKER = "bpjs.duri"


def seed_demo_claims(
    officer: User,
    supervisor: User,
    operator: User,
    recent_deaths: list[tuple[int, datetime.date]] | None = None,
) -> None:
    """The seed's three JKM claims through report, heirs, documents, the Pemda's check, the
    file carried to the BPJS branch, BPJS's receipt, decision and payment, and the handover by
    the Bupati with its signed berita acara; then September's death list, which leaves
    potential claims for the officer: ``recent_deaths`` (worker id, day), or else the first five
    covered workers."""
    import tempfile
    from pathlib import Path

    from jaring.claims.models import Claim
    from jaring.core.crypto import nik_index
    from jaring.registry.models import Worker

    if Claim.objects.filter(worker__nik_index=nik_index(SEED_DEATHS[0][0])).exists():
        return
    users = {
        "klaim": officer,
        "supervisor": supervisor,
        DEMO_DOCUMENT_CHECKER: User.objects.get(username=DEMO_DOCUMENT_CHECKER),
    }
    for nik, died, (heir_name, _relationship) in SEED_DEATHS:
        worker = Worker.objects.get(nik_index=nik_index(nik))
        _file_claim(worker, died, heir_name, SEED_TIMELINE, SEED_HANDOVER, users)
    path = Path(tempfile.mkdtemp()) / "laporan-kematian-dukcapil-sep-2025.csv"
    _demo_death_list(officer, path, recent_deaths)


def _demo_death_list(officer: User, path, recent_deaths) -> None:
    """Dukcapil's list of September's deaths, read on the report date: the covered workers who
    died (potential claims for the claims officer), two who were not covered, and one NIK that
    is not registered."""
    import csv

    from jaring.claims.services import import_deaths
    from jaring.core.crypto import decrypt_nik
    from jaring.enrolment.models import Enrolment
    from jaring.registry.models import Worker

    if recent_deaths is None:
        covered = Enrolment.objects.filter(status="active", worker__status="active")
        recent_deaths = [
            (e.worker_id, datetime.date(2025, 9, 3 + i))
            for i, e in enumerate(covered.order_by("id")[:5])
        ]
    workers = Worker.objects.in_bulk([worker_id for worker_id, _died in recent_deaths])
    rows = [(workers[worker_id], died) for worker_id, died in recent_deaths]
    uncovered = Worker.objects.filter(regency_code=DEMO_REGENCY, status="active", enrolments=None)
    rows += [(w, datetime.date(2025, 9, 12)) for w in uncovered.order_by("id")[:2]]
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle, delimiter=";")
        writer.writerow(["NIK", "Nama", "Tanggal Meninggal"])
        for worker, died in rows:
            writer.writerow([decrypt_nik(worker.nik_cipher), worker.full_name, f"{died:%d-%m-%Y}"])
        writer.writerow(["1403015001900003", "Tidak Terdaftar", "20-09-2025"])
    import_deaths(path, Region.objects.get(code=DEMO_REGENCY), officer, today=DEMO_REPORT_DATE)


# An illustrative informal-workforce figure until the Pemda enters BPS's own: population
# (Kemendagri 2025) × the national employment ratio (145,77 of ~285 million) × the informal
# share (59,40 %, Sakernas Feb 2025).
# The source is data a Bupati and a journalist read: it says how the figure was reached, not
# what a developer should do with it.
DEMO_ESTIMATE_SOURCE = (
    "Perkiraan: penduduk 2025 (Kemendagri) × rasio bekerja nasional (145,77 jt / 285 jt) × "
    "59,40% pekerja informal (BPS, Sakernas Februari 2025)"
)


def seed_demo_reports(operator: User) -> None:
    """The informal-workforce estimate and the first count of the summary tables."""
    from decimal import Decimal

    from jaring.reports.models import WorkforceEstimate
    from jaring.reports.services import refresh_regency

    region = Region.objects.get(code=DEMO_REGENCY)
    if region.population_total and not WorkforceEstimate.objects.filter(region=region).exists():
        share = Decimal("145.77") / Decimal("285") * Decimal("0.5940")
        WorkforceEstimate.objects.create(
            region=region,
            year=DEMO_YEAR,
            informal_workers=int(region.population_total * share),
            source=DEMO_ESTIMATE_SOURCE,
            updated_by=operator,
        )
    refresh_regency(DEMO_REGENCY)
