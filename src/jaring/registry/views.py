from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from jaring.accounts.rules import Capability
from jaring.accounts.scoping import require, scope_for
from jaring.core.masking import mask_name
from jaring.core.sealed import sealed_response
from jaring.core.spreadsheets import XLSX_CONTENT_TYPE
from jaring.reference import screens
from jaring.reference.services import may_edit_national
from jaring.regions.models import Level, Region
from jaring.registry import selectors, services, tasks
from jaring.registry.forms import (
    DuplicateReviewForm,
    ImportForm,
    OccupationForm,
    RevealNikForm,
    TransferDecisionForm,
    WorkerEditForm,
    WorkerFilterForm,
    WorkerForm,
)
from jaring.registry.models import Occupation
from jaring.registry.signals import worker_page_sections
from jaring.registry.template import import_template_xlsx

PAGE_SIZE = 50


def _visible_districts(user):
    scope = scope_for(user, Capability.VIEW_REGISTRY)
    districts = Region.objects.filter(level=Level.DISTRICT)
    return districts.filter(scope.q("code")).order_by("name")


def _row(worker, personal: bool) -> dict:
    return {
        "worker": worker,
        "personal": personal,
        "name": worker.full_name if personal else mask_name(worker.full_name),
        "nik": worker.masked_nik,
    }


