import tempfile
from pathlib import Path

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import FileResponse, Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from jaring.accounts.rules import Capability
from jaring.accounts.scoping import require, scope_for, scoped
from jaring.enrolment import selectors, services
from jaring.enrolment.models import Enrolment
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
    return FileResponse(
        Path(submission.file_path).open("rb"),
        as_attachment=True,
        filename=f"pengajuan-bpu-{submission.region_id}-{submission.pk}.xlsx",
    )


@login_required
@require_POST
def submission_reply(request, pk: int):
    submission = selectors.submission_for(request.user, pk)
    upload = request.FILES.get("file")
    if upload is None or not upload.name.lower().endswith(REPLY_SUFFIXES):
        messages.error(request, _("Upload the branch's reply as .xlsx, .xls or .csv."))
        return redirect("enrolment:submissions")
    with tempfile.NamedTemporaryFile(suffix=Path(upload.name).suffix.lower()) as temporary:
        for chunk in upload.chunks():
            temporary.write(chunk)
        temporary.flush()
        try:
            outcome = services.import_reply(submission, Path(temporary.name), request.user)
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
