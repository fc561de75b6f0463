"""Guards of the services themselves (not only of the forms in front of them): an unbroken
membership, who may receive a death benefit, what an uploaded file may be."""

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile

from jaring.accounts.rules import RoleCode
from jaring.claims import rules, services
from jaring.claims.models import BenefitPayment, ClaimStatus, Instalment
from jaring.claims.services.common import PHOTO, store_upload
from jaring.core import sealed
from jaring.enrolment.models import Enrolment
from jaring.finance.protection import protected_on
from tests.conftest import BENGKALIS
from tests.test_claims import (
    BAHTIAR,
    PDF,
    PNG,
    RUSNI,
    bpjs_approves,
    build_coverage,
    death,
    prepare,
    to_bpjs,
    transfer,
    worker,
)

D = datetime.date


@pytest.fixture
def people(make_user, occupations, tmp_path):
    """Three workers covered through 2025 (paid through August), two officers, a checker."""
    build_coverage(make_user("pembangun", is_superuser=True), tmp_path)
    return {
        "officer": make_user("klaim", RoleCode.CLAIMS_OFFICER, BENGKALIS),
        "clerk": make_user("klaim2", RoleCode.CLAIMS_OFFICER, BENGKALIS),
        "supervisor": make_user("supervisor", RoleCode.CLAIMS_SUPERVISOR, BENGKALIS),
        "bpjs": make_user("bpjs", RoleCode.BPJS_OFFICER, BENGKALIS),
    }


@pytest.mark.parametrize(
    ("first_ends", "membership_start"),
    [
        (D(2025, 4, 1), D(2025, 1, 1)),  # April then May: one unbroken membership
        (D(2025, 3, 1), D(2025, 5, 1)),  # April without coverage: membership starts again
    ],
)
def test_one_month_without_coverage_breaks_the_membership(people, first_ends, membership_start):
    rusni = worker(RUSNI)
    first = Enrolment.objects.get(worker=rusni)
    Enrolment.objects.filter(pk=first.pk).update(
        status="ended", end_reason="moved", end_month=first_ends
    )
    Enrolment.objects.create(
        worker=rusni,
        source=first.source,
        status="active",
        start_month=D(2025, 5, 1),
        end_month=D(2025, 12, 1),
        declared_income=first.declared_income,
        programs=first.programs,
        kpj_number=first.kpj_number,
    )
    protection = protected_on(rusni, D(2025, 5, 10))
    assert protection.enrolment.start_month == D(2025, 5, 1)
    assert protection.membership_start == membership_start


def test_a_death_benefit_is_paid_only_to_an_heir_of_the_claim(people):
    officer, clerk, supervisor = people["officer"], people["clerk"], people["supervisor"]
    claim = prepare(
        death(RUSNI, D(2025, 8, 10), officer),
        officer,
        clerk,
        heirs=(("Zulkifli", "spouse"), ("Ibu Rusni", "parent")),
    )
    bpjs = people["bpjs"]
    claim = bpjs_approves(to_bpjs(claim, officer, supervisor, bpjs), bpjs)
    widower, mother = (
        claim.family.get(full_name="Zulkifli"),
        claim.family.get(full_name="Ibu Rusni"),
    )
    assert (widower.is_heir, mother.is_heir) == (True, False)  # a spouse comes before a parent
    cash = claim.instalments.get(kind=Instalment.Kind.CASH)
    other = prepare(death(BAHTIAR, D(2025, 8, 3), officer), officer, clerk).family.get()
    for stranger in (mother, other, None):
        with pytest.raises(ValidationError, match="ahli waris klaim ini") as refused:
            services.record_benefit_payment(cash, stranger, transfer(42_000_000), bpjs)
        assert refused.value.code == "recipient_not_heir"
    cash.refresh_from_db()
    claim.refresh_from_db()
    assert (cash.paid_amount, claim.status) == (0, ClaimStatus.APPROVED)
    assert not BenefitPayment.objects.exists()
    services.record_benefit_payment(cash, widower, transfer(42_000_000), bpjs)
    claim.refresh_from_db()
    assert claim.status == ClaimStatus.PAID


def test_documents_and_handover_photos_pass_the_same_check(people, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    claim = death(RUSNI, D(2025, 8, 10), people["officer"])
    limit = rules.MAX_DOCUMENT_BYTES
    too_big = SimpleUploadedFile("besar.pdf", PDF + b"\x00" * (limit + 1 - len(PDF)))
    for store in (
        lambda upload: services.upload_document(claim, "kpj_card", upload, people["officer"]),
        lambda upload: store_upload(claim, upload, PHOTO),
    ):
        with pytest.raises(ValidationError, match=f"paling besar {limit // 2**20} MB") as refused:
            store(too_big)
        assert refused.value.code == "document_size"
    with pytest.raises(ValidationError, match=r"Foto harus JPG atau PNG \(isi berkas") as refused:
        store_upload(claim, SimpleUploadedFile("foto.png", PDF), PHOTO)
    assert refused.value.code == "photo_type"
    stored = store_upload(claim, SimpleUploadedFile("foto.pdf", PNG), PHOTO, "serah-")
    assert stored.content_type == "image/png" and stored.path.name.startswith("serah-")
    assert stored.path.suffix == ".png"
    assert b"".join(sealed.unseal(stored.path)) == PNG  # kept sealed
