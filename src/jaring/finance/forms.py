import re

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from jaring.core.forms import RupiahField
from jaring.core.params import FIRST_YEAR, LAST_YEAR
from jaring.core.text import ascii_digits
from jaring.finance.models import FundingSource
from jaring.finance.reconciliation.rules import Action
from jaring.reference.screens import ReferenceForm


class AllocationForm(forms.Form):
    source_name = forms.CharField(label=_("Funding source"), max_length=120)
    kind = forms.ChoiceField(label=_("Kind"), choices=FundingSource.Kind.choices)
    fiscal_year = forms.IntegerField(
        label=_("Fiscal year"), min_value=FIRST_YEAR, max_value=LAST_YEAR
    )
    amount = RupiahField(label=_("Allocation (Rp)"), min_value=0)
    budget_document = forms.CharField(label=_("Budget document"), max_length=120, required=False)


class PlanForm(forms.Form):
    source = forms.ModelChoiceField(
        label=_("Funding source"), queryset=FundingSource.objects.none()
    )
    fiscal_year = forms.IntegerField(
        label=_("Fiscal year"), min_value=FIRST_YEAR, max_value=LAST_YEAR
    )
    start_month = forms.DateField(
        label=_("First covered month"),
        required=False,
        input_formats=["%Y-%m", "%Y-%m-%d"],
        widget=forms.DateInput(attrs={"type": "month"}),
    )
    quotas = forms.CharField(
        label=_("Quota per district"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_(
            "One per line: district name or code=number, e.g. Bantan=500 or 14.03.02=500"
        ),
    )

    # What the preview showed (selected workers, cost): committing checks the plan is still so.
    shown_selected = forms.IntegerField(widget=forms.HiddenInput, required=False, min_value=0)
    shown_cost = forms.IntegerField(widget=forms.HiddenInput, required=False, min_value=0)

    def __init__(self, *args, sources=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["source"].queryset = sources

    def clean(self):
        data = super().clean()
        selected, cost = data.get("shown_selected"), data.get("shown_cost")
        data["shown"] = None if selected is None or cost is None else (selected, cost)
        return data

    def clean_quotas(self):
        quotas = {}
        for line in self.cleaned_data["quotas"].splitlines():
            if not line.strip():
                continue
            code, _, number = line.partition("=")
            if not number.strip().isdigit():
                raise forms.ValidationError(_("Write each quota as name or code=number."))
            quotas[code.strip()] = int(number)
        return quotas


class BillForm(forms.Form):
    month = forms.DateField(
        label=_("Month"),
        input_formats=["%Y-%m", "%Y-%m-%d"],
        widget=forms.DateInput(attrs={"type": "month"}),
    )


class PaymentForm(forms.Form):
    """A payment against an invoice: by default today, for what is still owed."""

    amount = RupiahField(label=_("Amount (Rp)"), min_value=1)
    paid_on = forms.DateField(
        label=_("Paid on"),
        initial=timezone.localdate,
        # A date input reads and writes ISO dates only, whatever the language of the page.
        input_formats=["%Y-%m-%d", "%d-%m-%Y", "%d/%m/%Y"],
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )
    reference = forms.CharField(label=_("Reference (SP2D / transfer)"), max_length=80)
    note = forms.CharField(label=_("Note"), max_length=255, required=False)


class StatementForm(forms.Form):
    """A BPJS branch's monthly statement for one funding source (reconciliation)."""

    source = forms.ModelChoiceField(
        label=_("Funding source"), queryset=FundingSource.objects.none()
    )
    month = forms.DateField(
        label=_("Month"),
        input_formats=["%Y-%m", "%Y-%m-%d"],
        widget=forms.DateInput(attrs={"type": "month"}),
    )
    file = forms.FileField(label=_("Statement from the BPJS branch (.xlsx, .xls, .csv)"))

    def __init__(self, *args, sources=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["source"].queryset = sources


class DecisionForm(forms.Form):
    difference = forms.IntegerField(widget=forms.HiddenInput)
    action = forms.ChoiceField(label=_("Action"), choices=Action.choices)
    note = forms.CharField(label=_("Why"), max_length=255)


class FundingSourceForm(ReferenceForm):
    region_levels = (2,)

    class Meta:
        model = FundingSource
        fields = ["region", "kind", "name", "active"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # The kind decides the contribution rules (PP 50/2025 relief) of what was budgeted and
        # enrolled under it: fixed once the source has money or participants.
        source = self.instance
        if source.pk and (source.allocations.exists() or source.enrolments.exists()):
            self.fields["kind"].disabled = True
            self.fields["kind"].help_text = _(
                "Fixed: this source already has allocations or participants."
            )


class CoverageCheckForm(forms.Form):
    """A citizen's own coverage check: the NIK and the birth date must both match."""

    nik = forms.CharField(
        label=_("NIK (16 digits, on your KTP)"),
        max_length=40,
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off"}),
    )
    birth_date = forms.DateField(
        label=_("Date of birth"),
        input_formats=["%Y-%m-%d", "%d-%m-%Y", "%d/%m/%Y"],
        widget=forms.DateInput(attrs={"type": "date", "autocomplete": "bday"}, format="%Y-%m-%d"),
    )

    def clean_nik(self):
        nik = re.sub(r"[\s.\-]", "", ascii_digits(self.cleaned_data["nik"]))
        if not re.fullmatch(r"[0-9]{16}", nik):
            raise forms.ValidationError(_("A NIK has 16 digits."), code="nik_length")
        return nik
