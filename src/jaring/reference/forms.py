import datetime

from django import forms
from django.utils.translation import gettext_lazy as _

from jaring.reference.models import Letterhead, Plkk, Signatory
from jaring.reference.screens import ReferenceForm


class LetterheadForm(ReferenceForm):
    class Meta:
        model = Letterhead
        fields = ["region", "government", "office", "address", "contact", "city"]


class SignatoryForm(ReferenceForm):
    class Meta:
        model = Signatory
        fields = ["region", "purpose", "name", "position", "nip"]


class PlkkForm(ReferenceForm):
    region_levels = (2, 3)

    class Meta:
        model = Plkk
        fields = ["region", "name", "kind", "address", "phone", "active"]


class RulesDayForm(forms.Form):
    tanggal = forms.DateField(
        label=_("Day"), initial=datetime.date.today, widget=forms.DateInput(attrs={"type": "date"})
    )
