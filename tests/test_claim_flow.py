"""Issue #15, claim flow: BPJS decides and pays, the Pemda finds the family and carries the file.

The Pemda puts the complete file forward, another person checks it, it is carried to the branch;
the BPJS officer records the receipt (the service clock starts there), the decision with BPJS's
own amounts (Jaring's stay the expected ones; a difference is flagged) and the payment; the
berita acara prints the roles as entered and is frozen once signed.
"""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from hypothesis import given
from hypothesis import strategies as st

from jaring.claims import rules, selectors, services
from jaring.claims.models import Claim, ClaimStatus
from jaring.claims.participants import makers_of
from jaring.claims.rules import FamilyStage
from jaring.programs.rulebook import default_rulebook
from jaring.programs.rules import Program
from jaring.reference.models import Letterhead
from jaring.registry.models import Worker
from tests import test_claims
from tests.test_claims import (
    DECIDED_ON,
    PAID_ON,
    RECEIVED_ON,
    RUSNI,
    SENT_ON,
    D,
    bpjs_approves,
    death,
    handover_facts,
    handover_pdf,
    pdf_text,
    prepare,
    to_bpjs,
    transfer,
)

people = test_claims.people  # the claims tests' users and covered workers


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def _prepared(people):
    officer, clerk = people["officer"], people["clerk"]
    return prepare(death(RUSNI, D(2025, 8, 10), officer), officer, clerk)


# --- The family's stage (pure) ----------------------------------------------------------------

HAPPY_PATH = ["reported", "checking", "checked", "sent", "at_bpjs", "approved", "paid"]
ORDER = [FamilyStage.REPORTED, FamilyStage.FILE_COMPLETE, FamilyStage.AT_BPJS, FamilyStage.PAID]


@given(st.sampled_from(ClaimStatus.values), st.booleans(), st.booleans())
def test_every_status_tells_the_family_one_stage(status, complete, handed_over):
    stage = rules.family_stage(status, complete, handed_over)
    if status in {"potential", "dismissed"}:
        assert stage is None  # the family was never told of it
    elif status in {"sent", "at_bpjs", "approved"}:
        assert stage == FamilyStage.AT_BPJS  # not "paid" before BPJS paid
    elif status == "paid":
        assert stage == (FamilyStage.HANDED_OVER if handed_over else FamilyStage.PAID)
    elif status == "rejected":
        assert stage == FamilyStage.REFUSED
    else:
        assert stage in {FamilyStage.REPORTED, FamilyStage.FILE_COMPLETE}


def test_the_family_stage_only_moves_forward_on_the_happy_path():
    stages = [rules.family_stage(s, s != "reported", False) for s in HAPPY_PATH]
    positions = [ORDER.index(stage) for stage in stages]
    assert positions == sorted(positions) and stages[-1] == FamilyStage.PAID
    assert rules.family_stage("reported", False, False) == FamilyStage.REPORTED
    assert rules.family_stage("paid", True, True) == FamilyStage.HANDED_OVER


# --- The state machine ------------------------------------------------------------------------


