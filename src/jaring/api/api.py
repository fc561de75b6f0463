"""/api/v1/: a thin HTTP layer over the same selectors and services the screens use.

Every operation needs a user (a session or a bearer token) and passes through the scoping
layer: a foreign object is a 404, a missing capability a 403. Reads that show names or full
personal data are written to the personal-data access log like the screens do.
"""

import datetime
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from django.shortcuts import get_object_or_404
from ninja import File, Form, NinjaAPI, Query, Router, Schema, Status
from ninja.files import UploadedFile
from ninja.pagination import PageNumberPagination, paginate
from ninja.security import HttpBearer, SessionAuth
from ninja.throttling import AuthRateThrottle
from pydantic import Field

from jaring.accounts.rules import Capability
from jaring.accounts.scoping import require, scoped
from jaring.accounts.services import log_personal_access
from jaring.api import coverage as coverage_operation
from jaring.api import errors, schemas, selectors, services
from jaring.api.models import ApiToken
from jaring.claims import selectors as claim_selectors
from jaring.claims import services as claim_services
from jaring.claims.models import ClaimDocument
from jaring.core.middleware import mark_personal
from jaring.core.sealed import sealed_response
from jaring.core.spreadsheets import XLSX_CONTENT_TYPE
from jaring.enrolment import selectors as enrolment_selectors
from jaring.finance import selectors as finance_selectors
from jaring.finance import services as finance_services
from jaring.programs.evaluator import evaluate_many
from jaring.regions.models import Level, Region
from jaring.registry import selectors as registry_selectors
from jaring.registry import services as registry_services
from jaring.registry.models import Occupation, Worker


class TokenAuth(HttpBearer):
    def authenticate(self, request, token):
        user = services.user_for_token_cached(token)
        if user is not None:
            request.user = user
        return user


def _throttles():
    rate = settings.JARING_API_RATE
    return [AuthRateThrottle(rate)] if rate else []


api = NinjaAPI(
    title="Jaring API",
    version="1",
    description=(
        "Coverage, registry, money and claims of Jaring. Authenticate with a session (browser) "
        "or `Authorization: Bearer <token>` (machine clients; tokens from POST /tokens). "
        "Errors are `{code, message, details}`; `message` follows `Accept-Language` (id, en)."
    ),
    urls_namespace="api",
    auth=[TokenAuth(), SessionAuth()],
    throttle=_throttles(),
)
errors.install(api)
ERRORS = {
    400: schemas.ErrorOut,
    409: schemas.ErrorOut,
    401: schemas.ErrorOut,
    403: schemas.ErrorOut,
    404: schemas.ErrorOut,
    422: schemas.ErrorOut,
    429: schemas.ErrorOut,
}


class Page(PageNumberPagination):
    """Pages of 50 (at most 500 on request); page numbers bounded so offsets stay sane."""

    class Input(Schema):
        page: int = Field(1, ge=1, le=1_000_000)
        page_size: int | None = Field(None, ge=1, le=500)

    def __init__(self, **kwargs):
        super().__init__(page_size=50, max_page_size=500, **kwargs)


def _log(request, action, object_type, object_id="", region="", detail=None):
    log_personal_access(
        request.user, action, object_type, object_id, region, request=request, detail=detail
    )


# --- Regions -----------------------------------------------------------------------------------

regions = Router(tags=["regions"])


@regions.get("/", response={200: list[schemas.RegionOut], **ERRORS}, url_name="regions")
@paginate(Page)
def region_list(request, parent: str | None = None, level: int | None = Query(None, ge=1, le=4)):
    require(request.user, Capability.VIEW_REGIONS)
    rows = scoped(Region.objects.all(), request.user, Capability.VIEW_REGIONS)
    if parent:
        rows = rows.filter(parent_id=parent)
    if level:
        rows = rows.filter(level=level)
    return rows.order_by("code")


@regions.get("/{code}", response={200: schemas.RegionOut, **ERRORS}, url_name="region")
def region_detail(request, code: str):
    rows = scoped(Region.objects.all(), request.user, Capability.VIEW_REGIONS)
    return get_object_or_404(rows, code=code)


# --- Workers -----------------------------------------------------------------------------------

workers = Router(tags=["workers"])


