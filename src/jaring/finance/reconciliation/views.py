"""The reconciliation pages: statements of the user's kabupaten (finance role), upload, the
differences with their causes, the Excel, and recording a decision."""

from __future__ import annotations

import tempfile
from pathlib import Path

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import FileResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from jaring.accounts.models import PersonalDataAccess
from jaring.accounts.services import log_personal_access
from jaring.core.masking import mask_name
from jaring.core.uploads import upload_on_disk
from jaring.finance.forms import DecisionForm, StatementForm
from jaring.finance.models import FundingSource
from jaring.finance.reconciliation import exports, rules, selectors, services
from jaring.finance.selectors import kpj_shown
from jaring.finance.views import _managed_regency

STATEMENT_SUFFIXES = (".xlsx", ".xls", ".csv")


@login_required
def statements(request):
    region = _managed_regency(request.user)  # the finance role's kabupaten, or 403
    form = StatementForm(
        request.POST or None,
        request.FILES or None,
        sources=FundingSource.objects.filter(region=region),
    )
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        suffix = Path(upload.name).suffix.lower()
        if suffix not in STATEMENT_SUFFIXES:
            form.add_error("file", _("Upload the branch's statement as .xlsx, .xls or .csv."))
        else:
            with upload_on_disk(upload) as path:
                try:
                    outcome = services.import_statement(
                        form.cleaned_data["source"],
                        form.cleaned_data["month"],
                        path,
                        request.user,
                        upload.name,
                    )
                except ValueError as exc:  # FileRefused: the file as a whole cannot be read
                    form.add_error("file", str(exc))
                else:
                    if not outcome.created:
                        messages.info(
                            request, _("This statement was imported before; nothing was added.")
                        )
                    return redirect("finance:reconciliation", pk=outcome.statement.pk)
    return render(
        request,
        "finance/reconciliations.html",
        {"form": form, "statements": selectors.statements_for(request.user)[:60]},
    )


@login_required
def statement_detail(request, pk: int):
    statement = selectors.statement_for(request.user, pk)

    def kpj(number: str) -> str:
        return kpj_shown(request.user, statement.region_id, number)

    if request.GET.get("format") == "xlsx":
        handle = tempfile.NamedTemporaryFile(suffix=".xlsx")  # noqa: SIM115 (FileResponse closes it)
        rows = exports.write_statement_xlsx(statement, Path(handle.name), kpj)
        log_personal_access(
            request.user,
            PersonalDataAccess.Action.EXPORT,
            "bpjs_reconciliation",
            statement.pk,
            statement.region_id,
            request=request,
            detail={"differences": rows},
        )
        handle.seek(0)
        return FileResponse(  # closes (and so deletes) the temporary file when sent
            handle,
            as_attachment=True,
            filename=f"rekonsiliasi-bpjs-{statement.month:%Y-%m}-{statement.pk}.xlsx",
        )
    kind = request.GET.get("jenis") or None
    log_personal_access(  # participants by KPJ and masked name (also: not cached)
        request.user,
        PersonalDataAccess.Action.VIEW_LIST,
        "bpjs_reconciliation",
        statement.pk,
        statement.region_id,
        request=request,
    )
    return render(
        request,
        "finance/reconciliation.html",
        {
            "statement": statement,
            "summary": selectors.summary(statement),
            "kind": kind,
            "differences": [
                {
                    "difference": d,
                    "suggested": rules.SUGGESTED[d.cause],
                    "name": mask_name(d.enrolment.worker.full_name) if d.enrolment_id else "",
                    "kpj": kpj(d.kpj),
                }
                for d in selectors.differences(statement, kind)[: selectors.PAGE_ROWS]
            ],
            "rejected": [
                {"line": line, "kpj": kpj(line.kpj)}
                for line in selectors.rejected_rows(statement)[: selectors.PAGE_ROWS]
            ],
            "actions": rules.Action.choices,
        },
    )


@login_required
@require_POST
def decide(request, pk: int):
    statement = selectors.statement_for(request.user, pk)
    form = DecisionForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose an action and say why."))
    else:
        difference = selectors.difference_for(statement, form.cleaned_data["difference"])
        try:
            services.decide(
                difference, form.cleaned_data["action"], form.cleaned_data["note"], request.user
            )
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            messages.success(request, _("Decision recorded."))
    return redirect("finance:reconciliation", pk=statement.pk)
