"""Reference data without a deploy: scoped screens, history of every change, validation, the
rules in force, and the letterhead and signatories on printed documents."""

import datetime
import string

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse
from hypothesis import given
from hypothesis import strategies as st

from jaring.accounts.models import OrgUnit
from jaring.accounts.rules import RoleCode
from jaring.enrolment.forms import LayoutField
from jaring.enrolment.models import BranchFormat, layout_problem
from jaring.finance.models import FundingSource
from jaring.reference import selectors
from jaring.reference.models import Letterhead, Plkk, Signatory
from jaring.reference.services import save_reference
from jaring.registry.models import Occupation
from jaring.reports.models import WorkforceEstimate
from tests.conftest import BENGKALIS, RIAU, SIAK


@pytest.fixture
def admins(make_user):
    """The regency admins of Bengkalis (A) and Siak (B), and a superuser."""
    return (
        make_user("admin.a", RoleCode.REGENCY_ADMIN, BENGKALIS),
        make_user("admin.b", RoleCode.REGENCY_ADMIN, SIAK),
        make_user("root", is_superuser=True),
    )


def _source(code, name="APBD"):
    return FundingSource.objects.create(region_id=code, kind="apbd_kab", name=f"{name} {code}")


# --- Scoping: region A's admin neither sees nor edits region B's data -------------------------


def test_admin_sees_only_its_own_regions_rows(admins, client):
    admin_a, _, _ = admins
    _source(BENGKALIS)
    _source(SIAK)
    Plkk.objects.create(region_id=BENGKALIS, name="RSUD Bengkalis", kind="hospital", address="J")
    Plkk.objects.create(region_id=SIAK, name="RSUD Siak", kind="hospital", address="J")
    client.force_login(admin_a)
    sources = client.get(reverse("finance:funding_sources")).text
    assert f"APBD {BENGKALIS}" in sources and f"APBD {SIAK}" not in sources
    plkk = client.get(reverse("reference:plkk_list")).text
    assert "RSUD Bengkalis" in plkk and "RSUD Siak" not in plkk


def test_admin_cannot_open_or_change_another_regions_row(admins, client):
    admin_a, _, _ = admins
    foreign = _source(SIAK)
    client.force_login(admin_a)
    url = reverse("finance:funding_source", args=[foreign.pk])
    assert client.get(url).status_code == 404
    response = client.post(url, {"region": SIAK, "kind": "csr", "name": "Diubah", "active": "on"})
    assert response.status_code == 404
    foreign.refresh_from_db()
    assert (foreign.name, foreign.kind) == (f"APBD {SIAK}", "apbd_kab")
    assert foreign.history.count() == 1  # only its creation


def test_a_funding_sources_kind_is_fixed_once_it_has_money(admins, client):
    """The kind decides the contribution rules of what was budgeted under it."""
    admin_a, _, _ = admins
    source = _source(BENGKALIS)
    client.force_login(admin_a)
    url = reverse("finance:funding_source", args=[source.pk])
    data = {"kind": "csr", "name": "APBD Bengkalis", "active": "on", "reason": "ganti"}
    client.post(url, data)
    source.refresh_from_db()
    assert source.kind == "csr"  # no money yet: still free
    source.allocations.create(fiscal_year=2025, amount=1_000_000)
    client.post(url, {**data, "kind": "apbd_kab"})
    source.refresh_from_db()
    assert (source.kind, source.name) == ("csr", "APBD Bengkalis")


def test_admin_cannot_create_a_row_in_another_region(admins, client):
    admin_a, _, _ = admins
    client.force_login(admin_a)
    data = {"region": SIAK, "name": "RS Siak", "kind": "clinic", "address": "Jl. Siak"}
    response = client.post(reverse("reference:plkk_list"), data)
    assert response.status_code == 200  # the form again, with the error
    assert "region" in response.context["form"].errors
    assert not Plkk.objects.exists()