class WorkerPage(Page):
    """Pages of workers; the rows shown are logged like the screen's list (registry.selectors)."""

    def paginate_queryset(self, queryset, pagination, request, **params):
        page = super().paginate_queryset(queryset, pagination, request, **params)
        page["items"] = list(page["items"])
        query = params.get("q") or getattr(params.get("body"), "nik", "")
        registry_selectors.log_worker_list(request.user, page["items"], query, request)
        return page


@workers.get("/", response={200: list[schemas.WorkerOut], **ERRORS}, url_name="workers")
@paginate(WorkerPage)
def worker_list(
    request,
    district: str = "",
    village: str = "",
    status: str = "",
    q: str = Query("", description="part of a name (a NIK: POST /workers/search)"),
):
    require(request.user, Capability.VIEW_REGISTRY)
    if registry_selectors.is_full_nik(q):
        raise DjangoValidationError(errors.MESSAGES["nik_in_url"], code="nik_in_url")
    filters = registry_selectors.WorkerFilters(
        district=district, village=village, status=status, query=q
    )
    return registry_selectors.filter_workers(request.user, filters)


@workers.post(
    "/search", response={200: list[schemas.WorkerOut], **ERRORS}, url_name="worker_search"
)
@paginate(WorkerPage)
def worker_search(request, body: schemas.WorkerSearchIn):
    """Workers by full NIK (blind index), the NIK in the body: URLs end up in access logs."""
    require(request.user, Capability.VIEW_REGISTRY)
    if not registry_selectors.is_full_nik(body.nik):
        return Worker.objects.none()
    filters = registry_selectors.WorkerFilters(query=body.nik)
    return registry_selectors.filter_workers(request.user, filters)


@workers.get("/{worker_id}", response={200: schemas.WorkerOut, **ERRORS}, url_name="worker")
def worker_detail(request, worker_id: int):
    return registry_selectors.worker_with_personal_data(request.user, worker_id, request)[0]


@workers.post("/", response={201: schemas.WorkerOut, **ERRORS}, url_name="worker_create")
def worker_create(request, payload: schemas.WorkerIn):
    village = Region.objects.filter(code=payload.village, level=Level.VILLAGE).first()
    if village is None:
        raise Http404(payload.village)
    worker = registry_services.register_worker(
        registry_services.WorkerInput(
            nik=payload.nik,
            full_name=payload.full_name,
            sex=payload.sex,
            birth_date=payload.birth_date,
            village_code=village.code,
            occupation=payload.occupation,
            declared_income=payload.declared_income,
            desil=payload.desil,
            phone=payload.phone,
            address=payload.address,
            source=payload.source or "API",
        ),
        village,
        request.user,
    )
    return Status(201, worker)


@workers.patch(
    "/{worker_id}", response={200: schemas.WorkerOut, **ERRORS}, url_name="worker_update"
)
def worker_update(request, worker_id: int, payload: schemas.WorkerPatch):
    worker = registry_selectors.worker_for(request.user, worker_id)
    changes = payload.dict(exclude_unset=True, exclude={"reason"})
    if "occupation" in changes:
        changes["occupation_id"] = get_object_or_404(Occupation, code=changes.pop("occupation")).pk
    if "village" in changes:
        village = changes.pop("village")
        changes["village_id"] = get_object_or_404(Region, code=village, level=Level.VILLAGE).pk
    return registry_services.update_worker(worker, changes, request.user, payload.reason)


# --- Imports -----------------------------------------------------------------------------------

imports = Router(tags=["imports"])


def _batch(batch) -> dict:
    fields = (
        "id",
        "file_name",
        "status",
        "dry_run",
        "rows",
        "accepted",
        "updated",
        "unchanged",
        "duplicates",
        "rejected",
        "registered_elsewhere",
        "warnings",
        "error",
        "created_at",
    )
    return {"region": batch.region_id, **{f: getattr(batch, f) for f in fields}}


class ImportForm(Schema):
    region: str = Field(min_length=2, max_length=13, description="kabupaten/kota or kecamatan")
    source: str = Field("", max_length=50)
    dry_run: bool = False


@imports.post("/", response={202: schemas.ImportOut, **ERRORS}, url_name="import_create")
def import_create(request, file: File[UploadedFile], form: Form[ImportForm]):
    target = Region.objects.filter(
        code=form.region, level__in=[Level.REGENCY, Level.DISTRICT]
    ).first()
    if target is None:
        raise Http404(form.region)
    batch = registry_services.receive_upload(file, target, form.source, request.user, form.dry_run)
    return Status(202, _batch(batch))


