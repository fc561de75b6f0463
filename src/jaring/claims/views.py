from pathlib import Path

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from jaring.accounts.models import PersonalDataAccess
from jaring.accounts.rules import Capability
from jaring.accounts.scoping import require, scope_for
from jaring.accounts.services import log_personal_access
from jaring.claims import exports, selectors, services, views_jkk
from jaring.claims.forms import (
    BpjsDecisionForm,
    ClaimReportForm,
    DeathListForm,
    DecisionForm,
    DocumentForm,
    FamilyMemberForm,
    HandoverForm,
    HeirOverrideForm,
    PaymentForm,
    ReceiptForm,
    ReportForm,
    ScholarshipApplicationForm,
    ScholarshipPaymentForm,
    SendingForm,
)
from jaring.claims.labels import COMPONENT_LABELS, DOCUMENT_LABELS, FAMILY_STAGE_LABELS
from jaring.claims.models import SENT_STATUSES, ClaimStatus
from jaring.claims.web import apply_form, fail
from jaring.core.masking import mask_name
from jaring.core.sealed import sealed_response
from jaring.core.spreadsheets import FileRefused
from jaring.core.uploads import upload_on_disk
from jaring.reference.selectors import plkk_near
from jaring.regions.models import Level, Region
from jaring.registry import selectors as registry_selectors


@login_required
def claim_list(request):
    require(request.user, Capability.VIEW_REGISTRY)
    claims = selectors.claims_for(request.user)
    status = request.GET.get("status", "")
    if status in ClaimStatus.values:
        claims = claims.filter(status=status)
    overdue_only = request.GET.get("terlambat") == "1"
    if overdue_only:
        claims = selectors.overdue(claims)
    differences_only = request.GET.get("selisih") == "1"
    if differences_only:
        claims = selectors.amount_differences(claims)
    page = Paginator(claims, 50).get_page(request.GET.get("page"))
    personal = not scope_for(request.user, Capability.VIEW_PERSONAL_DATA).is_empty
    rows = [
        {
            "claim": claim,
            "sla": sla,
            "name": claim.worker.full_name
            if selectors.may_see_personal_data(request.user, claim)
            else mask_name(claim.worker.full_name),
        }
        for claim, sla in selectors.with_service_levels(page.object_list)
    ]
    if personal and rows:
        log_personal_access(
            request.user,
            PersonalDataAccess.Action.VIEW_LIST,
            "claim_list",
            request=request,
            detail={"claims": [row["claim"].pk for row in rows]},
        )
    counts = selectors.status_counts(request.user)
    return render(
        request,
        "claims/claim_list.html",
        {
            "rows": rows,
            "page": page,
            "status": status,
            "statuses": [
                (value, label, counts.get(value, 0)) for value, label in ClaimStatus.choices
            ],
            "counts": counts,
            "discovery": selectors.discovery_counts(request.user),
            "paid_total": selectors.paid_total(request.user),
            "can_prepare": not scope_for(request.user, Capability.PREPARE_CLAIMS).is_empty,
            "can_record_bpjs": not scope_for(request.user, Capability.RECORD_BPJS_CLAIMS).is_empty,
            "overdue_only": overdue_only,
            "differences_only": differences_only,
        },
    )


@login_required
def report(request):
    require(request.user, Capability.PREPARE_CLAIMS)
    form = ReportForm(request.POST or None, initial={"event_date": timezone.localdate()})
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        worker = _worker_to_report(request, data)
        if worker is not None:
            try:
                claim = services.report_event(
                    worker,
                    services.EventReport(
                        program=data["program"],
                        event=data["event"],
                        event_date=data["event_date"],
                        reported_by=data["reported_by"],
                        place=data["place"],
                        cause=data["cause"],
                        traffic_accident=data["traffic_accident"],
                        disability_percent=data["disability_percent"] or 0,
                        incapacity_days=data["incapacity_days"] or 0,
                        reporter_name=data["reporter_name"],
                        reporter_phone=data["reporter_phone"],
                        notes=data["notes"],
                    ),
                    request.user,
                )
            except ValidationError as exc:
                fail(request, exc)
            else:
                messages.success(request, _("Claim %(number)s opened.") % {"number": claim.number})
                return redirect("claims:detail", claim.pk)
    return render(request, "claims/report.html", {"form": form})


