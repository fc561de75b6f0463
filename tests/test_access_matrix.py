"""The access matrix: every route × every role × {own region, foreign region}.

Expectations are generated from what each route needs (a capability, and for object routes the
region of the object) and what each role has (accounts.rules and the role's region). A route
added without an entry in ROUTES fails ``test_every_route_has_an_entry``.
"""

import datetime
import json
from dataclasses import dataclass

import pytest
from django.core.cache import cache
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import URLResolver, get_resolver, reverse

from jaring.accounts.models import OrgUnit, User
from jaring.accounts.rules import Capability, RoleCode
from jaring.accounts.scoping import scope_for
from jaring.api import services as api_services
from jaring.claims import services as claims_services
from jaring.claims.models import ClaimReport
from jaring.core import crypto
from jaring.demo.seed import _regional_admin_group
from jaring.enrolment import services as enrolment_services
from jaring.enrolment.models import BranchFormat, CoveragePlan, Enrolment, Submission
from jaring.finance import planning
from jaring.finance import services as finance_services
from jaring.finance.models import FundingSource, Invoice
from jaring.finance.reconciliation import services as reconciliation
from jaring.reference.models import Letterhead, Plkk, Signatory
from jaring.regions.models import Region
from jaring.registry import services as registry_services
from jaring.registry.models import DuplicateCandidate, Occupation, Worker
from jaring.reports.models import WorkforceEstimate
from jaring.reports.services import refresh_regency
from tests.conftest import BENGKALIS, RIAU, SIAK
from tests.test_registry_import import write_csv

ANY_USER = "any_user"  # a page about the user's own things
SECOND_FACTOR = "second_factor"  # finance and admin roles (and staff) may switch TOTP on
EXCHANGE = "exchange"  # BPJS files carry NIKs: enrolment + personal data, or the BPJS officer


@dataclass(frozen=True)
class Route:
    kind: str  # public, list, object, post, national (an object of no region: like a list)
    capability: Capability | str | None = None
    object_kind: str | None = None
    public_status: int = 200
    login_required: bool = True
    after: tuple = ()  # URL arguments after the object's key (e.g. a JKK action's name)


