"""Issue #13, finding 2: maker-checker by person across the whole claim.

Whoever prepared, added heirs, uploaded or verified documents of a claim, or put it forward, may
not check its submission to BPJS, even holding the supervisor's role too; the page offers the
check button only to users who may press it and says who acts next.
"""

import json

import pytest
from django.urls import reverse

from jaring.accounts.rules import RoleCode
from jaring.accounts.services import grant_role
from jaring.claims import services
from jaring.claims.models import Claim, ClaimStatus
from jaring.claims.participants import MakerCannotCheck, makers_of
from jaring.regions.models import Region
from tests.conftest import BENGKALIS
from tests.test_api import bearer
from tests.test_claims import RUSNI, D, build_coverage, death, upload

PARTS = ["heir", "upload", "verify", "override"]


@pytest.fixture
def people(make_user, occupations, tmp_path):
    build_coverage(make_user("pembangun", is_superuser=True), tmp_path)
    return {
        "officer": make_user("klaim", RoleCode.CLAIMS_OFFICER, BENGKALIS),
        "clerk": make_user("klaim2", RoleCode.CLAIMS_OFFICER, BENGKALIS),
        "supervisor": make_user("supervisor", RoleCode.CLAIMS_SUPERVISOR, BENGKALIS),
        "bpjs": make_user("bpjs", RoleCode.BPJS_OFFICER, BENGKALIS),
    }


@pytest.fixture
def both_roles(people):
    """One person holding the officer's and the supervisor's role in the same kabupaten."""
    user = people["clerk"]
    grant_role(user, RoleCode.CLAIMS_SUPERVISOR, Region.objects.get(code=BENGKALIS))
    return user


def _submitted(people, part: str, by) -> Claim:
    """A submitted claim of which ``by`` made exactly ``part``; the officer made the rest,
    documents checked by the BPJS officer unless ``by`` checked one."""
    officer, checker = people["officer"], people["bpjs"]
    claim = death(RUSNI, D(2025, 8, 10), officer)
    heir = services.add_family_member(
        claim,
        by if part == "heir" else officer,
        full_name="Istri",
        relationship="spouse",
        birth_date=D(1986, 1, 1),
    )
    if part == "override":
        reason = "Istri sah menurut putusan pengadilan agama"
        services.override_heirs(claim, by, [heir.pk], reason)
    for index, kind in enumerate(services.required_documents(claim)):
        first = index == 0
        document = upload(claim, kind, by if part == "upload" and first else officer)
        services.verify_document(
            document, by if part == "verify" and first else checker, today=D(2025, 9, 15)
        )
    services.submit(claim, officer)
    claim.refresh_from_db()
    return claim


@pytest.mark.parametrize("part", PARTS)
def test_a_maker_of_any_part_cannot_approve_even_with_both_roles(
    people, both_roles, settings, tmp_path, part
):
    settings.MEDIA_ROOT = tmp_path / "media"
    claim = _submitted(people, part, both_roles)
    assert both_roles.pk in makers_of(claim)
    with pytest.raises(MakerCannotCheck) as refused:
        services.approve(claim, both_roles)
    assert refused.value.code == "maker_cannot_approve"
    assert "petugas lain yang harus memeriksanya" in refused.value.messages[0]
    claim.refresh_from_db()
    assert claim.status == ClaimStatus.CHECKING and claim.decided_by is None
    services.approve(claim, people["supervisor"])
    claim.refresh_from_db()
    assert (claim.status, claim.decided_by) == (ClaimStatus.CHECKED, people["supervisor"])


def test_a_checker_who_returned_the_claim_may_approve_it_later(people, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    claim = _submitted(people, "heir", people["officer"])
    supervisor = people["supervisor"]
    services.send_back(claim, supervisor, "Perbaiki nama ahli waris.")
    services.submit(claim, people["officer"])
    assert supervisor.pk not in makers_of(claim)
    services.approve(claim, supervisor)


def test_the_page_offers_approval_only_to_a_checker_who_made_nothing(
    people, both_roles, client, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path / "media"
    claim = _submitted(people, "upload", both_roles)
    page = reverse("claims:detail", args=[claim.pk])
    client.force_login(both_roles)
    mine = client.get(page)
    assert mine.status_code == 200 and 'id="approve-claim"' not in mine.text
    assert "Berikutnya:" in mine.text and "yang tidak ikut menyiapkan klaim ini" in mine.text
    refused = client.post(reverse("claims:decide", args=[claim.pk]), {"action": "approve"})
    assert refused.status_code == 302
    claim.refresh_from_db()
    assert claim.status == ClaimStatus.CHECKING
    assert "petugas lain yang harus memeriksanya" in client.get(page).text
    client.force_login(people["supervisor"])
    assert 'id="approve-claim"' in client.get(page).text
    client.post(reverse("claims:decide", args=[claim.pk]), {"action": "approve"})
    claim.refresh_from_db()
    assert claim.status == ClaimStatus.CHECKED


def test_the_uploader_is_not_offered_the_check_of_its_own_document(
    people, client, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path / "media"
    officer, clerk = people["officer"], people["clerk"]
    claim = death(RUSNI, D(2025, 8, 10), officer)
    upload(claim, "kpj_card", officer)
    page = reverse("claims:detail", args=[claim.pk])
    client.force_login(officer)
    own = client.get(page).text
    assert 'class="verify"' not in own
    assert "Berikutnya:" in own and "petugas selain pengunggah" in own
    client.force_login(clerk)
    assert 'class="verify"' in client.get(page).text


def test_the_api_refuses_a_maker_with_the_stable_code(people, both_roles, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    claim = _submitted(people, "verify", both_roles)
    response = bearer(both_roles).post(
        f"/api/v1/claims/{claim.pk}/transitions",
        json.dumps({"action": "approve"}),
        content_type="application/json",
    )
    assert response.status_code == 409 and response.json()["code"] == "maker_cannot_approve"
    assert Claim.objects.get(pk=claim.pk).status == ClaimStatus.CHECKING