def test_the_service_refuses_a_foreign_region_and_a_move_out_of_scope(admins):
    admin_a, _, root = admins
    with pytest.raises(PermissionDenied):
        save_reference(
            Letterhead(region_id=SIAK, government="G", office="O", address="A", city="C"),
            admin_a,
        )
    own = save_reference(
        Letterhead(region_id=BENGKALIS, government="G", office="O", address="A", city="C"),
        admin_a,
    )
    own.region_id = SIAK  # moving its own row into region B
    with pytest.raises(PermissionDenied):
        save_reference(own, admin_a)
    assert Letterhead.objects.get(pk=own.pk).region_id == BENGKALIS
    own.region_id = SIAK
    save_reference(own, root)  # a superuser may
    assert Letterhead.objects.get(pk=own.pk).region_id == SIAK


def test_a_provincial_admin_edits_every_regency_of_its_province(make_user):
    provincial = make_user("admin.riau", RoleCode.PROVINCIAL_ADMIN, RIAU)
    for code in (BENGKALIS, SIAK):
        save_reference(Plkk(region_id=code, name="RS", kind="hospital", address="J"), provincial)
    assert Plkk.objects.count() == 2
    aceh = "11.01"
    with pytest.raises(PermissionDenied):
        save_reference(Plkk(region_id=aceh, name="RS", kind="hospital", address="J"), provincial)


def test_other_roles_cannot_edit_reference_data(make_user, client):
    operator = make_user("op", RoleCode.OPERATOR, BENGKALIS)
    with pytest.raises(PermissionDenied):
        save_reference(_unsaved_estimate(BENGKALIS), operator)
    client.force_login(operator)
    assert client.get(reverse("reports:estimates")).status_code == 403
    year = {"year": 2026, "informal_workers": 5, "source": "BPS"}
    response = client.post(reverse("reports:estimate", args=[BENGKALIS]), year)
    assert response.status_code == 403
    assert not WorkforceEstimate.objects.exists()


def _unsaved_estimate(code, year=2026, workers=80_000):
    return WorkforceEstimate(region_id=code, year=year, informal_workers=workers, source="BPS")


# --- National data: occupations are the superuser's --------------------------------------------


def test_occupations_are_read_by_admins_and_changed_only_by_a_superuser(
    admins, occupations, client
):
    admin_a, _, root = admins
    occupation = Occupation.objects.order_by("code").first()
    url = reverse("registry:occupation", args=[occupation.code])
    client.force_login(admin_a)
    page = client.get(url)
    assert page.status_code == 200 and page.context["form"] is None
    data = {"name": "Diubah", "group": "", "synonyms": "", "sort_order": 1}
    assert client.post(url, data).status_code == 403
    assert client.post(reverse("registry:occupations"), {"code": "baru", **data}).status_code == 403
    client.force_login(root)
    assert client.post(url, {**data, "reason": "Nama baku"}).status_code == 302
    occupation.refresh_from_db()
    assert occupation.name == "Diubah"
    last = occupation.history.latest("history_date")
    assert (last.history_user, last.history_change_reason) == (root, "Nama baku")


# --- History: who, when, what before and after -----------------------------------------------


def test_an_edit_through_the_screen_writes_a_history_row_shown_before_and_after(admins, client):
    admin_a, _, _ = admins
    client.force_login(admin_a)
    add = {"region": BENGKALIS, "purpose": "invoice", "name": "H. Ahmad", "position": "Kadis"}
    assert client.post(reverse("reference:signatories"), add).status_code == 302
    signatory = Signatory.objects.get()
    url = reverse("reference:signatory", args=[signatory.pk])
    change = {**add, "name": "Hj. Siti Aminah", "nip": "197501012000032001", "reason": "Mutasi"}
    assert client.post(url, change).status_code == 302
    rows = list(signatory.history.order_by("history_date", "history_id"))
    assert [r.history_type for r in rows] == ["+", "~"]
    assert {r.history_user for r in rows} == {admin_a}
    assert (rows[0].name, rows[1].name, rows[1].history_change_reason) == (
        "H. Ahmad",
        "Hj. Siti Aminah",
        "Mutasi",
    )
    page = client.get(url)
    newest = page.context["history"][0]
    assert newest.who == admin_a and newest.reason == "Mutasi"
    changed = {c.field: (c.before, c.after) for c in newest.changes}
    assert changed["name"] == ("H. Ahmad", "Hj. Siti Aminah")
    assert changed["nip"] == ("", "197501012000032001")
    assert "H. Ahmad" in page.text and "Hj. Siti Aminah" in page.text