ROUTES = {
    # Operations (jaring.ops): anyone may ask; /metrics answers by address (tests/test_ops.py).
    "healthz": Route("public"),
    "readyz": Route("public", public_status=503),  # no worker beats during this test
    "metrics": Route("public"),  # the test client calls from 127.0.0.1, on the allow-list
    "home": Route("public"),
    "login": Route("public"),
    "logout": Route("post", login_required=False),
    "access_log": Route("list", Capability.VIEW_AUDIT_LOG),
    "api_tokens": Route("list", ANY_USER),
    "login_code": Route("public", public_status=302),  # nothing pending: back to the login
    "second_factor": Route("list", SECOND_FACTOR),
    "set_language": Route("public", public_status=302),
    "regions:index": Route("list", Capability.VIEW_REGIONS),
    "regions:search": Route("list", Capability.VIEW_REGIONS),
    "regions:detail": Route("object", Capability.VIEW_REGIONS, "region"),
    "registry:workers": Route("list", Capability.VIEW_REGISTRY),
    "registry:worker": Route("object", Capability.VIEW_REGISTRY, "worker"),
    "registry:worker_create": Route("list", Capability.MANAGE_REGISTRY),
    "registry:worker_edit": Route("object", Capability.MANAGE_REGISTRY, "worker"),
    "registry:import_template": Route("list", Capability.MANAGE_REGISTRY),
    "registry:imports": Route("list", Capability.MANAGE_REGISTRY),
    "registry:import_detail": Route("object", Capability.MANAGE_REGISTRY, "batch"),
    "registry:import_status": Route("object", Capability.MANAGE_REGISTRY, "batch"),
    "registry:import_rejects": Route("object", Capability.MANAGE_REGISTRY, "batch"),
    "registry:import_rerun": Route("post", object_kind="batch"),
    "registry:duplicates": Route("list", Capability.MANAGE_REGISTRY),
    "registry:duplicate_review": Route("post", object_kind="duplicate"),
    "registry:transfers": Route("list", Capability.VIEW_REGISTRY),
    "registry:transfer_decide": Route("post", object_kind="transfer"),
    "finance:budget": Route("list", Capability.VIEW_REPORTS),
    "finance:allocate": Route("post"),
    "finance:plan_new": Route("list", Capability.MANAGE_FINANCE),
    "finance:plan": Route("object", Capability.VIEW_REPORTS, "plan"),
    "finance:plan_commit": Route("post", object_kind="plan"),
    "finance:invoices": Route("list", Capability.VIEW_REPORTS),
    "finance:invoice": Route("object", Capability.VIEW_REPORTS, "invoice"),
    "finance:reconciliations": Route("list", Capability.MANAGE_FINANCE),
    "finance:reconciliation": Route("object", Capability.MANAGE_FINANCE, "statement"),
    "finance:reconciliation_decide": Route("post", object_kind="statement"),
    "enrolment:submissions": Route("list", EXCHANGE),
    "enrolment:submission_create": Route("post"),
    "enrolment:submission_download": Route("object", EXCHANGE, "submission"),
    "enrolment:submission_reply": Route("post", object_kind="submission"),
    "reports:index": Route("list", Capability.VIEW_REPORTS),
    "reports:dashboard": Route("object", Capability.VIEW_REPORTS, "region"),
    "reports:monthly_pdf": Route("object", Capability.VIEW_REPORTS, "region"),
    "reports:estimate": Route("post", object_kind="region"),
    # Anyone reads the public league; who may read reports gets the staff's one.
    "reports:national": Route("public", login_required=False),
    "reports:public": Route("public", login_required=False),
    "reports:coverage_check": Route("public", login_required=False),
    "reports:public_region": Route("public", object_kind="region", login_required=False),
    "claims:list": Route("list", Capability.VIEW_REGISTRY),
    "claims:report": Route("list", Capability.PREPARE_CLAIMS),
    "claims:detail": Route("object", Capability.VIEW_REGISTRY, "claim"),
    "claims:family_add": Route("post", object_kind="claim"),
    "claims:heirs_override": Route("post", object_kind="claim"),
    "claims:document_upload": Route("post", object_kind="claim"),
    "claims:decide": Route("post", object_kind="claim"),
    "claims:send": Route("post", object_kind="claim"),
    "claims:cover_letter_pdf": Route("object", Capability.VIEW_PERSONAL_DATA, "claim"),
    "claims:bpjs_receipt": Route("post", object_kind="claim"),
    "claims:bpjs_decision": Route("post", object_kind="claim"),
    "claims:payment": Route("post", object_kind="claim"),
    "claims:handover": Route("post", object_kind="claim"),
    "claims:handover_sign": Route("post", object_kind="claim"),
    "claims:jkk_action": Route("post", object_kind="claim", after=("tahap_1",)),
    "claims:scholarship_application": Route("post", object_kind="claim"),
    "claims:scholarship_payment": Route("post", object_kind="claim"),
    "claims:handover_pdf": Route("object", Capability.VIEW_PERSONAL_DATA, "claim"),
    "claims:document": Route("object", Capability.VIEW_PERSONAL_DATA, "document"),
    "claims:document_verify": Route("post", object_kind="document"),
    "claims:death_lists": Route("list", Capability.PREPARE_CLAIMS),
    "claims:death_list": Route("object", Capability.PREPARE_CLAIMS, "death_list"),
    "claims:claim_reports": Route("list", Capability.RECORD_BPJS_CLAIMS),
    "claims:claim_report": Route("object", Capability.RECORD_BPJS_CLAIMS, "claim_report"),
    # Reference data: the region's admin edits its own rows; national rows are the superuser's.
    "reference:index": Route("list", Capability.MANAGE_REFERENCE),
    "reference:letterheads": Route("list", Capability.MANAGE_REFERENCE),
    "reference:letterhead": Route("object", Capability.MANAGE_REFERENCE, "letterhead"),
    "reference:signatories": Route("list", Capability.MANAGE_REFERENCE),
    "reference:signatory": Route("object", Capability.MANAGE_REFERENCE, "signatory"),
    "reference:plkk_list": Route("list", Capability.MANAGE_REFERENCE),
    "reference:plkk": Route("object", Capability.MANAGE_REFERENCE, "plkk"),
    "reference:rules": Route("list", Capability.VIEW_REGIONS),
    "finance:funding_sources": Route("list", Capability.MANAGE_REFERENCE),
    "finance:funding_source": Route("object", Capability.MANAGE_REFERENCE, "source"),
    "registry:occupations": Route("list", Capability.MANAGE_REFERENCE),
    "registry:occupation": Route("national", Capability.MANAGE_REFERENCE, "occupation"),
    "enrolment:branch_formats": Route("list", Capability.MANAGE_REFERENCE),
    "enrolment:branch_format": Route("object", Capability.MANAGE_REFERENCE, "branch_format"),
    "reports:estimates": Route("list", Capability.MANAGE_REFERENCE),
    "reports:estimate_edit": Route("object", Capability.MANAGE_REFERENCE, "estimate"),
}
ROLES = [None, "no_role", *RoleCode]
ROLE_REGION = {RoleCode.NATIONAL_VIEWER: None, RoleCode.PROVINCIAL_ADMIN: RIAU}


