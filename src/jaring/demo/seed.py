"""The demo region: Kabupaten Bengkalis (Riau), as on 22 September 2025.

One user per role, a registry of the seed case's three workers plus synthetic ones, the
money of the seed case (Rp6,1 miliar allocated from the APBD, coverage planned and enrolled
through the real BPJS exchange files, twelve months billed, Rp5,9 miliar paid), the three JKM
claims paid and handed over on 22 September 2025, and a death list that leaves potential
claims waiting for the claims officer. Demo passwords
are public by design; ``make demo`` runs with DEBUG on and is not a deployment.
"""

import datetime

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


@transaction.atomic
def seed_demo_money(
    finance_officer: User,
    operator: User,
    bpjs_officer: User,
    allocation: int = DEMO_ALLOCATION,
    paid: int = DEMO_PAID,
) -> None:
    """The seed's money, through the same services the screens use. Runs once."""
    import tempfile
    from pathlib import Path

    import openpyxl

    from jaring.core import sealed
    from jaring.enrolment import services as enrolment
    from jaring.finance import planning
    from jaring.finance import services as finance
    from jaring.finance.models import FundingSource, Invoice

    region = Region.objects.get(code=DEMO_REGENCY)
    source, created = FundingSource.objects.get_or_create(
        region=region, name="APBD Kabupaten Bengkalis", defaults={"kind": "apbd_kab"}
    )
    if not created:
        return
    finance.allocate(source, DEMO_YEAR, allocation, finance_officer, "DPA Disnaker Bengkalis 2025")
    plan = planning.plan_coverage(
        region, source, DEMO_YEAR, finance_officer, start_month=datetime.date(DEMO_YEAR, 1, 1)
    )
    planning.commit_plan(plan, finance_officer)
    submission = enrolment.export_submission(region, operator)
    reply = openpyxl.Workbook(write_only=True)
    sheet = reply.create_sheet("Balasan")
    sheet.append(["NIK", "No KPJ", "Status", "Keterangan"])
    with sealed.plain_copy(Path(submission.file_path)) as sent_file:
        sent = openpyxl.load_workbook(sent_file, read_only=True)
        for index, row in enumerate(sent.active.iter_rows(min_row=2, values_only=True)):
            sheet.append([row[0], f"{24_030_000_000 + index:011d}", "Diterima", ""])
        sent.close()
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "balasan-bpjs-cabang-duri.xlsx"
        reply.save(path)
        enrolment.import_reply(submission, path, bpjs_officer)
    for month in range(1, 13):
        finance.bill_month(region, datetime.date(DEMO_YEAR, month, 1), finance_officer)
    remaining = paid
    for invoice in Invoice.objects.filter(source=source).order_by("month"):
        amount = min(invoice.total, remaining)
        if amount <= 0:
            break
        finance.record_payment(
            invoice,
            amount,
            invoice.month.replace(day=10),
            f"SP2D/{invoice.month:%m}/DISNAKER/{DEMO_YEAR}",
            finance_officer,
        )
        remaining -= amount


# The seed's deaths (dates illustrative: the news gave the handover, not the deaths) and the
# families who received the benefit.
SEED_DEATHS = [
    ("1403014101850001", datetime.date(2025, 7, 14), ("Zulkifli", "spouse")),
    ("1403021505800002", datetime.date(2025, 8, 3), ("Nurhayati", "spouse")),
    ("1403010203750003", datetime.date(2025, 8, 21), ("Rosmawati", "spouse")),
]
SEED_HANDOVER_DAY = datetime.date(2025, 9, 22)


# Who checks the seed claims' documents and records BPJS's side (receipt, decision, payment): the
# branch officer; having checked documents it is a maker, so the supervisor checks the file.
DEMO_DOCUMENT_CHECKER = "bpjs.duri"