def test_the_dashboard_estimate_form_replaces_the_years_row_with_history(admins, client):
    admin_a, _, _ = admins
    client.force_login(admin_a)
    url = reverse("reports:estimate", args=[BENGKALIS])
    for workers in (80_000, 82_500):
        data = {"year": 2026, "informal_workers": workers, "source": "BPS Sakernas"}
        assert client.post(url, data).status_code == 302
    estimate = WorkforceEstimate.objects.get()
    assert (estimate.informal_workers, estimate.updated_by) == (82_500, admin_a)
    assert [h.informal_workers for h in estimate.history.order_by("history_date")] == [
        80_000,
        82_500,
    ]


# --- Validation: clear errors, nothing written -------------------------------------------------


@pytest.mark.parametrize(
    ("model", "fields", "error_field"),
    [
        (Signatory, {"purpose": "invoice", "name": "A", "position": "B", "nip": "12345"}, "nip"),
        (Signatory, {"purpose": "surat", "name": "A", "position": "B"}, "purpose"),
        (Plkk, {"name": "RS", "kind": "hospital", "address": ""}, "address"),
        (WorkforceEstimate, {"year": 1990, "informal_workers": 5, "source": "BPS"}, "year"),
        (WorkforceEstimate, {"year": 2026, "informal_workers": 0, "source": "BPS"}, None),
    ],
)
def test_invalid_rows_are_refused_and_nothing_is_written(admins, model, fields, error_field):
    admin_a, _, _ = admins
    with pytest.raises(ValidationError) as refused:
        save_reference(model(region_id=BENGKALIS, **fields), admin_a)
    if error_field:
        assert error_field in refused.value.message_dict
    assert not model.objects.exists()


def test_database_constraints_hold_without_the_form(riau_regions):
    Signatory.objects.create(region_id=BENGKALIS, purpose="invoice", name="A", position="B")
    with pytest.raises(IntegrityError), transaction.atomic():
        Signatory.objects.create(region_id=BENGKALIS, purpose="invoice", name="C", position="D")
    with pytest.raises(IntegrityError), transaction.atomic():
        Signatory.objects.create(region_id=BENGKALIS, purpose="report", name="", position="D")
    with pytest.raises(IntegrityError), transaction.atomic():
        Plkk.objects.create(region_id=BENGKALIS, name="RS", kind="apotek", address="J")
    with pytest.raises(IntegrityError), transaction.atomic():
        Letterhead.objects.create(region_id=SIAK, government="", office="O", address="A", city="C")


def test_a_branch_layout_names_known_fields_and_belongs_to_a_bpjs_office(admins):
    admin_a, _, _ = admins
    bpjs = OrgUnit.objects.create(name="BPJS Duri", kind="bpjs", region_id=BENGKALIS)
    pemda = OrgUnit.objects.create(name="Disnaker", kind="pemda", region_id=BENGKALIS)
    with pytest.raises(ValidationError) as refused:
        save_reference(BranchFormat(office=bpjs, columns=[["NIK", "nik"], ["X", "gaji"]]), admin_a)
    assert "gaji" in str(refused.value.message_dict["columns"])
    with pytest.raises(ValidationError) as refused:
        save_reference(BranchFormat(office=pemda, columns=[["NIK", "nik"]]), admin_a)
    assert "office" in refused.value.message_dict
    saved = save_reference(
        BranchFormat(office=bpjs, columns=[["NO KTP", "nik"]], reply_columns=[["KARTU", "kpj"]]),
        admin_a,
    )
    assert saved.history.get().history_user == admin_a


HEADER = (
    st.text(alphabet=string.ascii_letters + string.digits + " ./()-", max_size=20)
    .map(str.strip)
    .filter(bool)
)


@given(
    st.lists(
        st.tuples(HEADER, st.sampled_from(sorted(BranchFormat.FIELDS))), min_size=1, max_size=8
    )
)
def test_a_layout_reads_back_as_written_and_is_valid_iff_headers_unique_and_nik_present(pairs):
    pairs = [list(p) for p in pairs]
    field = LayoutField()
    assert field.to_python(field.prepare_value(pairs)) == pairs
    unique = len({h.casefold() for h, _ in pairs}) == len(pairs)
    has_nik = any(f == "nik" for _, f in pairs)
    assert (layout_problem(pairs, BranchFormat.FIELDS, required="nik") is None) == (
        unique and has_nik
    )