def _route_names():
    def walk(patterns, namespace=None):
        for pattern in patterns:
            if isinstance(pattern, URLResolver):
                if pattern.namespace in {"admin", "api"}:  # the API has its own matrix below
                    continue
                yield from walk(pattern.url_patterns, pattern.namespace or namespace)
            elif pattern.name:
                yield f"{namespace}:{pattern.name}" if namespace else pattern.name

    return set(walk(get_resolver().url_patterns))


def test_every_route_has_an_entry():
    assert _route_names() == set(ROUTES)


def _paid_claim(worker, user, checker, tmp_path):
    """A death claim taken all the way to its handover, so every claim route has something."""
    claim = claims_services.report_event(
        worker,
        claims_services.EventReport("JKM", "death", datetime.date(2025, 1, 15), "family"),
        user,
        today=datetime.date(2025, 2, 1),
    )
    claims_services.add_family_member(claim, user, full_name="Ahli Waris", relationship="spouse")
    # Maker-checker by person: whoever checks the documents is a maker, not the approver.
    verifier = User.objects.get_or_create(username="pemeriksa.berkas", is_superuser=True)[0]
    for kind in claims_services.required_documents(claim):
        upload = SimpleUploadedFile(f"{kind}.pdf", b"%PDF-1.4\n" + kind.encode())
        document = claims_services.upload_document(claim, kind, upload, user)
        claims_services.verify_document(document, verifier)
    claims_services.submit(claim, user)
    claims_services.approve(claim, checker)  # the Pemda's check; then BPJS's side (superuser)
    claims_services.record_sending(claim, user, datetime.date(2025, 2, 1), "hand")
    claims_services.record_receipt(claim, checker, datetime.date(2025, 2, 1), f"JKM-{claim.pk}")
    claim.refresh_from_db()
    amounts = {c["code"]: c["amount"] for c in claim.components}
    decision = claims_services.BpjsDecision("approved", datetime.date(2025, 2, 2), amounts=amounts)
    claims_services.record_decision(claim, checker, decision)
    heir = claim.family.get()
    transfer = claims_services.BankTransfer(
        42_000_000, datetime.date(2025, 2, 3), "BRK", "1234567890", "Ahli Waris", "TRF"
    )
    claims_services.record_benefit_payment(claim.instalments.get(), heir, transfer, checker)
    claim.refresh_from_db()
    facts = claims_services.HandoverFacts(
        datetime.date(2025, 2, 10), "Kantor Bupati", "Kota", "Bupati", "Bupati", "BPJS", "Kepala"
    )
    claims_services.record_handover(claim, heir, facts, user)
    deaths = write_csv(
        tmp_path / f"deaths-{worker.pk}.csv",
        [["1403015001900003", "X", "01-01-2025"]],
        header=["NIK", "Nama", "Tanggal Meninggal"],
    )
    death_list = claims_services.import_deaths(
        deaths, Region.objects.get(code=worker.regency_code), user
    )
    return claim, death_list


def _transfer_out(worker):
    """A request to move ``worker`` to Aceh (a third region: neither side of the matrix)."""
    aceh = Region.objects.filter(code__startswith="11.", level=4).order_by("code").first()
    return registry_services.open_transfer(worker, aceh.code, None)


