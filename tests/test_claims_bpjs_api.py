"""Issue #15: BPJS's side of a claim through /api/v1/ — the receipt, the decision and the payment
recorded by the BPJS officer's machine client with the same services as the screen; every
refusal in the API's one error shape."""

import json

import pytest
from django.test import Client

from jaring.accounts.rules import RoleCode
from jaring.api import services as api_services
from jaring.claims import services
from jaring.claims.models import BenefitPayment, Claim, ClaimStatus
from tests import test_claims
from tests.conftest import SIAK
from tests.test_claims import RUSNI, SENT_ON, D, death, prepare

people = test_claims.people  # the claims tests' users and covered workers


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def bearer(user) -> Client:
    return Client(HTTP_AUTHORIZATION=f"Bearer {api_services.issue_token(user, 'cabang')[1]}")


def post(api: Client, path: str, body: dict, **headers):
    return api.post(path, json.dumps(body), content_type="application/json", **headers)


def sent_claim(people) -> Claim:
    """A JKM claim prepared, put forward, checked and carried to the branch."""
    officer = people["officer"]
    claim = prepare(death(RUSNI, D(2025, 8, 10), officer), officer, people["clerk"])
    services.submit(claim, officer)
    services.approve(claim, people["supervisor"], "Berkas lengkap")
    services.record_sending(claim, officer, SENT_ON, "hand")
    claim.refresh_from_db()
    return claim


def test_the_bpjs_officer_records_receipt_decision_and_payment(people, media):
    claim = sent_claim(people)
    api = bearer(people["bpjs"])
    base = f"/api/v1/claims/{claim.pk}/bpjs"

    received = post(
        api, f"{base}/receipt", {"received_on": "2026-01-20", "bpjs_claim_number": "JKM-77"}
    )
    assert received.status_code == 200, received.content
    assert (received.json()["status"], received.json()["bpjs_claim_number"]) == (
        "at_bpjs",
        "JKM-77",
    )

    expected = {c["code"]: c["amount"] for c in claim.components}
    lower = expected | {"funeral": expected["funeral"] - 1_000_000}
    decided = post(
        api,
        f"{base}/decision",
        {"outcome": "approved", "decided_on": "2026-01-21", "amounts": lower},
    )
    body = decided.json()
    assert decided.status_code == 200, decided.content
    assert body["status"] == "approved" and body["bpjs_total"] == sum(lower.values())
    assert body["amount_difference"] == -1_000_000  # flagged for follow-up
    assert body["benefit_total"] == sum(expected.values())  # Jaring's own stays the expected one

    heir = claim.family.get(is_heir=True)
    paid = post(
        api,
        f"{base}/payments",
        {
            "paid_on": "2026-01-23",
            "amount": sum(lower.values()),
            "reference": "TRF-API-1",
            "bank": "BRK Syariah",
            "account_number": "0123 4567 8901",
            "account_holder": "Istri",
            "recipient_id": heir.pk,
        },
    )
    assert paid.status_code == 201, paid.content
    assert paid.json()["claim_status"] == "paid" and paid.json()["account"].endswith("8901")
    assert "0123" not in paid.json()["account"]
    claim.refresh_from_db()
    assert claim.status == ClaimStatus.PAID and claim.bpjs_received_by == people["bpjs"]
    payment = BenefitPayment.objects.get(reference="TRF-API-1")
    assert payment.recorded_by == people["bpjs"] and payment.recipient == heir


def test_only_a_bpjs_officer_of_the_region_records_bpjs_side(people, media, make_user):
    claim = sent_claim(people)
    path = f"/api/v1/claims/{claim.pk}/bpjs/receipt"
    body = {"received_on": "2026-01-20", "bpjs_claim_number": "JKM-1"}
    officer = post(bearer(people["officer"]), path, body)  # the Pemda's claims officer
    assert officer.status_code == 403 and officer.json()["code"] == "forbidden"
    siak = make_user("bpjs.siak", RoleCode.BPJS_OFFICER, SIAK)
    assert post(bearer(siak), path, body).status_code == 404  # another region's claim
    anonymous = post(Client(), path, body)
    assert anonymous.status_code == 401 and anonymous.json()["code"] == "not_authenticated"
    claim.refresh_from_db()
    assert claim.status == ClaimStatus.SENT and claim.bpjs_claim_number == ""


def test_refusals_come_in_the_api_error_shape(people, media):
    claim = sent_claim(people)
    api = bearer(people["bpjs"])
    base = f"/api/v1/claims/{claim.pk}/bpjs"
    early = post(api, f"{base}/receipt", {"received_on": "2026-01-19", "bpjs_claim_number": "X"})
    assert early.status_code == 409 and early.json()["code"] == "received_before_sent"
    assert "sebelum Pemda mengirimnya" in early.json()["message"]
    english = post(
        api,
        f"{base}/receipt",
        {"received_on": "2026-01-19", "bpjs_claim_number": "X"},
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert "before the Pemda sent it" in english.json()["message"]
    unpaid = post(
        api,
        f"{base}/payments",
        {
            "paid_on": "2026-01-23",
            "amount": 1,
            "reference": "T",
            "bank": "B",
            "account_number": "12345678",
            "account_holder": "Istri",
        },
    )
    assert unpaid.status_code == 409 and unpaid.json()["code"] == "claim_not_approved"
    post(api, f"{base}/receipt", {"received_on": "2026-01-20", "bpjs_claim_number": "JKM-9"})
    unknown = post(
        api,
        f"{base}/decision",
        {"outcome": "approved", "decided_on": "2026-01-21", "amounts": {"bonus": 5}},
    )
    assert unknown.status_code == 409 and unknown.json()["code"] == "bpjs_component_unknown"
    bare = post(api, f"{base}/decision", {"outcome": "refused", "decided_on": "2026-01-21"})
    assert bare.status_code == 409 and bare.json()["code"] == "note_too_short"
    invalid = post(api, f"{base}/decision", {"outcome": "maybe", "decided_on": "2026-01-21"})
    assert invalid.status_code == 422 and invalid.json()["code"] == "validation_error"
    claim.refresh_from_db()
    assert claim.status == ClaimStatus.AT_BPJS  # nothing half-recorded


def test_more_documents_send_the_file_back_through_the_api(people, media):
    claim = sent_claim(people)
    api = bearer(people["bpjs"])
    answer = post(
        api,
        f"/api/v1/claims/{claim.pk}/bpjs/decision",
        {"outcome": "more_documents", "decided_on": "2026-01-21", "reason": "Akta kelahiran anak"},
    )
    assert answer.status_code == 200 and answer.json()["status"] == "reported"
    assert answer.json()["bpjs_reason"] == "Akta kelahiran anak"


def test_the_schema_documents_the_bpjs_operations(client):
    paths = client.get("/api/v1/openapi.json").json()["paths"]
    for step in ("receipt", "decision", "payments"):
        operation = paths[f"/api/v1/claims/{{claim_id}}/bpjs/{step}"]["post"]
        assert {"403", "404", "409", "422"} <= set(operation["responses"])