# --- Rules in force (read only) -----------------------------------------------------------------


def test_the_rules_page_shows_the_row_in_force_on_the_chosen_day_with_its_source(make_user, client):
    client.force_login(make_user("bpjs", RoleCode.BPJS_OFFICER, BENGKALIS))
    url = reverse("reference:rules")
    during = client.get(url, {"tanggal": "2026-06-01"})
    rows = {key: version for key, version, _shown in during.context["rows"]}
    assert rows["contribution.relief"].effective_from == datetime.date(2026, 1, 1)
    assert "PP 50/2025" in during.text
    before = {k: v for k, v, _ in client.get(url, {"tanggal": "2025-06-01"}).context["rows"]}
    assert before["contribution.relief"] is None
    assert before["contribution.jkm.amount"].value == 6800
    assert client.post(url).status_code == 405


# --- Printed documents: the region's letterhead and signatory ---------------------------------


def test_a_regency_without_a_letterhead_uses_its_provinces(riau_regions):
    Letterhead.objects.create(
        region_id=RIAU, government="PEMERINTAH PROVINSI RIAU", office="D", address="A", city="P"
    )
    assert selectors.letterhead_for("14.03.01").government == "PEMERINTAH PROVINSI RIAU"
    Letterhead.objects.create(
        region_id=BENGKALIS,
        government="PEMERINTAH KABUPATEN BENGKALIS",
        office="D",
        address="A",
        city="Bengkalis",
    )
    assert selectors.letterhead_for("14.03.01").government == "PEMERINTAH KABUPATEN BENGKALIS"
    assert selectors.letterhead_for(SIAK).government == "PEMERINTAH PROVINSI RIAU"
    assert selectors.letterhead_for("11.01") is None


def test_the_invoice_pdf_carries_the_letterhead_and_the_signatory(riau_regions, monkeypatch):
    from jaring.finance import exports
    from jaring.finance.models import Invoice

    Letterhead.objects.create(
        region_id=BENGKALIS,
        government="PEMERINTAH KABUPATEN BENGKALIS",
        office="DINAS TENAGA KERJA",
        address="Jl. Pramuka",
        city="Bengkalis",
    )
    Signatory.objects.create(
        region_id=BENGKALIS,
        purpose="invoice",
        name="Hj. Siti Aminah",
        position="Kepala Dinas",
        nip="197501012000032001",
    )
    Signatory.objects.create(
        region_id=BENGKALIS, purpose="report", name="Orang Lain", position="Sekretaris"
    )
    invoice = Invoice.objects.create(
        source=_source(BENGKALIS), month=datetime.date(2026, 1, 1), number="T-1", total=0
    )
    rendered = {}

    class FakeHTML:
        def __init__(self, string):
            rendered["html"] = string

        def write_pdf(self):
            return b"%PDF"

    monkeypatch.setattr("weasyprint.HTML", FakeHTML)
    exports.invoice_pdf(invoice)
    html = rendered["html"]
    assert "PEMERINTAH KABUPATEN BENGKALIS" in html and "DINAS TENAGA KERJA" in html
    assert "Hj. Siti Aminah" in html and "NIP 197501012000032001" in html
    assert "Orang Lain" not in html


def test_a_jkk_claim_lists_the_active_plkk_of_its_kabupaten(riau_regions):
    district = "14.03.01"
    Plkk.objects.create(region_id=district, name="Klinik Duri", kind="clinic", address="J")
    Plkk.objects.create(region_id=BENGKALIS, name="RSUD", kind="hospital", address="J")
    Plkk.objects.create(region_id=BENGKALIS, name="Tutup", kind="clinic", address="J", active=False)
    Plkk.objects.create(region_id=SIAK, name="RSUD Siak", kind="hospital", address="J")
    village = "14.03.01.2001"
    assert [p.name for p in selectors.plkk_near(village)] == ["Klinik Duri", "RSUD"]