def _build_region(code: str, user, checker, tmp_path) -> dict:
    """One of everything a route can point at, in one regency."""
    district = Region.objects.filter(parent_id=code).order_by("code").first()
    village = Region.objects.filter(parent=district).order_by("code").first()
    nik = district.code.replace(".", "") + "0101900001"
    twin = district.code.replace(".", "") + "0101900002"
    rows = [
        [nik, "Pekerja Satu", "L", "01-01-1990", village.code, "", "", "", "1", ""],
        [twin, "Pekerja Satu", "L", "01-01-1990", village.code, "", "", "", "1", ""],
        ["3.2E+15", "Rusak", "", "", village.code, "", "", "", "", ""],
    ]
    region = Region.objects.get(code=code)
    batch = registry_services.run_import(
        registry_services.create_batch(
            write_csv(tmp_path / f"{code}.csv", rows), region, "DTKS", user=user
        )
    )
    source = FundingSource.objects.create(region=region, kind="apbd_kab", name=f"APBD {code}")
    finance_services.allocate(source, 2025, 10_000_000, user)
    plan = planning.plan_coverage(region, source, 2025, user, start_month=datetime.date(2025, 1, 1))
    planning.commit_plan(plan, user)
    submission = enrolment_services.export_submission(region, user)
    Enrolment.objects.filter(source=source).update(status="active", kpj_number="1" * 11)
    finance_services.bill_month(region, datetime.date(2025, 1, 1), user)
    invoice = Invoice.objects.get(source=source)
    finance_services.record_payment(
        invoice, invoice.total, datetime.date(2025, 1, 10), "SP2D", user
    )
    statement = reconciliation.import_statement(
        source,
        datetime.date(2025, 1, 1),
        write_csv(tmp_path / f"bpjs-{code}.csv", [["1" * 11, "1"]], header=["KPJ", "IURAN"]),
        user,
    ).statement
    claimed = Worker.objects.filter(village=village).order_by("-id").first()
    claim, death_list = _paid_claim(claimed, user, checker, tmp_path)
    refresh_regency(code, today=datetime.date(2025, 1, 20))
    bpjs = OrgUnit.objects.create(name=f"BPJS {code}", kind="bpjs", region=region)
    return _reference_objects(region, source, bpjs) | {
        "region": code,
        "worker": Worker.objects.filter(village=village).order_by("id").first(),
        "batch": batch,
        "duplicate": DuplicateCandidate.objects.get(worker__village=village, cross_region=False),
        "transfer": _transfer_out(Worker.objects.filter(village=village).order_by("id").first()),
        "plan": CoveragePlan.objects.get(source=source),
        "invoice": Invoice.objects.get(source=source),
        "submission": Submission.objects.get(pk=submission.pk),
        "claim": claim,
        "document": claim.documents.first(),
        "death_list": death_list,
        "statement": statement,
        "claim_report": ClaimReport.objects.create(
            region=region, file_name="laporan-klaim.csv", sha256=code.ljust(64, "0")
        ),
    }


def _reference_objects(region, source, bpjs_office) -> dict:
    """One row of every kind of reference data, in ``region``."""
    return {
        "source": source,
        "letterhead": Letterhead.objects.create(
            region=region, government="PEMERINTAH", office="DISNAKER", address="Jl.", city="Kota"
        ),
        "signatory": Signatory.objects.create(
            region=region, purpose="invoice", name="Kepala", position="Kepala Dinas"
        ),
        "plkk": Plkk.objects.create(region=region, name="RSUD", kind="hospital", address="Jl."),
        "branch_format": BranchFormat.objects.create(
            office=bpjs_office, columns=[["NIK", "nik"], ["NAMA", "full_name"]]
        ),
        "estimate": WorkforceEstimate.objects.create(
            region=region, year=2025, informal_workers=1000, source="BPS"
        ),
        "occupation": Occupation.objects.order_by("code").first().code,
    }


@pytest.fixture
def world(riau_regions, occupations, tmp_path, make_user, settings):
    settings.MEDIA_ROOT = tmp_path / "media"
    builder = make_user("pembangun", is_superuser=True)
    checker = make_user("pemeriksa", is_superuser=True)
    own = _build_region(BENGKALIS, builder, checker, tmp_path)
    foreign = _build_region(SIAK, builder, checker, tmp_path)
    users = {None: None, "no_role": make_user("tanpa.peran")}
    for role in RoleCode:
        staff = role in ADMIN_ROLES
        users[role] = make_user(
            f"u.{role.value}", role, ROLE_REGION.get(role, BENGKALIS), is_staff=staff
        )
        if staff:
            users[role].groups.add(_regional_admin_group())
    for place in (own, foreign):
        place |= _accounts_objects(
            make_user(f"staf.{place['region']}", RoleCode.OPERATOR, place["region"])
        )
    return own, foreign, users


ADMIN_ROLES = {RoleCode.REGENCY_ADMIN, RoleCode.PROVINCIAL_ADMIN}  # staff in the Django admin