def test_each_step_waits_for_the_one_before_and_its_own_actor(people, media):
    officer, supervisor, bpjs = people["officer"], people["supervisor"], people["bpjs"]
    claim = _prepared(people)
    with pytest.raises(ValidationError):
        services.record_sending(claim, officer, SENT_ON, "hand")  # not checked yet
    services.submit(claim, officer)
    with pytest.raises(PermissionDenied):
        services.approve(claim, bpjs)  # the branch does not check the Pemda's file
    with pytest.raises(ValidationError):
        services.record_receipt(claim, bpjs, RECEIVED_ON, "JKM-1")  # not sent yet
    services.approve(claim, supervisor)
    with pytest.raises(ValidationError, match="cara berkas dikirim"):
        services.record_sending(claim, officer, SENT_ON, "pigeon")
    with pytest.raises(ValidationError, match="sebelum klaim dilaporkan"):
        services.record_sending(claim, officer, D(2026, 1, 1), "hand")
    services.record_sending(claim, officer, SENT_ON, "post")
    with pytest.raises(PermissionDenied):
        services.record_receipt(claim, supervisor, RECEIVED_ON, "JKM-1")
    with pytest.raises(ValidationError, match="sebelum Pemda mengirimnya"):
        services.record_receipt(claim, bpjs, D(2026, 1, 19), "JKM-1")
    with pytest.raises(ValidationError):
        bpjs_approves(claim, bpjs)  # BPJS has not received the complete file
    services.record_receipt(claim, bpjs, RECEIVED_ON, "JKM-1")
    with pytest.raises(ValidationError, match="alasan"):
        services.record_decision(claim, bpjs, services.BpjsDecision("refused", DECIDED_ON, ""))
    with pytest.raises(ValidationError, match="sebelum menerima berkas"):
        bpjs_approves(claim, bpjs, decided_on=D(2026, 1, 19))
    claim = bpjs_approves(claim, bpjs)
    assert claim.status == ClaimStatus.APPROVED and claim.sent_via == "post"
    assert (claim.sent_by, claim.bpjs_received_by, claim.bpjs_decided_by) == (officer, bpjs, bpjs)


def test_a_second_claim_cannot_reuse_a_bpjs_claim_number(people, media):
    officer, supervisor, bpjs = people["officer"], people["supervisor"], people["bpjs"]
    first = to_bpjs(_prepared(people), officer, supervisor, bpjs)
    from tests.test_claims import BAHTIAR

    second = prepare(death(BAHTIAR, D(2025, 6, 1), officer), officer, people["clerk"])
    services.submit(second, officer)
    services.approve(second, supervisor)
    services.record_sending(second, officer, SENT_ON, "hand")
    with pytest.raises(ValidationError, match="sudah tercatat pada klaim lain"):
        services.record_receipt(second, bpjs, RECEIVED_ON, first.bpjs_claim_number)
    assert Claim.objects.get(pk=second.pk).status == ClaimStatus.SENT


def test_more_documents_send_the_file_back_to_the_pemda(people, media):
    officer, supervisor, bpjs = people["officer"], people["supervisor"], people["bpjs"]
    claim = to_bpjs(_prepared(people), officer, supervisor, bpjs)
    services.record_decision(
        claim,
        bpjs,
        services.BpjsDecision("more_documents", DECIDED_ON, "Surat keterangan ahli waris buram."),
    )
    claim.refresh_from_db()
    assert claim.status == ClaimStatus.REPORTED and claim.is_editable
    assert (claim.bpjs_received_on, claim.sent_on, claim.submitted_by, claim.decided_by) == (
        None,
        None,
        None,
        None,
    )
    assert claim.bpjs_reason == "Surat keterangan ahli waris buram."
    assert selectors.service_level_of(claim).due is None  # the clock waits for a new receipt
    assert bpjs.pk not in makers_of(claim) and supervisor.pk not in makers_of(claim)
    claim = to_bpjs(claim, officer, supervisor, bpjs, received_on=D(2026, 1, 26))
    assert claim.status == ClaimStatus.AT_BPJS and claim.bpjs_received_on == D(2026, 1, 26)


# --- The service level runs from BPJS's receipt -----------------------------------------------