def _worker_to_report(request, data):
    """The worker named by NIK (blind index) within the user's claims scope, or an error."""
    scope = scope_for(request.user, Capability.PREPARE_CLAIMS)
    workers = registry_selectors.workers_for(request.user)
    if data.get("worker_id"):
        worker = workers.filter(pk=data["worker_id"]).first()
    else:
        worker = registry_selectors.filter_workers(
            request.user, registry_selectors.WorkerFilters(query=data["nik"])
        ).first()
        log_personal_access(
            request.user,
            PersonalDataAccess.Action.SEARCH_NIK,
            "worker",
            worker.pk if worker else "",
            worker.village_id if worker else "",
            request=request,
        )
    if worker is None or not scope.contains(worker.village_id):
        messages.error(request, _("No worker with that NIK in your region."))
        return None
    return worker


@login_required
def claim_detail(request, pk: int):
    return _detail_page(request, selectors.claim_for(request.user, pk))


def _detail_page(request, claim, family_form=None, status: int = 200):
    """The claim's page: its facts, and only the actions this user may take now."""
    personal = selectors.may_see_personal_data(request.user, claim)
    if personal:
        log_personal_access(
            request.user,
            PersonalDataAccess.Action.VIEW_RECORD,
            "claim",
            claim.pk,
            claim.village_id,
            request=request,
        )
    can_prepare = selectors.may_prepare(request.user, claim)
    can_approve = selectors.may_approve(request.user, claim)
    can_bpjs = selectors.may_record_bpjs(request.user, claim)
    handover = getattr(claim, "handover", None)
    stage = claim.family_stage
    context = {
        "claim": claim,
        "personal": personal,
        "worker_name": claim.worker.full_name if personal else mask_name(claim.worker.full_name),
        "can_prepare": can_prepare,
        "can_approve": selectors.may_approve_now(request.user, claim),
        "next_step": selectors.next_step(claim),
        "family_stage": FAMILY_STAGE_LABELS[stage] if stage else "",
        "sla": selectors.service_level_of(claim),
        "family": list(claim.family.all()) if personal else [],
        "checklist": [(DOCUMENT_LABELS[i.kind], i) for i in selectors.checklist(claim)],
        "can_verify": personal and claim.is_editable and (can_prepare or can_approve or can_bpjs),
        "components": [
            {"label": COMPONENT_LABELS[c["code"]], "amount": c["amount"]} for c in claim.components
        ],
        "bpjs_components": [
            {"label": COMPONENT_LABELS[c["code"]], "amount": c["amount"]}
            for c in claim.bpjs_components
        ],
        "problems": services.submission_problems(claim) if claim.is_editable else [],
        "cover_letter": personal and claim.status in {ClaimStatus.CHECKED, *SENT_STATUSES},
        "instalments": list(claim.instalments.select_related("child")),
        "payments": selectors.payments_of(claim),
        "history": selectors.history_of(claim),
        "handover": handover,
        # Where a work-accident patient is treated without charge (JKK claims only).
        "plkk": plkk_near(claim.village_id) if claim.program == "JKK" else [],
    }
    today = timezone.localdate()
    if claim.program == "JKK":
        context["jkk"] = views_jkk.section(request.user, claim, today)
    if can_prepare and claim.is_editable:
        context |= {
            "family_form": family_form or FamilyMemberForm(),
            "override_form": HeirOverrideForm(claim=claim),
            "document_form": DocumentForm(),
        }
    if (can_prepare or can_approve) and claim.status == ClaimStatus.CHECKED:
        context["sending_form"] = SendingForm(initial={"sent_on": today})
    if can_bpjs and claim.status == ClaimStatus.SENT:
        context["receipt_form"] = ReceiptForm(initial={"received_on": today})
    if can_bpjs and claim.status in {ClaimStatus.SENT, ClaimStatus.AT_BPJS}:
        context["bpjs_decision_form"] = BpjsDecisionForm(claim=claim, initial={"decided_on": today})
    if can_bpjs and claim.status == ClaimStatus.APPROVED:
        context["payment_form"] = PaymentForm(claim=claim, initial={"paid_on": today})
    if can_prepare and claim.status == ClaimStatus.PAID and not (handover and handover.is_signed):
        initial = {"held_on": today}
        if handover:
            initial = {
                name: getattr(handover, name)
                for name in HandoverForm.base_fields
                if name not in {"photo", "recipient"}
            } | {"recipient": handover.recipient_id}
        context["handover_form"] = HandoverForm(claim=claim, initial=initial)
    context |= _scholarship_context(claim, personal and (can_prepare or can_bpjs), today)
    return render(request, "claims/claim_detail.html", context, status=status)