def _accounts_objects(user) -> dict:
    """What the accounts admin routes point at: a user, its role assignment, its office."""
    return {
        "managed_user": user,
        "assignment": user.role_assignments.get(),
        "office": user.org_unit,
    }


def _region_of(obj) -> str:
    if isinstance(obj, str):
        return obj
    if isinstance(obj, User):
        return obj.org_unit.region_id
    if hasattr(obj, "claim"):  # claim documents
        return obj.claim.village_id
    if isinstance(obj, BranchFormat):
        return obj.office.region_id
    for path in ("village_id", "region_id"):
        if hasattr(obj, path):
            return getattr(obj, path)
    return obj.source.region_id  # invoices


def _allowed(user, capability, region_code=None) -> bool:
    if capability == ANY_USER:
        return True
    if capability == SECOND_FACTOR:
        return user.is_staff or bool(
            {RoleCode.FINANCE_OFFICER, RoleCode.REGENCY_ADMIN, RoleCode.PROVINCIAL_ADMIN}
            & {RoleCode(r) for r in user.role_assignments.values_list("role", flat=True)}
        )
    if capability == EXCHANGE:
        enrol = scope_for(user, Capability.MANAGE_ENROLMENT)
        personal = scope_for(user, Capability.VIEW_PERSONAL_DATA)
        kpj = scope_for(user, Capability.RECORD_KPJ)
        if region_code is None:
            return not (enrol.is_empty or personal.is_empty) or not kpj.is_empty
        return (enrol.contains(region_code) and personal.contains(region_code)) or kpj.contains(
            region_code
        )
    scope = scope_for(user, capability)
    return not scope.is_empty if region_code is None else scope.contains(region_code)


def _expected(route: Route, user, obj) -> int:
    if route.kind == "public":
        return route.public_status
    if route.kind == "post" and not route.login_required:
        return 405
    if user is None:
        return 302
    if route.kind == "post":
        return 405
    if route.kind in {"list", "national"}:
        return 200 if _allowed(user, route.capability) else 403
    return 200 if _allowed(user, route.capability, _region_of(obj)) else 404


def _url(name: str, obj, after: tuple = ()) -> str:
    if obj is None:
        return reverse(name)
    if isinstance(obj, str):
        return reverse(name, args=[obj, *after])
    return reverse(name, args=[obj.pk, *after])


def test_access_matrix(world, client):
    from django.core.cache import cache

    from jaring.ops.health import HEARTBEAT_KEY

    cache.delete(HEARTBEAT_KEY)  # a demo worker on this machine shares the cache folder
    own, foreign, users = world
    failures = []
    for role in ROLES:
        user = users[role]
        client.logout()
        if user is not None:
            client.force_login(user)
        for name, route in ROUTES.items():
            places = (
                [(None, None)]
                if not route.object_kind
                else [("own", own[route.object_kind]), ("foreign", foreign[route.object_kind])]
            )
            for where, obj in places:
                status = client.get(_url(name, obj, route.after)).status_code
                expected = _expected(route, user, obj)
                if status != expected:
                    failures.append(f"{role} {name} {where}: {status}, expected {expected}")
    assert failures == [], "\n".join(failures)


def test_post_routes_refuse_foreign_objects(world, client):
    own, foreign, users = world
    client.force_login(users[RoleCode.OPERATOR])
    assert (
        client.post(
            reverse("registry:duplicate_review", args=[foreign["duplicate"].pk]),
            {"verdict": "same"},
        ).status_code
        == 404
    )
    assert (
        client.post(
            reverse("enrolment:submission_reply", args=[foreign["submission"].pk]), {}
        ).status_code
        == 404
    )
    client.force_login(users[RoleCode.REGENCY_ADMIN])
    decide = reverse("registry:transfer_decide", args=[foreign["transfer"].pk])
    assert client.post(decide, {"decision": "accept"}).status_code == 404
    own_transfer = reverse("registry:transfer_decide", args=[own["transfer"].pk])
    client.force_login(users[RoleCode.OPERATOR])  # sees it, but only the admin decides
    assert client.post(own_transfer, {"decision": "accept"}).status_code == 403
    client.force_login(users[RoleCode.FINANCE_OFFICER])
    assert client.post(reverse("finance:plan_commit", args=[foreign["plan"].pk])).status_code == 404
    decide = reverse("finance:reconciliation_decide", args=[foreign["statement"].pk])
    difference = foreign["statement"].differences.first()
    post = {"difference": difference.pk, "action": "ask_branch", "note": "x"}
    assert client.post(decide, post).status_code == 404
    difference.refresh_from_db()
    assert difference.action == ""
    assert client.post(reverse("enrolment:submission_create"), {"region": SIAK}).status_code == 404
    client.force_login(users[RoleCode.AUDITOR])
    assert client.post(reverse("finance:allocate"), {}).status_code == 403