def test_the_service_level_and_compensation_run_from_bpjs_receipt(people, media):
    officer, supervisor, bpjs = people["officer"], people["supervisor"], people["bpjs"]
    claim = _prepared(people)
    assert claim.documents_complete_on == D(2025, 9, 15)  # the Pemda's check, months earlier
    services.submit(claim, officer)
    services.approve(claim, supervisor)
    services.record_sending(claim, officer, SENT_ON, "hand")
    claim.refresh_from_db()
    late_day = D(2026, 2, 10)
    sla = selectors.service_level_of(claim, late_day)
    assert (sla.due, sla.days_late, sla.late_penalty, sla.overdue) == (None, 0, 0, False)
    assert not selectors.overdue(Claim.objects.all(), late_day).exists()

    services.record_receipt(claim, bpjs, RECEIVED_ON, "JKM-SLA")  # Tuesday 20 January 2026
    claim.refresh_from_db()
    due = rules.add_working_days(RECEIVED_ON, 3)
    assert due == D(2026, 1, 23)
    sla = selectors.service_level_of(claim, due)
    assert (sla.due, sla.overdue, sla.late_penalty) == (due, False, 0)
    assert not selectors.overdue(Claim.objects.all(), due).exists()
    sla = selectors.service_level_of(claim, D(2026, 1, 28))  # Mon 26, Tue 27, Wed 28: 3 late
    assert (sla.overdue, sla.days_late) == (True, 3)
    assert sla.late_penalty == 3 * 420_000  # 1 % of Rp42.000.000 per working day
    assert list(selectors.overdue(Claim.objects.all(), D(2026, 1, 28))) == [claim]

    claim = bpjs_approves(claim, bpjs)
    services.record_benefit_payment(
        claim.instalments.get(), claim.family.get(is_heir=True), transfer(42_000_000), bpjs
    )
    claim.refresh_from_db()
    sla = selectors.service_level_of(claim, late_day)
    assert (sla.working_days_taken, sla.days_late, sla.overdue) == (3, 0, False)  # paid Fri 23
    assert not selectors.overdue(Claim.objects.all(), late_day).exists()
    assert claim.paid_on == PAID_ON


def test_the_service_level_rule_counts_jkk_in_seven_working_days():
    book = default_rulebook()
    sla = rules.service_level(book, Program.JKK, RECEIVED_ON, None, D(2026, 1, 29), 10_000_000)
    assert sla.target_days == 7 and sla.due == rules.add_working_days(RECEIVED_ON, 7)
    assert not sla.overdue and sla.late_penalty == 0
    none = rules.service_level(book, Program.JKM, None, None, D(2030, 1, 1), 42_000_000)
    assert none.due is None and not none.overdue  # nothing received: nothing BPJS owes


# --- Expected by Jaring, decided by BPJS ------------------------------------------------------


def test_a_bpjs_amount_differing_from_the_expected_one_is_flagged(people, media):
    officer, supervisor, bpjs = people["officer"], people["supervisor"], people["bpjs"]
    claim = to_bpjs(_prepared(people), officer, supervisor, bpjs)
    assert claim.benefit_total == 42_000_000
    with pytest.raises(ValidationError, match="tidak dikenal"):
        bpjs_approves(claim, bpjs, scholarship=1)
    claim = bpjs_approves(claim, bpjs, funeral=8_000_000)  # BPJS paid the funeral cost short
    assert (claim.benefit_total, claim.bpjs_total, claim.amount_difference) == (
        42_000_000,
        40_000_000,
        -2_000_000,
    )
    assert {c["code"]: c["amount"] for c in claim.bpjs_components}["funeral"] == 8_000_000
    assert claim.instalments.get().amount == 40_000_000  # BPJS pays its own figure
    assert list(selectors.amount_differences(Claim.objects.all())) == [claim]


def test_a_bpjs_amount_equal_to_the_expected_one_is_not_flagged(people, media):
    officer, supervisor, bpjs = people["officer"], people["supervisor"], people["bpjs"]
    claim = bpjs_approves(to_bpjs(_prepared(people), officer, supervisor, bpjs), bpjs)
    assert claim.amount_difference == 0
    assert not selectors.amount_differences(Claim.objects.all()).exists()


# --- Berita acara: roles as entered, frozen at signing -----------------------------------------


def _paid(people):
    officer, supervisor, bpjs = people["officer"], people["supervisor"], people["bpjs"]
    claim = bpjs_approves(to_bpjs(_prepared(people), officer, supervisor, bpjs), bpjs)
    heir = claim.family.get(is_heir=True)
    services.record_benefit_payment(claim.instalments.get(), heir, transfer(42_000_000), bpjs)
    claim.refresh_from_db()
    return claim, heir


