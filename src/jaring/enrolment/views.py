import tempfile
from pathlib import Path

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import FileResponse, Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from jaring.accounts.models import PersonalDataAccess
from jaring.accounts.rules import Capability
from jaring.accounts.scoping import require, scope_for, scoped
from jaring.accounts.services import log_personal_access
from jaring.enrolment import services
from jaring.enrolment.models import Enrolment, Submission
from jaring.regions.models import Level, Region

REPLY_SUFFIXES = (".xlsx", ".xls", ".csv")


def _may_exchange(user, region_code: str | None = None) -> bool:
    """Exchange files carry NIKs: enrolment staff who may see personal data, or BPJS officers."""
    enrol = scope_for(user, Capability.MANAGE_ENROLMENT)
    personal = scope_for(user, Capability.VIEW_PERSONAL_DATA)
    kpj = scope_for(user, Capability.RECORD_KPJ)
    if region_code is None:
        return not (enrol.is_empty or personal.is_empty) or not kpj.is_empty
    return (enrol.contains(region_code) and personal.contains(region_code)) or kpj.contains(
        region_code
    )


def _submissions(user):
    return scoped(
        Submission.objects.select_related("region", "created_by"), user, Capability.VIEW_REGISTRY
    )


def _submission_for(user, pk: int) -> Submission:
    submission = _submissions(user).filter(pk=pk).first()
    if submission is None or not _may_exchange(user, submission.region_id):
        raise Http404(pk)
    return submission


@login_required
def submissions(request):
    if not _may_exchange(request.user):
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
            "submissions": _submissions(request.user)[:50],
            "regencies": regencies,
            "pending": pending,
        },
    )


@login_required
@require_POST
def submission_create(request):
    region = Region.objects.filter(code=request.POST.get("region"), level=Level.REGENCY).first()
    if (
        region is None
        or not _may_exchange(request.user, region.code)
        or scope_for(request.user, Capability.MANAGE_ENROLMENT).is_empty
    ):
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
    submission = _submission_for(request.user, pk)
    log_personal_access(
        request.user,
        PersonalDataAccess.Action.EXPORT,
        "bpjs_submission",
        submission.pk,
        submission.region_id,
        request=request,
    )
    return FileResponse(
        Path(submission.file_path).open("rb"),
        as_attachment=True,
        filename=f"pengajuan-bpu-{submission.region_id}-{submission.pk}.xlsx",
    )


@login_required
@require_POST
def submission_reply(request, pk: int):
    submission = _submission_for(request.user, pk)
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