def _scholarship_context(claim, may_record: bool, today) -> dict:
    """The scholarship panel (claims/_scholarship.html) and, once BPJS paid the claim, the forms
    for a school year's application and BPJS's payment of it."""
    panel = selectors.scholarship_panel(claim)
    context = {"scholarship": panel}
    if may_record and claim.status == ClaimStatus.PAID and panel["children"]:
        ids = [child["entry"]["member_id"] for child in panel["children"]]
        context["scholarship_form"] = ScholarshipApplicationForm(
            children=claim.family.filter(pk__in=ids), initial={"applied_on": today}
        )
        if panel["unpaid"]:
            context["scholarship_payment_form"] = ScholarshipPaymentForm(
                years=claim.scholarship_years.filter(paid_on__isnull=True).select_related("child"),
                initial={"paid_on": today},
            )
    return context


@login_required
@require_POST
def scholarship_application(request, pk: int):
    claim = selectors.claim_for(request.user, pk)
    children = claim.family.all()
    return apply_form(
        request,
        claim,
        ScholarshipApplicationForm(request.POST, request.FILES, children=children),
        lambda data: services.record_scholarship_application(
            claim,
            data["child"],
            services.YearApplicationInput(
                data["school_year"],
                data["level"],
                data["school_class"],
                data["applied_on"],
                data["final_year"],
            ),
            data["certificate"],
            request.user,
        ),
        _("Check the scholarship application."),
        _("The school year's application was recorded."),
    )


@login_required
@require_POST
def scholarship_payment(request, pk: int):
    claim = selectors.claim_for(request.user, pk)
    return apply_form(
        request,
        claim,
        ScholarshipPaymentForm(request.POST, years=claim.scholarship_years.all()),
        lambda data: services.record_scholarship_payment(
            data["year"], data["amount"], data["paid_on"], data["reference"], request.user
        ),
        _("Check the scholarship payment."),
        _("BPJS's scholarship payment was recorded."),
    )


@login_required
@require_POST
def family_add(request, pk: int):
    """A refused family form comes back with what was typed and the errors by its fields."""
    claim = selectors.claim_for(request.user, pk)
    form = FamilyMemberForm(request.POST)
    if form.is_valid():
        data = dict(form.cleaned_data)
        try:
            services.add_family_member(claim, request.user, nik=data.pop("nik"), **data)
        except ValidationError as exc:
            form.add_error(_family_error_field(getattr(exc, "code", "") or ""), exc)
        else:
            messages.success(request, _("Family member added."))
            return redirect("claims:detail", claim.pk)
    messages.error(request, _("Check the family member's details."))
    return _detail_page(request, claim, family_form=form, status=400)


def _family_error_field(code: str) -> str | None:
    """Which field of the family form a service refusal belongs to (by its code)."""
    if code.startswith("nik_"):
        return "nik"
    return {"child_birth_date_missing": "birth_date"}.get(code)


@login_required
@require_POST
def heirs_override(request, pk: int):
    claim = selectors.claim_for(request.user, pk)
    return apply_form(
        request,
        claim,
        HeirOverrideForm(request.POST, claim=claim),
        lambda data: services.override_heirs(
            claim, request.user, [m.pk for m in data["heirs"]], data["reason"]
        ),
        _("Choose the heirs and write a justification (20+ characters)."),
    )


@login_required
@require_POST
def document_upload(request, pk: int):
    claim = selectors.claim_for(request.user, pk)
    return apply_form(
        request,
        claim,
        DocumentForm(request.POST, request.FILES),
        lambda data: services.upload_document(
            claim, data["kind"], data["file"], request.user, also=data["also"]
        ),
        _("Choose the document kind and a file."),
        _("Document uploaded."),
    )


@login_required
def document(request, pk: int):
    document = selectors.document_for(request.user, pk)
    log_personal_access(
        request.user,
        PersonalDataAccess.Action.EXPORT,
        "claim_document",
        document.pk,
        document.claim.village_id,
        request=request,
    )
    path = Path(document.stored_file)
    if not path.is_file():
        raise Http404(pk)
    return sealed_response(
        path,
        f"{document.claim.number.replace('/', '-')}-{document.kind}{path.suffix}",
        document.content_type,
    )


