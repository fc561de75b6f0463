"""Form fields every app shares."""

from django import forms
from django.utils.translation import gettext_lazy as _

from jaring.core.formatting import ribuan
from jaring.core.money import parse_rupiah


class RupiahField(forms.IntegerField):
    """An amount in whole rupiah typed as people write it: ``199.811.200``, ``Rp199.811.200``
    or ``199811200`` (``core.money.parse_rupiah``); shown back grouped (``199.811.200``).

    A text box, not ``type=number``: a browser refuses the dots of a number input."""

    widget = forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off"})
    default_error_messages = {
        "invalid": _("Write a whole amount in rupiah, e.g. 199.811.200."),
    }

    def to_python(self, value):
        if value in self.empty_values:
            return None
        if isinstance(value, int):
            return value
        try:
            return parse_rupiah(value)
        except ValueError:
            raise forms.ValidationError(self.error_messages["invalid"], code="invalid") from None

    def prepare_value(self, value):
        return ribuan(value) if isinstance(value, int) and not isinstance(value, bool) else value

    def widget_attrs(self, widget):
        # IntegerField would add min/max/step, which only a number input understands.
        return forms.Field.widget_attrs(self, widget)
