from pathlib import Path

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from jaring.accounts.rules import Capability
from jaring.accounts.scoping import require, scope_for, scoped
from jaring.core.sealed import sealed_response
from jaring.core.spreadsheets import XLSX_CONTENT_TYPE
from jaring.core.uploads import upload_on_disk
from jaring.enrolment import selectors, services
from jaring.enrolment.forms import BranchFormatForm
from jaring.enrolment.models import DEFAULT_BRANCH_COLUMNS, BranchFormat, Enrolment
from jaring.reference import screens
from jaring.reference.selectors import editable
from jaring.regions.models import Level, Region

REPLY_SUFFIXES = (".xlsx", ".xls", ".csv")


@login_required
def submissions(request):
    if not selectors.may_exchange(request.user):
        require(request.user, Capability.RECORD_KPJ)
    regencies = Region.objects.filter(level=Level.REGENCY).filter(
        scope_for(request.user, Capability.MANAGE_ENROLMENT).q("code")
    )
    pending = {
        r.code: Enrolment.objects.filter(
            status="planned", submission__isnull=True, worker__regency_code=r.code
        ).count()
        for r in regencies
    }
    return render(
        request,
        "enrolment/submissions.html",
        {
            "submissions": selectors.submissions_for(request.user)[:50],
            "regencies": regencies,
            "pending": pending,
        },
    )


@login_required
@require_POST
def submission_create(request):
    regencies = Region.objects.filter(level=Level.REGENCY)
    region = (
        scoped(regencies, request.user, Capability.MANAGE_ENROLMENT)
        .filter(code=request.POST.get("region"))
        .first()
    )
    if region is None:
        raise Http404
    try:
        submission = services.export_submission(region, request.user, request)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("Submission file #%(n)s created.") % {"n": submission.pk})
    return redirect("enrolment:submissions")


@login_required
def submission_download(request, pk: int):
    submission = selectors.submission_file_for(request.user, pk, request)
    return sealed_response(
        Path(submission.file_path),
        f"pengajuan-bpu-{submission.region_id}-{submission.pk}.xlsx",
        XLSX_CONTENT_TYPE,
    )


@login_required
@require_POST
def submission_reply(request, pk: int):
    submission = selectors.submission_for(request.user, pk)
    upload = request.FILES.get("file")
    if upload is None or not upload.name.lower().endswith(REPLY_SUFFIXES):
        messages.error(request, _("Upload the branch's reply as .xlsx, .xls or .csv."))
        return redirect("enrolment:submissions")
    with upload_on_disk(upload) as path:
        try:
            outcome = services.import_reply(submission, path, request.user)
        except ValueError as exc:
            messages.error(request, str(exc))
            return redirect("enrolment:submissions")
    messages.success(
        request,
        _("Reply read: %(matched)s active with KPJ, %(rejected)s rejected, %(unknown)s unknown.")
        % outcome,
    )
    for problem in outcome["problems"][:20]:
        messages.warning(request, _("Row %(row)s: %(problem)s") % problem)
    return redirect("enrolment:submissions")


def _layout(pairs) -> str:
    return " | ".join(header for header, _field in pairs)


@login_required
def branch_formats(request):
    require(request.user, Capability.MANAGE_REFERENCE)
    return screens.list_page(
        request,
        title=_("BPJS branch file layouts"),
        intro=_(
            "The columns each BPJS branch wants in the submission spreadsheet, in order, and the "
            "header names of its reply. A branch without a layout gets the standard one: %(std)s."
        )
        % {"std": _layout(DEFAULT_BRANCH_COLUMNS)},
        rows=editable(BranchFormat.objects.select_related("office__region"), request.user),
        headers=[
            _("BPJS office"),
            _("Submission columns"),
            _("Reply headers"),
            _("Claim report headers"),
        ],
        cells=lambda b: [
            b.office.name,
            _layout(b.columns),
            _layout(b.reply_columns) or "—",
            _layout(b.claim_report_columns) or "—",
        ],
        link=lambda b: reverse("enrolment:branch_format", args=[b.pk]),
        form=BranchFormatForm(
            request.POST or None,
            user=request.user,
            initial={"columns": DEFAULT_BRANCH_COLUMNS},
        ),
    )


@login_required
def branch_format(request, pk: int):
    row = get_object_or_404(
        editable(BranchFormat.objects.select_related("office__region"), request.user), pk=pk
    )
    return screens.edit_page(
        request,
        row,
        BranchFormatForm(request.POST or None, instance=row, user=request.user),
        title=_("File layout: %(office)s") % {"office": row.office.name},
        back=reverse("enrolment:branch_formats"),
    )