@login_required
def worker_list(request):
    """Filters and name searches sit in the URL (pages, bookmarks); a full NIK never does: the
    search form posts, a posted NIK is answered on the spot, anything else is redirected to
    its URL, and a NIK put in the URL by hand is dropped with a word why."""
    require(request.user, Capability.VIEW_REGISTRY)
    given = request.POST if request.method == "POST" else request.GET.copy()
    nik_query = selectors.is_full_nik(given.get("q", ""))
    if request.method == "POST" and not nik_query:
        filters = {k: v for k in WorkerFilterForm.base_fields if (v := given.get(k, "").strip())}
        return redirect(f"{request.path}?{urlencode(filters)}" if filters else request.path)
    if request.method == "GET" and nik_query:
        given.pop("q")
        messages.warning(
            request, _("A NIK is never searched from the address bar: type it in the search box.")
        )
    form = WorkerFilterForm(given or None, districts=_visible_districts(request.user))
    data = form.cleaned_data if form.is_valid() else {}
    filters = selectors.WorkerFilters(
        district=data.get("district") or "",
        village=data.get("village") or "",
        occupation=data["occupation"].code if data.get("occupation") else "",
        status=data.get("status") or "",
        desil=data.get("desil"),
        query=data.get("q") or "",
    )
    page = Paginator(selectors.filter_workers(request.user, filters), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    personal_scope = scope_for(request.user, Capability.VIEW_PERSONAL_DATA)
    rows = [_row(w, personal_scope.contains(w.village_id)) for w in page]
    selectors.log_worker_list(request.user, page, filters.query, request)
    return render(
        request,
        "registry/worker_list.html",
        {
            "form": form,
            "page": page,
            "rows": rows,
            "partial_nik": selectors.is_partial_nik(filters.query),
        },
    )


@login_required
def worker_detail(request, pk: int):
    reveal_form = RevealNikForm(request.POST or None)
    revealing = request.method == "POST" and reveal_form.is_valid()
    worker, personal = selectors.worker_with_personal_data(
        request.user, pk, request, log=not revealing
    )
    revealed = None
    if revealing and personal:
        revealed = services.reveal_nik(
            request.user, worker, reveal_form.cleaned_data["reason"], request
        )
    history = selectors.history_of(worker)[:50] if personal else []
    return render(
        request,
        "registry/worker_detail.html",
        {
            "row": _row(worker, personal),
            "personal": personal,
            "revealed": revealed,
            "reveal_form": reveal_form,
            "history": history,
            "sections": _sections(request.user, worker, personal),
            "may_edit": scope_for(request.user, Capability.MANAGE_REGISTRY).contains(
                worker.village_id
            ),
        },
    )


@login_required
def worker_edit(request, pk: int):
    """Change a worker's contact, address, occupation or village with a reason. Only villages
    of its own kabupaten are offered: a move elsewhere is a transfer request, not an edit."""
    worker = selectors.worker_to_edit(request.user, pk, request)
    initial = {
        "phone": worker.phone,
        "address": worker.address,
        "rt_rw": worker.rt_rw,
        "village": worker.village_id,
        "occupation": worker.occupation_id,
    }
    form = WorkerEditForm(
        request.POST or None,
        initial=initial,
        villages=selectors.villages_to_move_to(request.user, worker),
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        wanted = {
            "phone": data["phone"].strip(),
            "address": data["address"].strip(),
            "rt_rw": data["rt_rw"].strip(),
            "village_id": data["village"],
            "occupation_id": data["occupation"].code,
        }
        current = {
            **initial,
            "village_id": worker.village_id,
            "occupation_id": worker.occupation_id,
        }
        changes = {field: value for field, value in wanted.items() if value != current.get(field)}
        if not changes:
            form.add_error(None, _("Nothing was changed."))
        else:
            try:
                services.update_worker(worker, changes, request.user, data["reason"])
            except ValidationError as exc:
                for message in exc.messages:
                    form.add_error(None, message)
            else:
                messages.success(request, _("Worker updated."))
                return redirect("registry:worker", pk=worker.pk)
    return render(request, "registry/worker_edit.html", {"form": form, "worker": worker})


def _sections(user, worker, personal: bool) -> list:
    """The sections other apps add to the worker page (coverage, …), in app order."""
    answers = worker_page_sections.send(
        sender=type(worker), worker=worker, user=user, personal=personal, today=timezone.localdate()
    )
    return [html for _receiver, html in answers if html]


def _import_regions(user):
    scope = scope_for(user, Capability.MANAGE_REGISTRY)
    return (
        Region.objects.filter(level__in=[Level.REGENCY, Level.DISTRICT])
        .filter(scope.q("code"))
        .order_by("level", "code")
    )


@login_required
def import_list(request):
    require(request.user, Capability.MANAGE_REGISTRY)
    regions = _import_regions(request.user)
    form = ImportForm(request.POST or None, request.FILES or None, regions=regions)
    if request.method == "POST" and form.is_valid():
        batch = _start_import(request, form)
        return redirect("registry:import_detail", pk=batch.pk)
    batches = Paginator(selectors.batches_for(request.user), 20).get_page(request.GET.get("page"))
    return render(request, "registry/import_list.html", {"form": form, "batches": batches})


def _start_import(request, form):
    batch = services.receive_upload(
        form.cleaned_data["file"],
        Region.objects.get(code=form.cleaned_data["region"]),
        form.cleaned_data["source"],
        request.user,
        form.cleaned_data["dry_run"],
    )
    messages.info(request, _("The file was received and is being checked."))
    return batch


@login_required
def import_detail(request, pk: int):
    batch = selectors.batch_for(request.user, pk)
    issues = Paginator(batch.issues.order_by("row_number"), 50).get_page(request.GET.get("page"))
    return render(
        request,
        "registry/import_detail.html",
        {
            "batch": batch,
            "issues": issues,
            "has_rejects": services.has_rejects(batch),
        },
    )


@login_required
def import_status(request, pk: int):
    batch = selectors.batch_for(request.user, pk)
    return JsonResponse(
        {**batch.summary(), "progress": tasks.progress_of(batch.pk), "error": batch.error}
    )


@login_required
@require_POST
def import_rerun(request, pk: int):
    """Run a failed import again with the file it kept (after a killed or timed-out run)."""
    batch = selectors.batch_for(request.user, pk)
    try:
        services.rerun_import(batch, request.user)
        messages.info(request, _("The import was queued again."))
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    return redirect("registry:import_detail", pk=batch.pk)


@login_required
def import_rejects(request, pk: int):
    batch, path = selectors.rejects_file_for(request.user, pk, request)
    return sealed_response(path, f"ditolak-batch-{batch.pk}.xlsx", XLSX_CONTENT_TYPE)


@login_required
def import_template(request):
    require(request.user, Capability.MANAGE_REGISTRY)
    response = HttpResponse(import_template_xlsx(), content_type=XLSX_CONTENT_TYPE)
    response["Content-Disposition"] = 'attachment; filename="templat-impor-pekerja.xlsx"'
    return response


@login_required
def duplicate_list(request):
    require(request.user, Capability.MANAGE_REGISTRY)
    local = selectors.duplicate_candidates_for(request.user).filter(cross_region=False)
    candidates = Paginator(local, 30).get_page(request.GET.get("page"))
    return render(request, "registry/duplicate_list.html", {"candidates": candidates})


@login_required
@require_POST
def duplicate_review(request, pk: int):
    candidate = selectors.duplicate_candidates_for(request.user).filter(pk=pk).first()
    form = DuplicateReviewForm(request.POST)
    if candidate is None:
        raise Http404
    if form.is_valid():
        same = form.cleaned_data["verdict"] == "same"
        services.review_duplicate(candidate, request.user, same_person=same)
        messages.success(request, _("Review saved."))
    return redirect("registry:transfers" if candidate.cross_region else "registry:duplicates")


@login_required
def transfer_list(request):
    """Transfer requests into and out of the user's regions, and duplicate cases spanning two
    kabupaten; names masked (the other region's records are not this region's to read)."""
    require(request.user, Capability.VIEW_REGISTRY)
    transfers = Paginator(selectors.transfers_for(request.user), 30).get_page(
        request.GET.get("page")
    )
    decide = scope_for(request.user, Capability.DECIDE_TRANSFERS)
    rows = [
        {
            "transfer": t,
            "name": mask_name(t.worker.full_name),
            "may_decide": t.status == "open" and decide.contains(t.worker.village_id),
        }
        for t in transfers
    ]
    cases = [
        {"case": c, "worker": mask_name(c.worker.full_name), "other": mask_name(c.other.full_name)}
        for c in selectors.cross_region_cases_for(request.user).select_related(
            "worker__village__parent__parent", "other__village__parent__parent"
        )[:100]
    ]
    return render(
        request,
        "registry/transfer_list.html",
        {"transfers": transfers, "rows": rows, "cases": cases},
    )


@login_required
@require_POST
def transfer_decide(request, pk: int):
    transfer = selectors.transfer_for(request.user, pk)
    form = TransferDecisionForm(request.POST)
    if form.is_valid():
        accept = form.cleaned_data["decision"] == "accept"
        try:
            services.decide_transfer(transfer, request.user, accept, form.cleaned_data["reason"])
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            messages.success(request, _("Decision saved."))
    return redirect("registry:transfers")


@login_required
def worker_create(request):
    """One worker typed on a form: the registration service decides (a NIK of another region
    is refused and becomes a transfer request)."""
    require(request.user, Capability.MANAGE_REGISTRY)
    form = WorkerForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        worker = _register(request, form)
        if worker is not None:
            messages.success(request, _("Worker registered."))
            return redirect("registry:worker", pk=worker.pk)
    return render(request, "registry/worker_form.html", {"form": form})


def _register(request, form):
    data = form.cleaned_data
    village = Region.objects.filter(code=data["village"], level=Level.VILLAGE).first()
    if village is None or not scope_for(request.user, Capability.MANAGE_REGISTRY).contains(
        village.code
    ):
        form.add_error("village", _("Unknown village, or outside your region."))
        return None
    worker_input = services.WorkerInput(
        nik=data["nik"],
        full_name=data["full_name"],
        sex=data["sex"],
        birth_date=data["birth_date"],
        village_code=village.code,
        occupation=data["occupation"].code,
        phone=data["phone"],
        address=data["address"],
        source="Formulir",
    )
    try:
        return services.register_worker(worker_input, village, request.user)
    except ValidationError as exc:
        for message in exc.messages:
            form.add_error(None, message)
        return None


def _occupation_form(request, instance=None):
    """National data: the form only for a system administrator; a POST by anyone else is 403."""
    if not may_edit_national(request.user):
        if request.method == "POST":
            raise PermissionDenied
        return None
    return OccupationForm(request.POST or None, instance=instance, user=request.user)


@login_required
def occupations(request):
    require(request.user, Capability.MANAGE_REFERENCE)
    return screens.list_page(
        request,
        title=_("Occupations"),
        intro=_(
            "The occupation categories every region's worker lists are matched against (by name "
            "and synonyms). The group ties an occupation to rate rules, e.g. 'transport' for "
            "PP 50/2025. National data: only a system administrator changes it."
        ),
        rows=Occupation.objects.all(),
        headers=[_("Code"), _("Name"), _("Group"), _("Synonyms")],
        cells=lambda o: [o.code, o.name, o.group, ", ".join(o.synonyms.split())],
        link=lambda o: reverse("registry:occupation", args=[o.code]),
        form=_occupation_form(request),
    )


@login_required
def occupation(request, code: str):
    require(request.user, Capability.MANAGE_REFERENCE)
    row = get_object_or_404(Occupation, code=code)
    form = _occupation_form(request, row)
    if form is not None:
        form.fields["code"].disabled = True  # workers point at it
    return screens.edit_page(
        request,
        row,
        form,
        title=_("Occupation: %(name)s") % {"name": row.name},
        back=reverse("registry:occupations"),
    )