def test_participant_level_exports_need_registry_rights(world, client):
    own, _, users = world
    client.force_login(users[RoleCode.NATIONAL_VIEWER])
    invoice = reverse("finance:invoice", args=[own["invoice"].pk])
    assert client.get(invoice).status_code == 200
    assert client.get(invoice, {"format": "xlsx"}).status_code == 403
    assert client.get(invoice, {"format": "pdf"}).status_code == 200
    plan = client.get(reverse("finance:plan", args=[own["plan"].pk]))
    assert plan.status_code == 200 and "Terpilih:" not in plan.text


# --- The Django admin: accounts' models × {changelist, add, change} × role × own/foreign ----

ADMIN_ROUTES = {
    f"admin:accounts_{model}_{view}": Route(
        "object" if view == "change" else "list", Capability.MANAGE_USERS, kind
    )
    for model, kind in [
        ("user", "managed_user"),
        ("roleassignment", "assignment"),
        ("orgunit", "office"),
    ]
    for view in ("changelist", "add", "change")
}


def test_every_accounts_admin_route_has_an_entry():
    from django.contrib import admin

    models = {m._meta.model_name for m in admin.site._registry if m._meta.app_label == "accounts"}
    assert {name.split("_")[1] for name in ADMIN_ROUTES} == models


def _admin_expected(route: Route, user, obj) -> int:
    if user is None or not user.is_staff:
        return 302  # to the admin's login
    if route.kind == "list":
        return 200 if _allowed(user, route.capability) else 403
    return 200 if _allowed(user, route.capability, _region_of(obj)) else 404


def test_admin_access_matrix(world, client):
    own, foreign, users = world
    failures = []
    for role in ROLES:
        user = users[role]
        client.logout()
        if user is not None:
            client.force_login(user)
        for name, route in ADMIN_ROUTES.items():
            places = [("own", own), ("foreign", foreign)] if route.kind == "object" else [("", {})]
            for where, objects in places:
                obj = objects.get(route.object_kind)
                url = reverse(name, args=[obj.pk]) if obj is not None else reverse(name)
                status = client.get(url).status_code
                expected = _admin_expected(route, user, obj)
                if status != expected:
                    failures.append(f"{role} {name} {where}: {status}, expected {expected}")
    assert failures == [], "\n".join(failures)


# --- The API: every operation (method × path) × role × {own, foreign} --------------------------

OK_WRITE = {200, 201, 202, 204, 409}  # 409: allowed, but a rule refused this body


@dataclass(frozen=True)
class ApiRoute:
    method: str
    capability: Capability | None  # None: any authenticated user
    object_kind: str | None = None
    args: object = None  # objects → URL kwargs
    body: object = None  # objects → JSON body (or multipart dict)
    multipart: bool = False
    visible: Capability = Capability.VIEW_REGISTRY  # without it in the region: 404
    public: int | None = None  # the status anyone gets
    required_first: bool = False  # a role without the capability anywhere gets 403 first


def _nik(world_objects):
    return crypto.decrypt_nik(world_objects["worker"].nik_cipher)