def test_the_berita_acara_prints_each_role_where_it_belongs(people, media):
    claim, heir = _paid(people)
    facts = services.HandoverFacts(
        D(2025, 9, 22),
        "Wisma Daerah Sri Mahkota",
        "Bengkalis",
        "Kasmarni",
        "Bupati Bengkalis",
        "Ahmad Fauzi",
        "Kepala Kantor Cabang BPJS Ketenagakerjaan Duri",
        witness_name="Bagus Santoso",
        witness_title="Wakil Bupati Bengkalis",
    )
    services.record_handover(claim, heir, facts, people["officer"])
    text = pdf_text(handover_pdf(claim))
    handed = text.index("Yang menyerahkan, Bupati Bengkalis")
    assert text.index("Kasmarni") > handed
    bpjs = text.index("Pihak BPJS Ketenagakerjaan, Kepala Kantor Cabang BPJS Ketenagakerjaan Duri")
    assert text.index("Ahmad Fauzi") > bpjs > text.index("Kasmarni")
    witness = text.index("Mengetahui / saksi, Wakil Bupati Bengkalis")
    assert text.index("Bagus Santoso") > witness


def test_the_berita_acara_is_editable_until_signed_then_frozen(people, media):
    officer = people["officer"]
    claim, heir = _paid(people)
    services.record_handover(claim, heir, handover_facts(), officer)
    corrected = services.HandoverFacts(**{**handover_facts().__dict__, "place": "Gedung Daerah"})
    handover = services.record_handover(claim, heir, corrected, officer)
    assert handover.place == "Gedung Daerah" and "Gedung Daerah" in pdf_text(handover_pdf(claim))
    Worker.objects.filter(pk=claim.worker_id).update(full_name="Rusni Binti Ali")
    assert "Rusni Binti Ali" in pdf_text(handover_pdf(claim))  # a draft follows the registry

    letterhead = Letterhead.objects.create(
        region_id=claim.village_id[:5],  # the kabupaten's
        government="PEMERINTAH KABUPATEN BENGKALIS",
        office="DINAS TENAGA KERJA",
        address="Jl. Antara No. 1",
        city="Bengkalis",
    )
    with pytest.raises(PermissionDenied):
        services.sign_handover(claim, people["bpjs"])
    services.sign_handover(claim, officer)
    signed = pdf_text(handover_pdf(claim))
    assert "DINAS TENAGA KERJA" in signed
    Worker.objects.filter(pk=claim.worker_id).update(full_name="Nama Lain Dari Impor")
    claim.family.filter(pk=heir.pk).update(full_name="Ahli Waris Diganti")
    Letterhead.objects.filter(pk=letterhead.pk).update(office="DINAS PERINDUSTRIAN")
    frozen = pdf_text(handover_pdf(claim))
    assert "Nama Lain Dari Impor" not in frozen and "Ahli Waris Diganti" not in frozen
    assert "DINAS PERINDUSTRIAN" not in frozen  # the paper keeps the letterhead it bore
    assert "Rusni Binti Ali" in frozen and "Gedung Daerah" in frozen
    assert frozen.replace(frozen[frozen.index("Dicetak") :], "") == signed.replace(
        signed[signed.index("Dicetak") :], ""
    )
    with pytest.raises(ValidationError, match="sudah ditandatangani"):
        services.record_handover(claim, heir, handover_facts(), officer)
    with pytest.raises(ValidationError, match="sudah ditandatangani"):
        services.sign_handover(claim, officer)


# --- The claim page ---------------------------------------------------------------------------