@login_required
@require_POST
def document_verify(request, pk: int):
    document = selectors.document_for(request.user, pk)
    claim = document.claim
    try:
        services.verify_document(document, request.user)
    except ValidationError as exc:
        fail(request, exc)
    return redirect("claims:detail", claim.pk)


@login_required
@require_POST
def decide(request, pk: int):
    claim = selectors.claim_for(request.user, pk)
    form = DecisionForm(request.POST)
    if not form.is_valid():
        raise PermissionDenied
    try:
        services.decide(claim, request.user, form.cleaned_data["action"], form.cleaned_data["note"])
    except ValidationError as exc:
        fail(request, exc)
    return redirect("claims:detail", claim.pk)


@login_required
@require_POST
def send(request, pk: int):
    claim = selectors.claim_for(request.user, pk)
    return apply_form(
        request,
        claim,
        SendingForm(request.POST),
        lambda data: services.record_sending(claim, request.user, data["sent_on"], data["via"]),
        _("Give the date and how the file was sent."),
        _("Recorded as sent to BPJS."),
    )


@login_required
@require_POST
def bpjs_receipt(request, pk: int):
    claim = selectors.claim_for(request.user, pk)
    return apply_form(
        request,
        claim,
        ReceiptForm(request.POST),
        lambda data: services.record_receipt(
            claim, request.user, data["received_on"], data["bpjs_claim_number"]
        ),
        _("Give the receipt date and BPJS's claim number."),
        _("Receipt of the complete file recorded."),
    )


@login_required
@require_POST
def bpjs_decision(request, pk: int):
    claim = selectors.claim_for(request.user, pk)
    form = BpjsDecisionForm(request.POST, claim=claim)
    return apply_form(
        request,
        claim,
        form,
        lambda data: services.record_decision(
            claim,
            request.user,
            services.BpjsDecision(
                data["outcome"], data["decided_on"], data["reason"], form.amounts()
            ),
        ),
        _("Check BPJS's decision and amounts."),
        _("BPJS's decision recorded."),
    )


@login_required
def cover_letter_pdf(request, pk: int):
    claim = selectors.claim_for(request.user, pk)
    sent = claim.status in {ClaimStatus.CHECKED, *SENT_STATUSES}
    if not sent or not selectors.may_see_personal_data(request.user, claim):
        raise Http404(pk)
    log_personal_access(
        request.user,
        PersonalDataAccess.Action.EXPORT,
        "claim_cover_letter",
        claim.pk,
        claim.village_id,
        request=request,
    )
    documents = [(i.kind, i.documents) for i in selectors.checklist(claim) if i.documents]
    response = HttpResponse(
        exports.cover_letter_pdf(claim, documents), content_type="application/pdf"
    )
    name = claim.number.replace("/", "-")
    response["Content-Disposition"] = f'attachment; filename="pengantar-{name}.pdf"'
    return response


@login_required
@require_POST
def payment(request, pk: int):
    claim = selectors.claim_for(request.user, pk)
    return apply_form(
        request,
        claim,
        PaymentForm(request.POST, claim=claim),
        lambda data: services.record_benefit_payment(
            data["instalment"],
            data["recipient"],
            services.BankTransfer(
                data["amount"],
                data["paid_on"],
                data["bank"],
                data["account_number"],
                data["account_holder"],
                data["reference"],
            ),
            request.user,
        ),
        _("Check the payment details."),
        _("Payment recorded."),
    )


@login_required
@require_POST
def handover(request, pk: int):
    claim = selectors.claim_for(request.user, pk)
    return apply_form(
        request,
        claim,
        HandoverForm(request.POST, request.FILES, claim=claim),
        lambda data: services.record_handover(
            claim,
            data["recipient"],
            services.HandoverFacts(
                data["held_on"],
                data["place"],
                data["city"],
                data["handed_by_name"],
                data["handed_by_title"],
                data["bpjs_name"],
                data["bpjs_title"],
                data["witness_name"],
                data["witness_title"],
            ),
            request.user,
            photo=data["photo"],
        ),
        _("Check the handover details."),
        _("Handover recorded; it can be corrected until the berita acara is signed."),
    )


@login_required
@require_POST
def handover_sign(request, pk: int):
    claim = selectors.claim_for(request.user, pk)
    try:
        services.sign_handover(claim, request.user)
    except ValidationError as exc:
        fail(request, exc)
    else:
        messages.success(request, _("The berita acara is signed and frozen."))
    return redirect("claims:detail", claim.pk)


