from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.safestring import SafeString
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from jaring.accounts.models import PersonalDataAccess
from jaring.accounts.rules import Capability
from jaring.accounts.scoping import require, scope_for
from jaring.accounts.services import log_personal_access
from jaring.core.masking import mask_name
from jaring.core.params import takes_year
from jaring.core.spreadsheets import XLSX_CONTENT_TYPE
from jaring.core.templatetags.jaring_format import ribuan
from jaring.reference import screens
from jaring.reference.screens import ReferenceForm
from jaring.reference.selectors import editable
from jaring.reference.services import save_reference
from jaring.regions.models import Level, Region
from jaring.reports import exports, graphics, selectors
from jaring.reports.models import WorkforceEstimate
from jaring.reports.services import report_date


class EstimateForm(ReferenceForm):
    region_levels = (2, 3)

    class Meta:
        model = WorkforceEstimate
        fields = ["region", "year", "informal_workers", "source"]


def _dashboard_estimate_form(user, code: str, year: int) -> EstimateForm:
    form = EstimateForm(initial={"year": year, "region": code}, user=user)
    form.fields["region"].widget = forms.HiddenInput()
    return form


@login_required
def index(request):
    require(request.user, Capability.VIEW_REPORTS)
    regencies = selectors.visible_regencies(request.user)
    return render(request, "reports/index.html", {"regencies": regencies})


def _areas(board, link: bool) -> dict:
    """Each kecamatan/desa coloured by the headline figure: its share of the informal workforce."""
    return {
        row.code: graphics.Area(
            row.code,
            row.name,
            row.coverage_of_workforce,
            reverse("reports:dashboard", args=[row.code])
            if link and row.fact.level == Level.DISTRICT
            else "",
        )
        for row in board.children
    }


def _coverage_map(code: str, areas: dict, width: int = 720) -> str:
    return graphics.choropleth(
        code,
        areas,
        width=width,
        title=_("Map: share of the informal workforce protected, per region"),
    )


def _trend(months: list[tuple], width: int = 720) -> str:
    """Workers protected per month, ``(month, count or None when withheld)``."""
    return graphics.bar_chart(
        [graphics.Bar(month.strftime("%m/%y"), value) for month, value in months],
        width,
        title=_("Chart: workers protected at the end of each month"),
    )


@login_required
@takes_year(default=lambda request: report_date().year)
def dashboard(request, code: str, year: int):
    region = selectors.region_for_dashboard(request.user, code)
    board = selectors.dashboard(region, year)
    panel = request.GET.get("panel", "")
    if request.GET.get("format") == "xlsx" and panel in exports.PANELS:
        return _xlsx(request, board, panel)
    personal = scope_for(request.user, Capability.VIEW_PERSONAL_DATA).contains(code)
    paid = selectors.paid_benefits(request.user, region)[:50]
    if personal and paid:
        log_personal_access(
            request.user,
            PersonalDataAccess.Action.VIEW_LIST,
            "paid_benefits",
            code,
            code,
            request=request,
        )
    can_estimate = scope_for(request.user, Capability.MANAGE_REFERENCE).contains(code)
    return render(
        request,
        "reports/dashboard.html",
        {
            "board": board,
            "year": year,
            "map": _coverage_map(code, _areas(board, True)),
            "legend": graphics.legend(),
            "trend": _trend([(m.month, m.covered) for m in board.months]),
            "paid": [
                (claim, claim.worker.full_name if personal else mask_name(claim.worker.full_name))
                for claim in paid
            ],
            "estimate_form": _dashboard_estimate_form(request.user, code, year)
            if can_estimate
            else None,
        },
    )


def _xlsx(request, board, panel: str) -> HttpResponse:
    if panel == "claims":
        code = board.region.code
        personal = scope_for(request.user, Capability.VIEW_PERSONAL_DATA).contains(code)
        if personal:
            log_personal_access(
                request.user,
                PersonalDataAccess.Action.EXPORT,
                "paid_benefits",
                code,
                code,
                request=request,
            )
        claims = selectors.paid_benefits(request.user, board.region)
        content = exports.claims_xlsx(
            (c, c.worker.full_name if personal else mask_name(c.worker.full_name)) for c in claims
        )
    else:
        content = exports.panel_xlsx(board, panel)
    response = HttpResponse(content, content_type=XLSX_CONTENT_TYPE)
    name = f"{panel}-{board.region.code}-{board.year}.xlsx"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


@login_required
@takes_year(default=lambda request: report_date().year)
def monthly_pdf(request, code: str, year: int):
    region = selectors.region_for_dashboard(request.user, code)
    board = selectors.dashboard(region, year)
    if board.total is None:  # nothing counted yet: the dashboard says so
        messages.info(request, _("No figures yet: they appear after the first import."))
        return redirect(f"{reverse('reports:dashboard', args=[code])}?tahun={year}")
    content = exports.monthly_pdf(
        board,
        _coverage_map(code, _areas(board, False), width=640),
        _trend([(m.month, m.covered) for m in board.months], 640),
    )
    response = HttpResponse(content, content_type="application/pdf")
    stamp = timezone.localdate().strftime("%Y-%m")
    response["Content-Disposition"] = f'attachment; filename="laporan-{code}-{stamp}.pdf"'
    return response


