import json

from django.contrib.auth.decorators import login_required
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from jaring.accounts.rules import Capability
from jaring.accounts.scoping import require
from jaring.programs.rulebook import default_rulebook
from jaring.reference import screens
from jaring.reference.forms import LetterheadForm, PlkkForm, RulesDayForm, SignatoryForm
from jaring.reference.models import Letterhead, Plkk, Signatory
from jaring.reference.selectors import editable


@login_required
def index(request):
    """What reference data there is and where each kind is edited."""
    require(request.user, Capability.MANAGE_REFERENCE)
    return render(request, "reference/index.html")


def _region(row) -> str:
    return f"{row.region.display_name} ({row.region_id})"


@login_required
def letterheads(request):
    require(request.user, Capability.MANAGE_REFERENCE)
    return screens.list_page(
        request,
        title=_("Letterheads"),
        intro=_(
            "The letterhead printed at the top of the invoices, the handover record (berita "
            "acara) and the monthly report of a region; a kabupaten without one uses its "
            "province's."
        ),
        rows=editable(Letterhead.objects.select_related("region"), request.user),
        headers=[_("Region"), _("Government"), _("Office"), _("Place of signing")],
        cells=lambda r: [_region(r), r.government, r.office, r.city],
        link=lambda r: reverse("reference:letterhead", args=[r.pk]),
        form=LetterheadForm(request.POST or None, user=request.user),
    )


@login_required
def letterhead(request, pk: int):
    row = get_object_or_404(
        editable(Letterhead.objects.select_related("region"), request.user), pk=pk
    )
    return screens.edit_page(
        request,
        row,
        LetterheadForm(request.POST or None, instance=row, user=request.user),
        title=_("Letterhead: %(region)s") % {"region": _region(row)},
        back=reverse("reference:letterheads"),
    )


@login_required
def signatories(request):
    require(request.user, Capability.MANAGE_REFERENCE)
    return screens.list_page(
        request,
        title=_("Signatories"),
        intro=_("Who signs each kind of document Jaring prints for a region."),
        rows=editable(Signatory.objects.select_related("region"), request.user),
        headers=[_("Region"), _("Document"), _("Name"), _("Position"), _("NIP")],
        cells=lambda r: [_region(r), r.get_purpose_display(), r.name, r.position, r.nip],
        link=lambda r: reverse("reference:signatory", args=[r.pk]),
        form=SignatoryForm(request.POST or None, user=request.user),
    )


@login_required
def signatory(request, pk: int):
    row = get_object_or_404(
        editable(Signatory.objects.select_related("region"), request.user), pk=pk
    )
    return screens.edit_page(
        request,
        row,
        SignatoryForm(request.POST or None, instance=row, user=request.user),
        title=_("Signatory: %(name)s") % {"name": row.name},
        back=reverse("reference:signatories"),
    )


@login_required
def plkk_list(request):
    require(request.user, Capability.MANAGE_REFERENCE)
    return screens.list_page(
        request,
        title=_("PLKK (work-accident service centres)"),
        intro=_(
            "Clinics and hospitals with a BPJS Ketenagakerjaan agreement that treat work-accident "
            "patients without charging them. A JKK claim's page lists those of its kabupaten."
        ),
        rows=editable(Plkk.objects.select_related("region"), request.user),
        headers=[_("Region"), _("Name"), _("Kind"), _("Address"), _("Active")],
        cells=lambda r: [
            _region(r),
            r.name,
            r.get_kind_display(),
            r.address,
            _("yes") if r.active else _("no"),
        ],
        link=lambda r: reverse("reference:plkk", args=[r.pk]),
        form=PlkkForm(request.POST or None, user=request.user),
    )


@login_required
def plkk(request, pk: int):
    row = get_object_or_404(editable(Plkk.objects.select_related("region"), request.user), pk=pk)
    return screens.edit_page(
        request,
        row,
        PlkkForm(request.POST or None, instance=row, user=request.user),
        title=_("PLKK: %(name)s") % {"name": row.name},
        back=reverse("reference:plkk_list"),
    )


@login_required
@require_GET
def rules_in_force(request):
    """Read only: the rows of the regulation rules file in force on a day, with their source.
    A regulation change is a reviewed change of that file, not an edit here."""
    require(request.user, Capability.VIEW_REGIONS)
    form = RulesDayForm(request.GET or None)
    day = form.cleaned_data["tanggal"] if form.is_valid() else timezone.localdate()
    book = default_rulebook()
    rows = []
    for key in book.keys():
        version = book.find(key, day)
        value = version.value if version else None
        shown = value if isinstance(value, str | int) else json.dumps(value, ensure_ascii=False)
        rows.append((key, version, shown))
    return render(
        request,
        "reference/rules.html",
        {"form": form, "day": day, "rows": rows},
    )