API_ROUTES = {
    "api:api-root": ApiRoute("get", None, public=404),  # nothing at the bare prefix
    "api:openapi-json": ApiRoute("get", None, public=200),
    "api:openapi-view": ApiRoute("get", None, public=200),
    "api:regions": ApiRoute("get", Capability.VIEW_REGIONS),
    "api:region": ApiRoute(
        "get",
        Capability.VIEW_REGIONS,
        "region",
        lambda o: {"code": o["region"]},
        visible=Capability.VIEW_REGIONS,
    ),
    "api:workers": ApiRoute("get", Capability.VIEW_REGISTRY),
    "api:worker": ApiRoute(
        "get", Capability.VIEW_REGISTRY, "worker", lambda o: {"worker_id": o["worker"].pk}
    ),
    "api:worker_create": ApiRoute(
        "post",
        Capability.MANAGE_REGISTRY,
        "region",
        body=lambda o: {
            "nik": o["worker"].village_id.replace(".", "")[:6] + "0101900007",
            "full_name": "Baru",
            "sex": "L",
            "birth_date": "1990-01-01",
            "village": o["worker"].village_id,
        },
        visible=Capability.MANAGE_REGISTRY,
    ),
    "api:worker_update": ApiRoute(
        "patch",
        Capability.MANAGE_REGISTRY,
        "worker",
        lambda o: {"worker_id": o["worker"].pk},
        body=lambda o: {"desil": 3},
    ),
    "api:import_create": ApiRoute(
        "post",
        Capability.MANAGE_REGISTRY,
        "region",
        multipart=True,
        body=lambda o: {
            "region": o["region"],
            "source": "API",
            "file": SimpleUploadedFile("daftar.csv", b"NIK;Nama Lengkap\n"),
        },
        visible=Capability.MANAGE_REGISTRY,
    ),
    "api:import": ApiRoute(
        "get",
        Capability.MANAGE_REGISTRY,
        "batch",
        lambda o: {"batch_id": o["batch"].pk},
        visible=Capability.MANAGE_REGISTRY,
    ),
    "api:import_rejects": ApiRoute(
        "get",
        Capability.MANAGE_REGISTRY,
        "batch",
        lambda o: {"batch_id": o["batch"].pk},
        visible=Capability.MANAGE_REGISTRY,
    ),
    "api:enrolments": ApiRoute("get", Capability.VIEW_REGISTRY),
    "api:enrolment": ApiRoute(
        "get", Capability.VIEW_REGISTRY, "enrolment", lambda o: {"enrolment_id": o["enrolment"].pk}
    ),
    "api:invoices": ApiRoute("get", Capability.VIEW_REPORTS),
    "api:invoice": ApiRoute(
        "get",
        Capability.VIEW_REPORTS,
        "invoice",
        lambda o: {"invoice_id": o["invoice"].pk},
        visible=Capability.VIEW_REPORTS,
    ),
    "api:invoice_payment": ApiRoute(
        "post",
        Capability.MANAGE_FINANCE,
        "invoice",
        lambda o: {"invoice_id": o["invoice"].pk},
        body=lambda o: {"amount": 1, "paid_on": "2025-02-01", "reference": "MATRIX"},
        visible=Capability.VIEW_REPORTS,
    ),
    "api:billing_run": ApiRoute(
        "post",
        Capability.MANAGE_FINANCE,
        "region",
        body=lambda o: {"region": o["region"], "month": "2025-01-01"},
        visible=Capability.MANAGE_FINANCE,
    ),
    "api:claims": ApiRoute("get", Capability.VIEW_REGISTRY),
    "api:claim": ApiRoute(
        "get", Capability.VIEW_REGISTRY, "claim", lambda o: {"claim_id": o["claim"].pk}
    ),
    "api:claim_create": ApiRoute(
        "post",
        Capability.PREPARE_CLAIMS,
        "worker",
        body=lambda o: {
            "worker_id": o["worker"].pk,
            "program": "JKM",
            "event": "death",
            "event_date": "2025-01-20",
            "reported_by": "family",
        },
    ),
    "api:claim_transition": ApiRoute(
        "post",
        Capability.PREPARE_CLAIMS,
        "claim",
        lambda o: {"claim_id": o["claim"].pk},
        body=lambda o: {"action": "recheck"},
    ),
    "api:claim_family": ApiRoute(
        "get", Capability.VIEW_PERSONAL_DATA, "claim", lambda o: {"claim_id": o["claim"].pk}
    ),
    "api:claim_family_add": ApiRoute(
        "post",
        Capability.PREPARE_CLAIMS,
        "claim",
        lambda o: {"claim_id": o["claim"].pk},
        body=lambda o: {"full_name": "Anak", "relationship": "child"},
    ),
    "api:claim_documents": ApiRoute(
        "get", Capability.VIEW_REGISTRY, "claim", lambda o: {"claim_id": o["claim"].pk}
    ),
    "api:claim_document_upload": ApiRoute(
        "post",
        Capability.PREPARE_CLAIMS,
        "claim",
        lambda o: {"claim_id": o["claim"].pk},
        body=lambda o: {"kind": "other", "file": SimpleUploadedFile("a.pdf", b"%PDF-1.4 x")},
        multipart=True,
    ),
    "api:claim_bpjs_receipt": ApiRoute(
        "post",
        Capability.RECORD_BPJS_CLAIMS,
        "claim",
        lambda o: {"claim_id": o["claim"].pk},
        body=lambda o: {"received_on": "2025-01-20", "bpjs_claim_number": "MATRIX"},
    ),
    "api:claim_bpjs_decision": ApiRoute(
        "post",
        Capability.RECORD_BPJS_CLAIMS,
        "claim",
        lambda o: {"claim_id": o["claim"].pk},
        body=lambda o: {
            "outcome": "refused",
            "decided_on": "2025-01-21",
            "reason": "Tidak memenuhi syarat",
        },
    ),
    "api:claim_bpjs_payment": ApiRoute(
        "post",
        Capability.RECORD_BPJS_CLAIMS,
        "claim",
        lambda o: {"claim_id": o["claim"].pk},
        body=lambda o: {
            "paid_on": "2025-01-22",
            "amount": 1,
            "reference": "MATRIX",
            "bank": "BRK",
            "account_number": "12345678",
            "account_holder": "Ahli waris",
        },
    ),
    "api:worker_search": ApiRoute(
        "post", Capability.VIEW_REGISTRY, body=lambda o: {"nik": _nik(o)}, required_first=True
    ),
    "api:coverage": ApiRoute(
        "post",
        Capability.VIEW_REGISTRY,
        "worker",
        body=lambda o: {"nik": _nik(o)},
        required_first=True,
    ),
    "api:report_summary": ApiRoute("get", Capability.VIEW_REPORTS),
    "api:rules_evaluate": ApiRoute(
        "post",
        None,
        body=lambda o: {"kind": "contribution", "month": "2025-01", "declared_income": 1_000_000},
    ),
    "api:tokens": ApiRoute("get", None),
    "api:token_create": ApiRoute("post", None, body=lambda o: {"name": "matrix"}),
    "api:token_revoke": ApiRoute("delete", None, "token", lambda o: {"token_pk": o["token"].pk}),
}


