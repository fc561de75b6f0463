from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from jaring.accounts.rules import Capability
from jaring.accounts.scoping import require, scope_for
from jaring.core.params import takes_year
from jaring.core.spreadsheets import XLSX_CONTENT_TYPE
from jaring.enrolment import selectors as enrolment_selectors
from jaring.finance import exports, planning, selectors, services
from jaring.finance.forms import (
    AllocationForm,
    BillForm,
    FundingSourceForm,
    PaymentForm,
    PlanForm,
)
from jaring.finance.models import FundingSource
from jaring.programs.rules import MORTALITY_SOURCE
from jaring.reference import screens
from jaring.reference.selectors import editable
from jaring.regions.models import Level, Region


def _managed_regency(user) -> Region:
    """The kabupaten/kota whose money this user manages (its finance scope)."""
    scope = scope_for(user, Capability.MANAGE_FINANCE)
    region = (
        Region.objects.filter(level=Level.REGENCY).filter(scope.q("code")).order_by("code").first()
    )
    if region is None:
        raise PermissionDenied
    return region


@login_required
@takes_year(
    default=lambda request: selectors.latest_allocated_year(request.user)
    or timezone.localdate().year
)
def budget(request, year: int):
    require(request.user, Capability.VIEW_REPORTS)
    lines = selectors.budget_lines(request.user, year)
    if request.GET.get("format") == "xlsx":
        response = HttpResponse(exports.budget_xlsx(lines, year), content_type=XLSX_CONTENT_TYPE)
        response["Content-Disposition"] = f'attachment; filename="anggaran-{year}.xlsx"'
        return response
    can_manage = not scope_for(request.user, Capability.MANAGE_FINANCE).is_empty
    return render(
        request,
        "finance/budget.html",
        {
            "year": year,
            "lines": lines,
            "can_manage": can_manage,
            "measures": selectors.BUDGET_MEASURES,
            "totals": selectors.budget_totals(lines),
            "lapsed_total": sum(line.lapsed for line in lines),
            # Per-participant rows only for those who may see the registry; others the counts.
            "lapsed": selectors.lapsed_participants(request.user, year, request=request)
            if not scope_for(request.user, Capability.VIEW_REGISTRY).is_empty
            else [],
            "allocation_form": AllocationForm(initial={"fiscal_year": year})
            if can_manage
            else None,
            "plans": enrolment_selectors.plans_for(request.user).filter(fiscal_year=year)[:20],
        },
    )


@login_required
@require_POST
def allocate(request):
    region = _managed_regency(request.user)
    form = AllocationForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        source, _created = FundingSource.objects.get_or_create(
            region=region, name=data["source_name"], defaults={"kind": data["kind"]}
        )
        services.allocate(
            source, data["fiscal_year"], data["amount"], request.user, data["budget_document"]
        )
        messages.success(request, _("Allocation saved."))
    else:
        messages.error(request, _("The allocation was not saved: check the fields."))
    return redirect(f"{reverse('finance:budget')}?tahun={form.data.get('fiscal_year', '')}")


@login_required
def plan_new(request):
    """Show a plan (nothing is saved), then commit what was shown in one step."""
    region = _managed_regency(request.user)
    sources = FundingSource.objects.filter(region=region, active=True)
    form = PlanForm(
        request.POST or None, sources=sources, initial={"fiscal_year": timezone.localdate().year}
    )
    preview = None
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        asked = (region, data["source"], data["fiscal_year"], request.user)
        try:
            if data["shown"] is not None and "commit" in request.POST:
                plan = planning.commit_as_shown(
                    *asked, data["start_month"], data["quotas"], data["shown"]
                )
                messages.success(
                    request, _("%(n)s workers enrolled (planned).") % {"n": plan.selected}
                )
                return redirect("finance:plan", pk=plan.pk)
            preview = planning.preview_coverage(
                *asked,
                data["start_month"],
                data["quotas"],
                read=lambda plan: _plan_context(request.user, plan),
            )
        except ValidationError as exc:
            form.add_error(None, exc)
    return render(
        request, "finance/plan_new.html", {"form": form, "region": region, **(preview or {})}
    )


def _plan_context(user, plan) -> dict:
    """What the plan page and the preview show of a plan, read at once (a preview's rows are
    rolled back right after)."""
    lines = selectors.budget_lines(user, plan.fiscal_year, plan.source)
    # Per-worker rows only for those who may see the registry there; others see the totals.
    selections = []
    if scope_for(user, Capability.VIEW_REGISTRY).contains(plan.region_id):
        selections = [
            {"selection": s, "reason": enrolment_selectors.explain(s, plan)}
            for s in plan.selections.select_related("worker__village").order_by("overall_rank")[:50]
        ]
    return {
        "plan": plan,
        "districts": enrolment_selectors.plan_by_district(plan),
        "parts": enrolment_selectors.plan_parts(plan),
        "expected": enrolment_selectors.plan_expectation(plan),
        "mortality_source": MORTALITY_SOURCE,
        "selections": selections,
        "measures": selectors.BUDGET_MEASURES,
        "lines": lines,
        # A draft is not committed yet: what would remain to commit once it is.
        "after_plan": lines[0].remaining_to_commit - plan.cost
        if lines and plan.status == plan.Status.DRAFT
        else None,
        "can_commit": scope_for(user, Capability.MANAGE_FINANCE).contains(plan.region_id),
    }