@imports.get("/{batch_id}", response={200: schemas.ImportOut, **ERRORS}, url_name="import")
def import_detail(request, batch_id: int):
    return _batch(registry_selectors.batch_for(request.user, batch_id))


@imports.get("/{batch_id}/rejects", response={200: None, **ERRORS}, url_name="import_rejects")
def import_rejects(request, batch_id: int):
    batch, path = registry_selectors.rejects_file_for(request.user, batch_id, request)
    return sealed_response(path, f"ditolak-{batch.pk}.xlsx", XLSX_CONTENT_TYPE)


# --- Enrolments, invoices, payments, billing ----------------------------------------------------

money = Router(tags=["enrolment and money"])


@money.get(
    "/enrolments", response={200: list[schemas.EnrolmentOut], **ERRORS}, url_name="enrolments"
)
@paginate(Page)
def enrolment_list(request, status: str = "", worker_id: int | None = None):
    require(request.user, Capability.VIEW_REGISTRY)
    rows = enrolment_selectors.enrolments_for(request.user).order_by("pk")
    if status:
        rows = rows.filter(status=status)
    if worker_id:
        rows = rows.filter(worker_id=worker_id)
    return rows


@money.get(
    "/enrolments/{enrolment_id}",
    response={200: schemas.EnrolmentOut, **ERRORS},
    url_name="enrolment",
)
def enrolment_detail(request, enrolment_id: int):
    return get_object_or_404(enrolment_selectors.enrolments_for(request.user), pk=enrolment_id)


@money.get("/invoices", response={200: list[schemas.InvoiceOut], **ERRORS}, url_name="invoices")
@paginate(Page)
def invoice_list(request, month: datetime.date | None = None):
    require(request.user, Capability.VIEW_REPORTS)
    rows = finance_selectors.invoices_for(request.user).with_paid().order_by("month", "pk")
    if month:
        rows = rows.filter(month=month.replace(day=1))
    return rows


@money.get(
    "/invoices/{invoice_id}", response={200: schemas.InvoiceOut, **ERRORS}, url_name="invoice"
)
def invoice_detail(request, invoice_id: int):
    return get_object_or_404(
        finance_selectors.invoices_for(request.user).with_paid(), pk=invoice_id
    )


@money.post(
    "/invoices/{invoice_id}/payments",
    response={201: schemas.PaymentOut, **ERRORS},
    url_name="invoice_payment",
)
def invoice_payment(request, invoice_id: int, payload: schemas.PaymentIn):
    invoice = finance_selectors.invoice_for(request.user, invoice_id)
    payment = finance_services.record_payment(
        invoice, payload.amount, payload.paid_on, payload.reference, request.user, payload.note
    )
    return Status(
        201,
        {
            "id": payment.pk,
            "invoice_id": invoice.pk,
            "amount": payment.amount,
            "paid_on": payment.paid_on,
            "reference": payment.reference,
        },
    )


@money.post(
    "/billing-runs", response={201: schemas.BillingRunOut, **ERRORS}, url_name="billing_run"
)
def billing_run(request, payload: schemas.BillingRunIn):
    region = get_object_or_404(Region, code=payload.region, level=Level.REGENCY)
    result = finance_services.bill_month(region, payload.month, request.user, payload.source)
    return Status(201, result.summary())


# --- Claims ------------------------------------------------------------------------------------

claims = Router(tags=["claims"])


@claims.get("/", response={200: list[schemas.ClaimOut], **ERRORS}, url_name="claims")
@paginate(Page)
def claim_list(request, status: str = "", overdue: bool = False):
    require(request.user, Capability.VIEW_REGISTRY)
    rows = claim_selectors.claims_for(request.user)
    if status:
        rows = rows.filter(status=status)
    if overdue:
        rows = claim_selectors.overdue(rows)
    return rows


@claims.get("/{claim_id}", response={200: schemas.ClaimOut, **ERRORS}, url_name="claim")
def claim_detail(request, claim_id: int):
    return claim_selectors.claim_for(request.user, claim_id)