def test_every_api_operation_has_an_entry():
    from jaring.api.api import api

    names = {
        f"api:{operation.url_name}"
        for router_path, router in api._routers
        for path_view in router.path_operations.values()
        for operation in path_view.operations
    }
    assert names | {"api:api-root", "api:openapi-json", "api:openapi-view"} == set(API_ROUTES)


def _api_expected(route: ApiRoute, user, objects) -> set[int]:
    if route.public:
        return {route.public}
    if user is None:
        return {401}
    ok = {200} if route.method == "get" else OK_WRITE
    if route.object_kind == "token":
        return {404}  # a token is its owner's alone
    if route.required_first and scope_for(user, route.capability).is_empty:
        return {403}
    region = _region_of(objects[route.object_kind]) if route.object_kind else None
    if region is not None and not _allowed(user, route.visible, region):
        return {404, 403} if route.visible != Capability.VIEW_REGISTRY else {404}
    if route.capability is None:
        return ok
    return ok if _allowed(user, route.capability, region) else {403}


def _call(client, route: ApiRoute, name: str, objects):
    url = reverse(name, kwargs=route.args(objects) if route.args else None)
    if route.method == "get":
        return client.get(url)
    body = route.body(objects) if route.body else {}
    if route.multipart:
        return client.post(url, body)
    return getattr(client, route.method)(url, json.dumps(body), content_type="application/json")


def test_api_access_matrix(world, client):
    own, foreign, users = world
    owner = User.objects.create_user("pemilik.token")
    token = api_services.issue_token(owner, "owner")[0]
    for place in (own, foreign):
        place["token"] = token
        place["enrolment"] = Enrolment.objects.filter(worker__regency_code=place["region"]).first()
    failures = []
    for role in ROLES:
        user = users[role]
        client.logout()
        if user is not None:
            client.force_login(user)
        for name, route in API_ROUTES.items():
            places = [("own", own), ("foreign", foreign)] if route.object_kind else [("", own)]
            for where, objects in places:
                # The matrix asks who may, not how often: each call starts with no throttle
                # history (more operations than JARING_API_RATE allows a user per second).
                cache.clear()
                status = _call(client, route, name, objects).status_code
                expected = _api_expected(route, user, objects)
                if status not in expected:
                    failures.append(f"{role} {name} {where}: {status}, expected {expected}")
    assert failures == [], "\n".join(failures)
