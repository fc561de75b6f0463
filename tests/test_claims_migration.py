"""Issue #15: the claims migration maps claims recorded under the old flow (the Pemda supervisor
approved and paid) to the new one (the Pemda checks and sends, BPJS receives, decides, pays)."""

import datetime

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

from tests.test_migrations import NIK, _crypto, _needs, _sample

BEFORE = [("claims", "0001_initial")]
D = datetime.date
COMPONENTS = [
    {"code": "lump_sum", "amount": 20_000_000},
    {"code": "periodic", "amount": 12_000_000},
    {"code": "funeral", "amount": 10_000_000},
]


def _old_world(apps):
    crypto = _crypto()
    Region = apps.get_model("regions", "Region")
    Occupation = apps.get_model("registry", "Occupation")
    Worker = apps.get_model("registry", "Worker")
    User = apps.get_model("accounts", "User")
    parent = None
    for code, name, level in [
        ("14", "Riau", 1),
        ("14.03", "Kabupaten Bengkalis", 2),
        ("14.03.01", "Bengkalis", 3),
        ("14.03.01.2001", "Kelebuk", 4),
    ]:
        parent = Region.objects.get_or_create(
            code=code,
            defaults={"name": name, "name_key": name.lower(), "level": level, "parent": parent},
        )[0]
    occupation = Occupation.objects.create(
        **{f.name: _sample(f) for f in Occupation._meta.concrete_fields if _needs(f)}
    )
    workers = [
        Worker.objects.create(
            nik_index=crypto.nik_index(nik),
            nik_cipher=crypto.encrypt_nik(nik),
            nik_hint=nik[:4] + nik[-4:],
            full_name=name,
            name_key=name.lower(),
            sex="P",
            birth_date=D(1985, 1, 1),
            village=parent,
            occupation=occupation,
            status="deceased",
            date_of_death=D(2025, 8, 10),
        )
        for nik, name in [(NIK, "Rusni"), (NIK[:-1] + "2", "Bahtiar"), (NIK[:-1] + "3", "Safri")]
    ]
    officer = User.objects.create(username="klaim.lama")
    supervisor = User.objects.create(username="supervisor.lama")
    return parent, workers, officer, supervisor


@pytest.mark.django_db(transaction=True)
def test_old_claims_are_mapped_to_the_new_flow():
    executor = MigrationExecutor(connection)
    executor.migrate(BEFORE)
    apps = executor.loader.project_state(BEFORE).apps
    village, (rusni, bahtiar, safri), officer, supervisor = _old_world(apps)
    Claim = apps.get_model("claims", "Claim")
    FamilyMember = apps.get_model("claims", "FamilyMember")
    Handover = apps.get_model("claims", "Handover")
    approved_at = timezone.make_aware(datetime.datetime(2025, 9, 18, 10))

    def claim(worker, status, **extra):
        return Claim.objects.create(
            number=f"KLM/{worker.full_name}",
            worker=worker,
            village=village,
            program="JKM",
            event="death",
            event_date=D(2025, 8, 10),
            reported_by="village",
            status=status,
            reported_on=D(2025, 9, 1),
            eligible=True,
            components=COMPONENTS,
            benefit_total=42_000_000,
            created_by=officer,
            submitted_by=officer,
            **extra,
        )

    waiting = claim(rusni, "submitted")
    approved = claim(bahtiar, "approved", decided_by=supervisor, decided_at=approved_at)
    paid = claim(
        safri, "paid", decided_by=supervisor, decided_at=approved_at, paid_on=D(2025, 9, 19)
    )
    heir = FamilyMember.objects.create(
        claim=paid, full_name="Nurhayati", relationship="spouse", is_heir=True
    )
    Handover.objects.create(
        claim=paid,
        number="BA/KLM/Safri",
        held_on=D(2025, 9, 22),
        place="Wisma Daerah Sri Mahkota",
        city="Bengkalis",
        recipient=heir,
        handed_by_name="Kasmarni",
        handed_by_title="Bupati Bengkalis",
        bpjs_name="Kepala Kantor Cabang",
        bpjs_title="BPJS Ketenagakerjaan Cabang Duri",
        amount=42_000_000,
        recorded_by=officer,
    )

    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(executor.loader.graph.leaf_nodes())

    from jaring.claims.exports import handover_pdf
    from jaring.claims.models import Claim as Current
    from jaring.registry.models import Worker

    assert Current.objects.get(pk=waiting.pk).status == "checking"  # the check is still due
    for pk, status in ((approved.pk, "approved"), (paid.pk, "paid")):
        now = Current.objects.get(pk=pk)
        assert now.status == status and now.decided_by_id == supervisor.pk
        assert now.sent_on == now.bpjs_received_on == now.bpjs_decided_on == D(2025, 9, 18)
        assert (now.sent_by_id, now.bpjs_total, now.bpjs_components) == (
            supervisor.pk,
            42_000_000,
            COMPONENTS,
        )
        assert now.amount_difference == 0  # nothing to follow up on a migrated claim
    migrated = Current.objects.get(pk=paid.pk)
    assert migrated.handover.is_signed and migrated.handover.signed_by_id == officer.pk
    assert migrated.family_stage == "handed_over"
    Worker.objects.filter(pk=safri.pk).update(full_name="Nama Baru Dari Impor")
    import io

    import pypdf

    pdf = handover_pdf(Current.objects.get(pk=paid.pk))
    text = " ".join(pypdf.PdfReader(io.BytesIO(pdf)).pages[0].extract_text().split())
    assert "Safri" in text and "Nama Baru" not in text and "KONSEP" not in text
    assert "Nurhayati" in text and "Janda/duda (suami/istri)" in text