@claims.post("/", response={201: schemas.ClaimOut, **ERRORS}, url_name="claim_create")
def claim_create(request, payload: schemas.ClaimIn):
    worker = registry_selectors.worker_for(request.user, payload.worker_id)
    data = payload.dict(exclude={"worker_id"})
    data["disability_percent"] = Decimal(str(data["disability_percent"]))
    return Status(
        201, claim_services.report_event(worker, claim_services.EventReport(**data), request.user)
    )


@claims.post(
    "/{claim_id}/transitions",
    response={200: schemas.ClaimOut, **ERRORS},
    url_name="claim_transition",
)
def claim_transition(request, claim_id: int, payload: schemas.TransitionIn):
    claim = claim_selectors.claim_for(request.user, claim_id)
    claim_services.decide(claim, request.user, payload.action, payload.note)
    return claim_selectors.claim_for(request.user, claim_id)


@claims.get(
    "/{claim_id}/family",
    response={200: list[schemas.FamilyMemberOut], **ERRORS},
    url_name="claim_family",
)
def claim_family(request, claim_id: int):
    claim = claim_selectors.claim_for(request.user, claim_id)
    return [_member(m) for m in claim_selectors.family_of(request.user, claim, request)]


@claims.post(
    "/{claim_id}/family",
    response={201: schemas.FamilyMemberOut, **ERRORS},
    url_name="claim_family_add",
)
def claim_family_add(request, claim_id: int, payload: schemas.FamilyMemberIn):
    claim = claim_selectors.claim_for(request.user, claim_id)
    data = payload.dict()
    member = claim_services.add_family_member(claim, request.user, nik=data.pop("nik"), **data)
    member.refresh_from_db()
    return Status(201, _member(member))


def _member(member) -> dict:
    return {
        "id": member.pk,
        "full_name": member.full_name,
        "relationship": member.relationship,
        "nik": member.masked_nik,
        "alive": member.alive,
        "is_heir": member.is_heir,
    }


@claims.get(
    "/{claim_id}/documents",
    response={200: list[schemas.DocumentOut], **ERRORS},
    url_name="claim_documents",
)
def claim_documents(request, claim_id: int):
    claim = claim_selectors.claim_for(request.user, claim_id)
    return [_document(d) for d in claim.documents.all()]


@claims.post(
    "/{claim_id}/documents",
    response={201: schemas.DocumentOut, **ERRORS},
    url_name="claim_document_upload",
)
def claim_document_upload(
    request, claim_id: int, form: Form[schemas.DocumentForm], file: File[UploadedFile]
):
    claim = claim_selectors.claim_for(request.user, claim_id)
    document = claim_services.upload_document(claim, form.kind, file, request.user)
    return Status(201, _document(document))


def _document(document: ClaimDocument) -> dict:
    return {
        "id": document.pk,
        "kind": document.kind,
        "original_name": document.original_name,
        "content_type": document.content_type,
        "size": document.size,
        "verified": document.verified_at is not None,
        "kinds": document.kinds,
    }


# --- Claims: BPJS's side (the BPJS officer; the same services as the screen) --------------------


@claims.post(
    "/{claim_id}/bpjs/receipt",
    response={200: schemas.ClaimOut, **ERRORS},
    url_name="claim_bpjs_receipt",
)
def claim_bpjs_receipt(request, claim_id: int, payload: schemas.BpjsReceiptIn):
    """BPJS received the complete file (its service level starts) under its claim number."""
    claim = claim_selectors.claim_for(request.user, claim_id)
    claim_services.record_receipt(
        claim, request.user, payload.received_on, payload.bpjs_claim_number
    )
    return claim_selectors.claim_for(request.user, claim_id)


@claims.post(
    "/{claim_id}/bpjs/decision",
    response={200: schemas.ClaimOut, **ERRORS},
    url_name="claim_bpjs_decision",
)
def claim_bpjs_decision(request, claim_id: int, payload: schemas.BpjsDecisionIn):
    """BPJS's decision: approved with its amounts per component, refused with its reason, or
    more documents needed (the file goes back to the Pemda)."""
    claim = claim_selectors.claim_for(request.user, claim_id)
    decision = claim_services.BpjsDecision(
        payload.outcome, payload.decided_on, payload.reason, dict(payload.amounts)
    )
    claim_services.record_decision(claim, request.user, decision)
    return claim_selectors.claim_for(request.user, claim_id)