@login_required
def handover_pdf(request, pk: int):
    claim = selectors.claim_for(request.user, pk)
    if not selectors.may_see_personal_data(request.user, claim) or not hasattr(claim, "handover"):
        raise Http404(pk)
    log_personal_access(
        request.user,
        PersonalDataAccess.Action.EXPORT,
        "handover",
        claim.pk,
        claim.village_id,
        request=request,
    )
    response = HttpResponse(exports.handover_pdf(claim), content_type="application/pdf")
    name = claim.handover.number.replace("/", "-")
    response["Content-Disposition"] = f'attachment; filename="{name}.pdf"'
    return response


def home_section(sender, user, today, **kwargs) -> str | None:
    """The claims officer's queue on the home page (``accounts.signals.home_sections``): the
    potential claims waiting to be opened and the files overdue at BPJS; the BPJS officer's
    overdue files."""
    prepares = not scope_for(user, Capability.PREPARE_CLAIMS).is_empty
    if not prepares and scope_for(user, Capability.RECORD_BPJS_CLAIMS).is_empty:
        return None
    claims = selectors.claims_for(user)
    return render_to_string(
        "claims/_home.html",
        {
            "prepares": prepares,
            "waiting": selectors.waiting_potential(claims)[:20],
            "waiting_count": selectors.waiting_potential(claims).count(),
            "overdue": selectors.with_service_levels(selectors.overdue(claims, today)[:20], today),
        },
    )


def _regencies(user, capability: Capability = Capability.PREPARE_CLAIMS):
    scope = scope_for(user, capability)
    return Region.objects.filter(level=Level.REGENCY).filter(scope.q("code")).order_by("code")


@login_required
def death_lists(request):
    require(request.user, Capability.PREPARE_CLAIMS)
    regions = _regencies(request.user)
    form = DeathListForm(request.POST or None, request.FILES or None, regions=regions)
    if request.method == "POST" and form.is_valid():
        region = regions.get(code=form.cleaned_data["region"])
        upload = form.cleaned_data["file"]
        with upload_on_disk(upload) as path:
            try:
                death_list = services.import_deaths(path, region, request.user)
            except FileRefused as exc:
                messages.error(request, str(exc))
            else:
                return redirect("claims:death_list", death_list.pk)
    return render(
        request,
        "claims/death_lists.html",
        {"form": form, "lists": selectors.death_lists_for(request.user)[:50]},
    )


@login_required
def death_list(request, pk: int):
    death_list = selectors.death_list_for(request.user, pk)
    log_personal_access(
        request.user,
        PersonalDataAccess.Action.VIEW_LIST,
        "death_list",
        death_list.pk,
        death_list.region_id,
        request=request,
    )
    return render(
        request,
        "claims/death_list.html",
        {"death_list": death_list, "records": selectors.death_records(death_list)},
    )


@login_required
def claim_reports(request):
    """The branch's claim report / benefit payment report: upload, then read what it did."""
    require(request.user, Capability.RECORD_BPJS_CLAIMS)
    regions = _regencies(request.user, Capability.RECORD_BPJS_CLAIMS)
    form = ClaimReportForm(request.POST or None, request.FILES or None, regions=regions)
    if request.method == "POST" and form.is_valid():
        region = regions.get(code=form.cleaned_data["region"])
        upload = form.cleaned_data["file"]
        with upload_on_disk(upload) as path:
            try:
                result = services.import_claim_report(path, region, request.user, upload.name)
            except FileRefused as exc:
                messages.error(request, str(exc))
            else:
                if not result.created:
                    messages.info(request, _("This file was imported before; nothing changed."))
                return redirect("claims:claim_report", result.report.pk)
    return render(
        request,
        "claims/claim_reports.html",
        {"form": form, "reports": selectors.claim_reports_for(request.user)[:50]},
    )


@login_required
def claim_report(request, pk: int):
    report = selectors.claim_report_for(request.user, pk)
    log_personal_access(
        request.user,
        PersonalDataAccess.Action.VIEW_LIST,
        "claim_report",
        report.pk,
        report.region_id,
        request=request,
    )
    return render(
        request,
        "claims/claim_report.html",
        {"report": report, "lines": report.lines.select_related("claim")},
    )
