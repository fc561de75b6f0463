from django import forms
from django.utils.translation import gettext_lazy as _

from jaring.accounts.models import OrgUnit
from jaring.accounts.rules import Capability
from jaring.accounts.scoping import scoped
from jaring.enrolment.models import BranchFormat
from jaring.reference.screens import ReferenceForm


class LayoutField(forms.CharField):
    """[header, field] pairs written one per line as ``HEADER = field``."""

    widget = forms.Textarea(attrs={"rows": 8})

    def prepare_value(self, value):
        if isinstance(value, list):
            return "\n".join(f"{header} = {field}" for header, field in value)
        return value

    def to_python(self, value):
        pairs = []
        for line in (value or "").splitlines():
            if not line.strip():
                continue
            header, sign, field = line.rpartition("=")
            if not sign:
                raise forms.ValidationError(_("Write one column per line as HEADER = field."))
            pairs.append([header.strip(), field.strip()])
        return pairs


class BranchFormatForm(ReferenceForm):
    columns = LayoutField(
        label=_("Submission columns"),
        help_text=_("In order, one per line: HEADER = field. Fields: %(fields)s.")
        % {"fields": ", ".join(BranchFormat.FIELDS)},
    )
    reply_columns = LayoutField(
        label=_("Reply headers"),
        required=False,
        help_text=_(
            "Header names the branch's reply uses beyond the usual ones, one per line: "
            "HEADER = field. Fields: %(fields)s."
        )
        % {"fields": ", ".join(BranchFormat.REPLY_FIELDS)},
    )

    claim_report_columns = LayoutField(
        label=_("Claim report headers"),
        required=False,
        help_text=_(
            "Header names the branch's claim / benefit payment report uses beyond the usual "
            "ones, one per line: HEADER = field. Fields: %(fields)s."
        )
        % {"fields": ", ".join(BranchFormat.CLAIM_REPORT_FIELDS)},
    )

    class Meta:
        model = BranchFormat
        fields = ["office", "columns", "reply_columns", "claim_report_columns"]

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, user=user, **kwargs)
        offices = OrgUnit.objects.filter(kind=OrgUnit.Kind.BPJS).order_by("name")
        self.fields["office"].queryset = scoped(offices, user, Capability.MANAGE_REFERENCE)
        self.fields["office"].disabled = self.instance.pk is not None