@claims.post(
    "/{claim_id}/bpjs/payments",
    response={201: schemas.BpjsPaymentOut, **ERRORS},
    url_name="claim_bpjs_payment",
)
def claim_bpjs_payment(request, claim_id: int, payload: schemas.BpjsPaymentIn):
    """BPJS's payment to the heir's (or the participant's) account: date, reference, amount."""
    claim = claim_selectors.claim_for(request.user, claim_id)
    instalments = claim.instalments.order_by("kind", "sequence")
    if payload.instalment_id is None:
        instalment = instalments.filter(kind="cash").first()
        if instalment is None:
            raise DjangoValidationError(claim_services.NOT_APPROVED, code="claim_not_approved")
    else:
        instalment = get_object_or_404(instalments, pk=payload.instalment_id)
    recipient = None
    if payload.recipient_id is not None:
        recipient = get_object_or_404(claim.family.all(), pk=payload.recipient_id)
    payment = claim_services.record_benefit_payment(
        instalment,
        recipient,
        claim_services.BankTransfer(
            payload.amount,
            payload.paid_on,
            payload.bank,
            payload.account_number,
            payload.account_holder,
            payload.reference,
        ),
        request.user,
    )
    claim.refresh_from_db()
    return Status(
        201,
        {
            "id": payment.pk,
            "claim_id": claim.pk,
            "instalment_id": instalment.pk,
            "amount": payment.amount,
            "paid_on": payment.paid_on,
            "reference": payment.reference,
            "account": payment.masked_account,
            "claim_status": claim.status,
        },
    )


# --- Coverage, reports, rules --------------------------------------------------------------------

lookups = Router(tags=["coverage, reports and rules"])


@lookups.post("/coverage", response={200: schemas.CoverageOut, **ERRORS}, url_name="coverage")
def coverage(request, body: schemas.CoverageIn):
    """Is this NIK protected today, by which programmes, until when (the most-called call).
    The NIK travels in the body, never in the URL: URLs end up in access logs and histories.
    Every look-up of a well-formed NIK leaves an access-log row (found or not). A bearer
    token's look-up is usually answered in front of Django (``api.coverage.CoverageFront``)."""
    mark_personal(request)
    return coverage_operation.answer(request.user, body.nik, request.META.get("REMOTE_ADDR"))


@lookups.get(
    "/reports/summary", response={200: schemas.SummaryOut, **ERRORS}, url_name="report_summary"
)
def report_summary(request):
    require(request.user, Capability.VIEW_REPORTS)
    return selectors.report_summary(request.user)


@lookups.post("/rules/evaluate", response={200: Any, **ERRORS}, url_name="rules_evaluate")
def rules_evaluate(request, payload: dict | list[dict]):
    """Contributions, benefits and heirs for one case or a list (see docs/RULES.md)."""
    return evaluate_many(payload)


# --- Tokens ------------------------------------------------------------------------------------

tokens = Router(tags=["tokens"])


def _token(row: ApiToken) -> dict:
    return {
        "id": row.pk,
        "name": row.name,
        "token_id": row.token_id,
        "created_at": row.created_at,
        "expires_at": row.expires_at,
        "last_used_at": row.last_used_at,
        "revoked": row.revoked_at is not None,
    }


@tokens.get("/", response={200: list[schemas.TokenOut], **ERRORS}, url_name="tokens")
def token_list(request):
    return [_token(row) for row in request.user.api_tokens.all()]


@tokens.post(
    "/", response={201: schemas.NewTokenOut, **ERRORS}, auth=SessionAuth(), url_name="token_create"
)
def token_create(request, payload: schemas.TokenIn):
    """A new token for a machine client. Only a logged-in session may create one."""
    row, token = services.issue_token(request.user, payload.name, payload.days)
    return Status(201, {**_token(row), "token": token})


@tokens.delete("/{token_pk}", response={204: None, **ERRORS}, url_name="token_revoke")
def token_revoke(request, token_pk: int):
    services.revoke_token(get_object_or_404(ApiToken, pk=token_pk, user=request.user))
    return Status(204, None)


api.add_router("/regions", regions)
api.add_router("/workers", workers)
api.add_router("/imports", imports)
api.add_router("/", money)
api.add_router("/claims", claims)
api.add_router("/", lookups)
api.add_router("/tokens", tokens)