def test_the_page_offers_each_actor_only_its_own_step(people, media, client):
    officer, supervisor, bpjs = people["officer"], people["supervisor"], people["bpjs"]
    claim = _prepared(people)
    services.submit(claim, officer)
    services.approve(claim, supervisor)
    page = reverse("claims:detail", args=[claim.pk])
    client.force_login(bpjs)
    text = client.get(page).text
    assert 'id="sending-form"' not in text and 'id="receipt-form"' not in text
    assert "membawa berkas beserta surat pengantarnya" in text  # who acts next
    client.force_login(officer)
    text = client.get(page).text
    assert 'id="sending-form"' in text and 'id="cover-letter"' in text
    assert "Berkas lengkap" in text  # what the family is told
    letter = client.get(reverse("claims:cover_letter_pdf", args=[claim.pk]))
    letter_text = pdf_text(letter.content)
    assert "SURAT PENGANTAR" in letter_text and "Akta kematian" in letter_text
    client.post(reverse("claims:send", args=[claim.pk]), {"sent_on": "2026-01-20", "via": "hand"})
    client.force_login(bpjs)
    text = client.get(page).text
    assert 'id="receipt-form"' in text and 'id="payment-form"' not in text
    assert "Di BPJS" in text


def test_the_bpjs_payment_choice_reads_as_money(people, media, client):
    officer, supervisor, bpjs = people["officer"], people["supervisor"], people["bpjs"]
    claim = bpjs_approves(to_bpjs(_prepared(people), officer, supervisor, bpjs), bpjs)
    client.force_login(bpjs)
    text = client.get(reverse("claims:detail", args=[claim.pk])).text
    assert "Santunan tunai — Rp42.000.000" in text and "/cash/" not in text
    assert "Istri — Janda/duda (suami/istri)" in text
    client.force_login(officer)
    assert 'id="payment-form"' not in client.get(reverse("claims:detail", args=[claim.pk])).text


def test_a_refused_family_form_keeps_what_was_typed(people, media, client):
    officer = people["officer"]
    claim = death(RUSNI, D(2025, 8, 10), officer)
    client.force_login(officer)
    response = client.post(
        reverse("claims:family_add", args=[claim.pk]),
        {"full_name": "Nurhayati", "relationship": "spouse", "nik": "12345", "alive": "on"},
    )
    assert response.status_code == 400
    text = response.content.decode()
    assert 'value="Nurhayati"' in text and 'value="12345"' in text
    nik_field = text[text.index('id="id_nik"') - 400 : text.index('id="id_nik"')]
    assert "NIK harus 16 digit." in nik_field  # the error stands by its field
    assert not claim.family.exists()


def test_the_accident_fields_belong_to_jkk_only(people, client):
    officer = people["officer"]
    client.force_login(officer)
    response = client.post(
        reverse("claims:report"),
        {
            "nik": RUSNI[0],
            "program": "JKM",
            "event": "death",
            "event_date": "2025-08-10",
            "reported_by": "village",
            "cause": "Jatuh dari pohon",
            "incapacity_days": "4",
        },
    )
    assert response.status_code == 200 and not Claim.objects.exists()
    assert response.content.decode().count("Hanya untuk kecelakaan kerja (JKK).") == 2
    assert 'data-jkk-only="1"' in response.content.decode()


def test_the_claims_officer_home_shows_waiting_and_overdue(people, media, client):
    officer, supervisor, bpjs = people["officer"], people["supervisor"], people["bpjs"]
    claim = to_bpjs(_prepared(people), officer, supervisor, bpjs)
    Claim.objects.filter(pk=claim.pk).update(bpjs_received_on=D(2026, 1, 2))
    from tests.test_claims import BAHTIAR

    potential = death(BAHTIAR, D(2025, 6, 1), officer)
    Claim.objects.filter(pk=potential.pk).update(status=ClaimStatus.POTENTIAL)
    client.force_login(officer)
    text = client.get("/").content.decode()
    assert "1 klaim potensial dari daftar kematian" in text
    waiting = text[text.index('id="waiting-potential"') :]
    assert potential.number in waiting.split("</ul>")[0]
    overdue = text[text.index('id="overdue-files"') :]
    assert claim.number in overdue.split("</ul>")[0] and "terlambat" in overdue
    client.force_login(supervisor)
    assert 'id="claims-queue"' not in client.get("/").content.decode()
