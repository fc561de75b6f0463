from django import forms
from django.utils.translation import gettext_lazy as _

from jaring.core.spreadsheets import MAX_FILE_BYTES
from jaring.reference.screens import ReferenceForm
from jaring.regions.models import Region
from jaring.registry.models import DuplicateCandidate, Occupation, Sex, WorkerStatus

ACCEPTED_SUFFIXES = (".xlsx", ".xls", ".csv")


class WorkerFilterForm(forms.Form):
    q = forms.CharField(label=_("Name or full NIK"), required=False, max_length=100)
    district = forms.ChoiceField(label=_("District"), required=False)
    village = forms.ChoiceField(label=_("Village"), required=False)
    occupation = forms.ModelChoiceField(
        label=_("Occupation"), queryset=Occupation.objects.all(), required=False
    )
    status = forms.ChoiceField(
        label=_("Status"), required=False, choices=[("", "—"), *WorkerStatus.choices]
    )
    desil = forms.TypedChoiceField(
        label=_("Decile"),
        required=False,
        coerce=int,
        empty_value=None,
        choices=[("", "—")] + [(str(d), str(d)) for d in range(1, 11)],
    )

    def __init__(self, *args, districts=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["district"].choices = [("", "—")] + [(d.code, d.name) for d in districts]
        # Villages of the chosen district (the list is filtered again after choosing one).
        chosen = self.data.get("district") if self.is_bound else ""
        villages = (
            Region.objects.filter(parent_id=chosen).order_by("name")
            if chosen in {d.code for d in districts}
            else Region.objects.none()
        )
        self.fields["village"].choices = [("", "—")] + [(v.code, v.name) for v in villages]


class ImportForm(forms.Form):
    file = forms.FileField(label=_("File (.xlsx, .xls or .csv)"))
    region = forms.ChoiceField(label=_("Region of the list"))
    source = forms.CharField(
        label=_("Data source"),
        required=False,
        max_length=50,
        help_text=_("e.g. DTKS, P3KE, village list"),
    )
    dry_run = forms.BooleanField(label=_("Check only (change nothing)"), required=False)

    def __init__(self, *args, regions=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["region"].choices = [(r.code, r.display_name) for r in regions]

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if not upload.name.lower().endswith(ACCEPTED_SUFFIXES):
            raise forms.ValidationError(_("Upload an .xlsx, .xls or .csv file."))
        if upload.size > MAX_FILE_BYTES:
            raise forms.ValidationError(
                _("The file is larger than %(mb)s MB."), params={"mb": MAX_FILE_BYTES // 2**20}
            )
        return upload


class RevealNikForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason"), max_length=255, help_text=_("Recorded in the audit log.")
    )


class DuplicateReviewForm(forms.Form):
    verdict = forms.ChoiceField(
        choices=[
            (DuplicateCandidate.Status.SAME_PERSON, _("Same person")),
            (DuplicateCandidate.Status.DIFFERENT, _("Different people")),
        ]
    )


class TransferDecisionForm(forms.Form):
    decision = forms.ChoiceField(choices=[("accept", _("Accept")), ("refuse", _("Refuse"))])
    reason = forms.CharField(label=_("Reason"), max_length=255, required=False)


class WorkerForm(forms.Form):
    """One worker typed by an operator (the same checks as an import row, in the service)."""

    nik = forms.CharField(label=_("NIK"), max_length=32)
    full_name = forms.CharField(label=_("Full name"), max_length=150)
    sex = forms.ChoiceField(label=_("Sex"), choices=Sex.choices)
    birth_date = forms.DateField(
        label=_("Birth date"), widget=forms.DateInput(attrs={"type": "date"})
    )
    village = forms.CharField(
        label=_("Village code"), max_length=13, help_text=_("e.g. 14.03.01.2001")
    )
    occupation = forms.ModelChoiceField(label=_("Occupation"), queryset=Occupation.objects.all())
    phone = forms.CharField(label=_("Phone"), max_length=20, required=False)
    address = forms.CharField(label=_("Address"), max_length=255, required=False)


class WorkerEditForm(forms.Form):
    """What may change after registration: contact, address, occupation, a move within the
    kabupaten; every change gives its reason (kept in the worker's history)."""

    phone = forms.CharField(label=_("Phone"), max_length=20, required=False)
    address = forms.CharField(label=_("Address"), max_length=255, required=False)
    rt_rw = forms.CharField(label=_("RT/RW"), max_length=20, required=False)
    village = forms.ChoiceField(label=_("Village"))
    occupation = forms.ModelChoiceField(label=_("Occupation"), queryset=Occupation.objects.all())
    reason = forms.CharField(
        label=_("Reason for the change"), max_length=100, help_text=_("Kept in the history.")
    )

    def __init__(self, *args, villages=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["village"].choices = [(v.code, f"{v.parent.name} — {v.name}") for v in villages]


class OccupationForm(ReferenceForm):
    class Meta:
        model = Occupation
        fields = ["code", "name", "group", "synonyms", "sort_order"]