@login_required
def plan_detail(request, pk: int):
    plan = enrolment_selectors.plan_for(request.user, pk)
    return render(request, "finance/plan_detail.html", _plan_context(request.user, plan))


@login_required
@require_POST
def plan_commit(request, pk: int):
    plan = enrolment_selectors.plan_for(request.user, pk)
    try:
        created = planning.commit_plan(plan, request.user)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("%(n)s workers enrolled (planned).") % {"n": created})
    return redirect("finance:plan", pk=plan.pk)


@login_required
def invoices(request):
    require(request.user, Capability.VIEW_REPORTS)
    form = BillForm(request.POST or None)
    if request.method == "POST":
        region = _managed_regency(request.user)
        if form.is_valid():
            try:
                result = services.bill_month(region, form.cleaned_data["month"], request.user)
            except ValidationError as exc:  # nothing billable: no empty invoice, the reasons
                messages.error(request, " ".join(exc.messages))
                return redirect("finance:invoices")
            summary = result.summary()
            messages.success(
                request,
                _("Billed %(month)s: %(lines)s new participant-months.")
                % {"month": summary["month"], "lines": summary["new_lines"]},
            )
            for refused in result.refused:
                messages.warning(request, refused["reason"])
            for invoice in summary["invoices"]:
                if invoice["skipped_other_funder"]:
                    messages.warning(
                        request,
                        _(
                            "%(source)s: %(count)s participants not billed for %(month)s: "
                            "another funder already owes that month."
                        )
                        % {
                            "source": invoice["source"],
                            "count": invoice["skipped_other_funder"],
                            "month": summary["month"],
                        },
                    )
            return redirect("finance:invoices")
    return render(
        request,
        "finance/invoices.html",
        {
            "invoices": selectors.invoices_for(request.user).with_paid()[:60],
            "form": form,
            "can_manage": not scope_for(request.user, Capability.MANAGE_FINANCE).is_empty,
        },
    )


@login_required
def invoice_detail(request, pk: int):
    invoice = selectors.invoice_for(request.user, pk)
    export = request.GET.get("format")
    if export in {"xlsx", "pdf"}:
        if export == "xlsx":  # one row per participant: registry roles only, logged
            full_kpj = selectors.invoice_lines_export(request.user, invoice, request)
            content = exports.invoice_xlsx(invoice, full_kpj)
        else:
            content = exports.invoice_pdf(invoice)
        response = HttpResponse(
            content, content_type=XLSX_CONTENT_TYPE if export == "xlsx" else "application/pdf"
        )
        name = invoice.number.replace("/", "-")
        response["Content-Disposition"] = f'attachment; filename="{name}.{export}"'
        return response
    can_pay = scope_for(request.user, Capability.MANAGE_FINANCE).contains(invoice.source.region_id)
    summary = exports.invoice_summary(invoice)
    form = PaymentForm(request.POST or None, initial={"amount": summary["outstanding"]})
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.record_payment(
                invoice,
                data["amount"],
                data["paid_on"],
                data["reference"],
                request.user,
                data["note"],
            )
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            messages.success(request, _("Payment recorded."))
        return redirect("finance:invoice", pk=invoice.pk)
    return render(
        request,
        "finance/invoice_detail.html",
        {
            "invoice": invoice,
            "summary": summary,
            "payments": invoice.payments.select_related("recorded_by"),
            "form": form,
            "can_pay": can_pay,
        },
    )


def worker_coverage_section(sender, worker, user, personal: bool, today, **kwargs) -> str:
    """The coverage section of the registry's worker page (``registry.signals``)."""
    return render_to_string(
        "finance/_worker_coverage.html",
        {**selectors.worker_coverage(worker, today), "personal": personal},
    )


@login_required
def funding_sources(request):
    require(request.user, Capability.MANAGE_REFERENCE)
    return screens.list_page(
        request,
        title=_("Funding sources"),
        intro=_(
            "Where the money for contributions comes from. Its kind decides how the rate rules "
            "treat the participants it pays for; an inactive source is not offered for new "
            "coverage plans."
        ),
        rows=editable(FundingSource.objects.select_related("region"), request.user),
        headers=[_("Region"), _("Name"), _("Kind"), _("Active")],
        cells=lambda s: [
            s.region.display_name,
            s.name,
            s.get_kind_display(),
            _("yes") if s.active else _("no"),
        ],
        link=lambda s: reverse("finance:funding_source", args=[s.pk]),
        form=FundingSourceForm(request.POST or None, user=request.user),
    )


@login_required
def funding_source(request, pk: int):
    source = get_object_or_404(
        editable(FundingSource.objects.select_related("region"), request.user), pk=pk
    )
    return screens.edit_page(
        request,
        source,
        FundingSourceForm(request.POST or None, instance=source, user=request.user),
        title=_("Funding source: %(name)s") % {"name": source.name},
        back=reverse("finance:funding_sources"),
    )