@login_required
@require_POST
def estimate(request, code: str):
    """The dashboard's own form: this region's estimate for a year, created or replaced."""
    region = selectors.region_for_dashboard(request.user, code)
    require(request.user, Capability.MANAGE_REFERENCE, code)
    year = request.POST.get("year", "")
    row = WorkforceEstimate.objects.filter(
        region=region, year=int(year) if year.isdigit() else 0
    ).first()
    form = EstimateForm(
        {**request.POST.dict(), "region": region.code}, instance=row, user=request.user
    )
    if form.is_valid():
        form.instance.updated_by = request.user
        try:
            save_reference(form.save(commit=False), request.user, form.cleaned_data["reason"])
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            messages.success(request, _("Estimate saved."))
    else:
        messages.error(request, _("Check the estimate."))
    return redirect("reports:dashboard", region.code)


def _estimate_title(row) -> str:
    return f"{row.region.display_name} ({row.region_id}) {row.year}"


@login_required
def estimates(request):
    require(request.user, Capability.MANAGE_REFERENCE)
    form = EstimateForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        form.instance.updated_by = request.user
    return screens.list_page(
        request,
        title=_("Informal workforce estimates"),
        intro=_(
            "The informal workforce of a kabupaten/kota or kecamatan per year: the denominator of "
            "the coverage rate on the dashboards. Name the source (e.g. BPS Sakernas)."
        ),
        rows=editable(
            WorkforceEstimate.objects.select_related("region").order_by("region", "-year"),
            request.user,
        ),
        headers=[_("Region"), _("Year"), _("Informal workers"), _("Source")],
        cells=lambda e: [
            f"{e.region.display_name} ({e.region_id})",
            e.year,
            ribuan(e.informal_workers),
            e.source,
        ],
        link=lambda e: reverse("reports:estimate_edit", args=[e.pk]),
        form=form,
    )


@login_required
def estimate_edit(request, pk: int):
    row = get_object_or_404(
        editable(WorkforceEstimate.objects.select_related("region"), request.user), pk=pk
    )
    form = EstimateForm(request.POST or None, instance=row, user=request.user)
    if request.method == "POST" and form.is_valid():
        form.instance.updated_by = request.user
    return screens.edit_page(
        request,
        row,
        form,
        title=_("Informal workforce estimate: %(what)s") % {"what": _estimate_title(row)},
        back=reverse("reports:estimates"),
    )


def public(request, code: str = ""):
    """Anonymous: aggregates only, no names, no count of 1–4 readable or derivable."""
    code = code or "ID"
    total, published, children = selectors.public_view(code)
    region = Region.objects.filter(code=code).select_related("parent").first()
    areas = {
        c["code"]: graphics.Area(
            c["code"],
            c["name"],
            c["rate"].value,
            reverse("reports:public_region", args=[c["code"]]),
            hidden=c["rate"].suppressed,
        )
        for c in children
        if c["level"] < Level.VILLAGE
    }
    return render(
        request,
        "reports/public.html",
        {
            "total": total,
            "published": published,
            "region": region,
            "children": children,
            "map": _coverage_map(code, areas),
            "legend": graphics.legend(with_hidden=True),
            "trend": _trend(selectors.public_trend(total, published)),
            "small_cell": selectors.SMALL_CELL,
        },
    )


def _public_national(request, year: int):
    """``/nasional/`` for anyone not logged in: the kabupaten/kota compared on the published
    figures only (the public pages' suppression), linking to their public pages."""

    def context():
        rows = selectors.public_league(year)
        total, published, _children = selectors.public_view("ID") if rows else (None, None, [])
        return {"rows": rows, "total": total, "published": published, "year": year}

    league = _summary_fragment(request, "reports/_national_public_league.html", context, year)
    return render(request, "reports/national_public.html", {"league": league, "year": year})


@takes_year(default=lambda request: report_date().year)
def national(request, year: int):
    """The league of kabupaten/kota: the staff's version for whoever may read reports, the
    public one (published figures only) for anyone else, logged in or not."""
    if (
        not request.user.is_authenticated
        or scope_for(request.user, Capability.VIEW_REPORTS).is_empty
    ):
        return _public_national(request, year)
    province = request.GET.get("provinsi", "")
    province = (
        province if province.isascii() and province.isdigit() and len(province) == 2 else None
    )
    if request.GET.get("format") == "xlsx":
        rows = selectors.league(request.user, province, year)
        response = HttpResponse(exports.league_xlsx(rows), content_type=XLSX_CONTENT_TYPE)
        response["Content-Disposition"] = f'attachment; filename="perbandingan-{year}.xlsx"'
        return response

    def context():
        rows = selectors.league(request.user, province, year)
        everyone = selectors.league(request.user, None, year) if province else rows
        provinces = Region.objects.filter(
            level=Level.PROVINCE, code__in={row.fact.parent_code for row in everyone}
        ).order_by("code")
        return {
            "rows": rows,
            "total": selectors.national_total(year),
            "provinces": provinces,
            "province": province,
            "year": year,
        }

    scope = scope_for(request.user, Capability.VIEW_REPORTS)
    league = _summary_fragment(
        request,
        "reports/_national_league.html",
        context,
        year,
        province or "",
        "*" if scope.everything else ",".join(sorted(scope.codes)),
    )
    return render(request, "reports/national.html", {"league": league, "year": year})


def _summary_fragment(request, template: str, context, *varies) -> SafeString:
    """A table drawn only from the summary tables, rendered once per change of the summaries
    (and per language and what else it ``varies`` on): the league of all 514 kabupaten/kota
    takes a few hundred milliseconds to draw, and its rows change only with a refresh."""
    key = ":".join(
        [
            "reports:fragment",
            template,
            selectors.summaries_version(),
            get_language(),
            *map(str, varies),
        ]
    )
    html = cache.get(key)
    if html is None:
        html = render_to_string(template, context(), request)
        cache.set(key, html, timeout=86400)
    return html  # a SafeString, also when it comes back from the cache (pickled with its type)