def seed_demo_claims(officer: User, supervisor: User, operator: User) -> None:
    """The seed's three JKM claims through report, heirs, documents, the Pemda's check, the
    file carried to the BPJS branch, BPJS's receipt, decision and payment, and the handover by
    the Bupati with its signed berita acara; then a death list that leaves potential claims for
    the officer."""
    import tempfile
    from pathlib import Path

    from django.core.files.uploadedfile import SimpleUploadedFile

    from jaring.claims import services as claims
    from jaring.claims.models import Claim, SentVia
    from jaring.core.crypto import nik_index
    from jaring.registry.models import Worker

    if Claim.objects.filter(village__code__startswith=DEMO_REGENCY + ".").exists():
        return
    checker = User.objects.get(username=DEMO_DOCUMENT_CHECKER)
    for nik, died, (heir_name, relationship) in SEED_DEATHS:
        worker = Worker.objects.get(nik_index=nik_index(nik))
        report = claims.EventReport(
            "JKM", "death", died, "village", place=worker.village.name, reporter_name="Kepala Desa"
        )
        claim = claims.report_event(worker, report, officer, today=died)
        claims.add_family_member(claim, officer, full_name=heir_name, relationship=relationship)
        for kind in claims.required_documents(claim):
            scan = SimpleUploadedFile(
                f"{kind}.pdf", b"%PDF-1.4\n% demo scan " + nik.encode() + kind.encode()
            )
            document = claims.upload_document(claim, kind, scan, officer)
            claims.verify_document(  # by the BPJS branch: neither the uploader nor the approver
                document, checker, today=SEED_HANDOVER_DAY - datetime.timedelta(days=5)
            )
        claims.submit(claim, officer)
        claims.approve(claim, supervisor, "Berkas lengkap")  # the Pemda's check of the file
        claims.record_sending(
            claim, officer, SEED_HANDOVER_DAY - datetime.timedelta(days=5), SentVia.HAND
        )
        claims.record_receipt(
            claim,
            checker,
            SEED_HANDOVER_DAY - datetime.timedelta(days=5),
            f"JKM/DURI/2025/{nik[-4:]}",
        )
        claims.record_decision(
            claim,
            checker,
            claims.BpjsDecision(
                claims.Outcome.APPROVED,
                SEED_HANDOVER_DAY - datetime.timedelta(days=4),
                amounts={c["code"]: c["amount"] for c in claim.components},
            ),
        )
        heir = claim.family.get(is_heir=True)
        transfer = claims.BankTransfer(
            42_000_000,
            SEED_HANDOVER_DAY - datetime.timedelta(days=3),
            "Bank Riau Kepri Syariah",
            f"10{nik[-8:]}",
            heir_name,
            f"BPJS-DURI/{nik[-4:]}",
        )
        claims.record_benefit_payment(claim.instalments.get(kind="cash"), heir, transfer, checker)
        claims.record_handover(
            claim,
            heir,
            claims.HandoverFacts(
                SEED_HANDOVER_DAY,
                "Wisma Daerah Sri Mahkota",
                "Bengkalis",
                "Kasmarni",
                "Bupati Bengkalis",
                "Kepala Kantor Cabang",
                "BPJS Ketenagakerjaan Cabang Duri",
            ),
            officer,
        )
        claims.sign_handover(claim, officer)
    _demo_death_list(officer, Path(tempfile.mkdtemp()) / "laporan-kematian-dukcapil-okt-2025.csv")


def _demo_death_list(officer: User, path) -> None:
    """Five covered workers and two uncovered ones died in October; one NIK is not registered.
    The five become potential claims for the claims officer to take through."""
    import csv

    from jaring.claims.services import import_deaths
    from jaring.core.crypto import decrypt_nik
    from jaring.enrolment.models import Enrolment
    from jaring.registry.models import Worker

    covered = Enrolment.objects.filter(status="active", worker__status="active").order_by("id")
    uncovered = Worker.objects.filter(regency_code=DEMO_REGENCY, status="active", enrolments=None)
    rows = [(e.worker, datetime.date(2025, 10, 3 + i)) for i, e in enumerate(covered[:5])]
    rows += [(w, datetime.date(2025, 10, 12)) for w in uncovered.order_by("id")[:2]]
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle, delimiter=";")
        writer.writerow(["NIK", "Nama", "Tanggal Meninggal"])
        for worker, died in rows:
            writer.writerow([decrypt_nik(worker.nik_cipher), worker.full_name, f"{died:%d-%m-%Y}"])
        writer.writerow(["1403015001900003", "Tidak Terdaftar", "20-10-2025"])
    import_deaths(path, Region.objects.get(code=DEMO_REGENCY), officer)


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
