from django import forms
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from jaring.claims.labels import COMPONENT_LABELS, DOCUMENT_LABELS
from jaring.claims.models import (
    Claim,
    DisabilityAssessment,
    FamilyMember,
    Instalment,
    ScholarshipYear,
    SentVia,
    SuspectedAccident,
)
from jaring.claims.rules import MAX_DOCUMENT_BYTES
from jaring.claims.services import Outcome
from jaring.core.formatting import rupiah
from jaring.programs.rules import Education, Program

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class ReportForm(forms.Form):
    nik = forms.CharField(label=_("Worker's NIK"), max_length=20, required=False)
    worker_id = forms.IntegerField(widget=forms.HiddenInput, required=False)
    program = forms.ChoiceField(
        label=_("Programme"), choices=[(Program.JKM.value, "JKM"), (Program.JKK.value, "JKK")]
    )
    event = forms.ChoiceField(label=_("Event"), choices=Claim._meta.get_field("event").choices)
    event_date = forms.DateField(label=_("Event date"), widget=DATE)
    place = forms.CharField(label=_("Place"), max_length=200, required=False)
    cause = forms.CharField(label=_("Cause"), max_length=300, required=False)
    traffic_accident = forms.BooleanField(label=_("Traffic accident"), required=False)
    disability_percent = forms.DecimalField(
        label=_("Disability percentage (table)"), min_value=0, max_value=99.99, required=False
    )
    incapacity_days = forms.IntegerField(
        label=_("Days unable to work"), min_value=0, required=False
    )
    reported_by = forms.ChoiceField(label=_("Reported by"), choices=Claim.Reporter.choices)
    reporter_name = forms.CharField(label=_("Reporter's name"), max_length=150, required=False)
    reporter_phone = forms.CharField(label=_("Reporter's phone"), max_length=20, required=False)
    notes = forms.CharField(
        label=_("Notes"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )

    # Shown (static/jaring/claim-report.js) and accepted only for a work accident (JKK).
    ACCIDENT_FIELDS = ("cause", "traffic_accident", "disability_percent", "incapacity_days")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name in self.ACCIDENT_FIELDS:
            self.fields[name].widget.attrs["data-jkk-only"] = "1"

    def clean(self):
        data = super().clean()
        if not data.get("nik") and not data.get("worker_id"):
            raise forms.ValidationError(_("Give the worker's NIK."))
        if data.get("program") != Program.JKK.value:
            for name in self.ACCIDENT_FIELDS:
                if data.get(name):
                    self.add_error(name, _("Only for a work accident (JKK)."))
        return data


class FamilyMemberForm(forms.ModelForm):
    nik = forms.CharField(label="NIK", max_length=20, required=False)

    class Meta:
        model = FamilyMember
        fields = [
            "full_name",
            "relationship",
            "birth_date",
            "alive",
            "married",
            "working",
            "education",
            "school_class",
            "phone",
        ]
        widgets = {"birth_date": DATE}


class HeirOverrideForm(forms.Form):
    heirs = forms.ModelMultipleChoiceField(
        label=_("Heirs"), queryset=FamilyMember.objects.none(), widget=forms.CheckboxSelectMultiple
    )
    reason = forms.CharField(
        label=_("Justification"), widget=forms.Textarea(attrs={"rows": 2}), min_length=20
    )

    def __init__(self, *args, claim=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["heirs"].queryset = claim.family.all() if claim else FamilyMember.objects.none()


class DocumentForm(forms.Form):
    kind = forms.ChoiceField(label=_("Document"), choices=list(DOCUMENT_LABELS.items()))
    also = forms.MultipleChoiceField(
        label=_("The same file also serves as"),
        choices=list(DOCUMENT_LABELS.items()),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    file = forms.FileField(
        label=format_lazy(
            _("File (PDF, JPG or PNG, at most {mb} MB)"), mb=MAX_DOCUMENT_BYTES // 2**20
        )
    )


class DecisionForm(forms.Form):
    action = forms.ChoiceField(
        choices=[(a, a) for a in ("open", "dismiss", "recheck", "submit", "approve", "return")]
    )
    note = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 2}))


class InstalmentChoice(forms.ModelChoiceField):
    """ "Santunan tunai — Rp42.000.000", never the row's code."""

    def label_from_instance(self, obj: Instalment) -> str:
        what = obj.get_kind_display()
        if obj.child_id:
            what = f"{what} {obj.level} ({_('year')} {obj.sequence})"
        return f"{what} — {rupiah(obj.outstanding)}"


class HeirChoice(forms.ModelChoiceField):
    def label_from_instance(self, obj: FamilyMember) -> str:
        return f"{obj.full_name} — {obj.get_relationship_display()}"


class SendingForm(forms.Form):
    sent_on = forms.DateField(label=_("Sent to BPJS on"), widget=DATE)
    via = forms.ChoiceField(label=_("How"), choices=SentVia.choices)


class ReceiptForm(forms.Form):
    received_on = forms.DateField(label=_("Complete file received by BPJS on"), widget=DATE)
    bpjs_claim_number = forms.CharField(label=_("BPJS claim number"), max_length=60)


class BpjsDecisionForm(forms.Form):
    """BPJS's decision; for an approval, the amount of each component as BPJS computed it
    (prefilled with Jaring's expected amounts)."""

    outcome = forms.ChoiceField(
        label=_("BPJS's decision"),
        choices=[
            (Outcome.APPROVED, _("Approved (to be paid)")),
            (Outcome.REFUSED, _("Refused")),
            (Outcome.MORE_DOCUMENTS, _("More documents needed (back to the Pemda)")),
        ],
    )
    decided_on = forms.DateField(label=_("Decision date"), widget=DATE)
    reason = forms.CharField(
        label=_("BPJS's reason or the documents needed"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    def __init__(self, *args, claim=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.codes = [c["code"] for c in claim.components] if claim is not None else []
        for component in claim.components if claim is not None else []:
            self.fields[f"amount_{component['code']}"] = forms.IntegerField(
                label=format_lazy(
                    _("{component} by BPJS (Rp)"), component=COMPONENT_LABELS[component["code"]]
                ),
                min_value=0,
                required=False,
                initial=component["amount"],
            )

    def amounts(self) -> dict[str, int]:
        return {
            code: self.cleaned_data[f"amount_{code}"]
            for code in self.codes
            if self.cleaned_data.get(f"amount_{code}") is not None
        }


class PaymentForm(forms.Form):
    instalment = InstalmentChoice(label=_("For"), queryset=Instalment.objects.none())
    recipient = HeirChoice(label=_("Paid to"), queryset=FamilyMember.objects.none(), required=False)
    amount = forms.IntegerField(label=_("Amount (Rp)"), min_value=1)
    paid_on = forms.DateField(label=_("Payment date"), widget=DATE)
    bank = forms.CharField(label=_("Bank"), max_length=60)
    account_number = forms.CharField(label=_("Account number"), max_length=30)
    account_holder = forms.CharField(label=_("Account holder"), max_length=150)
    reference = forms.CharField(label=_("Transfer reference"), max_length=80)

    def __init__(self, *args, claim=None, **kwargs):
        super().__init__(*args, **kwargs)
        if claim is not None:
            self.fields["instalment"].queryset = claim.instalments.all()
            self.fields["recipient"].queryset = claim.family.filter(is_heir=True)


class HandoverForm(forms.Form):
    recipient = HeirChoice(
        label=_("Received by"), queryset=FamilyMember.objects.none(), required=False
    )
    held_on = forms.DateField(label=_("Date"), widget=DATE)
    place = forms.CharField(label=_("Place"), max_length=200)
    city = forms.CharField(label=_("City"), max_length=100)
    handed_by_name = forms.CharField(label=_("Handed over by (name)"), max_length=150)
    handed_by_title = forms.CharField(label=_("Handed over by (title)"), max_length=150)
    bpjs_name = forms.CharField(label=_("BPJS official (name)"), max_length=150)
    bpjs_title = forms.CharField(label=_("BPJS official's title"), max_length=150)
    witness_name = forms.CharField(label=_("Witness (name)"), max_length=150, required=False)
    witness_title = forms.CharField(label=_("Witness's title"), max_length=150, required=False)
    photo = forms.FileField(label=_("Photo (optional)"), required=False)

    def __init__(self, *args, claim=None, **kwargs):
        super().__init__(*args, **kwargs)
        if claim is not None:
            self.fields["recipient"].queryset = claim.family.filter(is_heir=True)


class DeathListForm(forms.Form):
    region = forms.ChoiceField(label=_("Region"))
    file = forms.FileField(label=_("Death list (CSV, XLSX or XLS): NIK, name, date of death"))

    def __init__(self, *args, regions=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["region"].choices = [(r.code, r.display_name) for r in regions]


# --- The JKK path (each form takes the action's name as its prefix: one page holds them all) --

DATETIME = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")


class StageOneForm(forms.Form):
    accident_at = forms.DateTimeField(label=_("Accident happened at"), widget=DATETIME)
    made_at = forms.DateTimeField(label=_("Stage I report made at"), widget=DATETIME)
    note = forms.CharField(label=_("Note"), max_length=300, required=False)


class StageTwoForm(forms.Form):
    treatment_ended_on = forms.DateField(
        label=_("Treatment ended on (doctor's statement)"), widget=DATE
    )
    made_at = forms.DateTimeField(label=_("Stage II report made at"), widget=DATETIME)
    note = forms.CharField(label=_("Note"), max_length=300, required=False)


class TreatmentForm(forms.Form):
    plkk = forms.TypedChoiceField(label=_("PLKK"), coerce=int)
    admitted_on = forms.DateField(label=_("Admitted on"), widget=DATE)
    discharged_on = forms.DateField(label=_("Discharged on"), widget=DATE, required=False)

    def __init__(self, *args, plkk=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["plkk"].choices = [(p.pk, f"{p.name} ({p.get_kind_display()})") for p in plkk]


class DischargeForm(forms.Form):
    treatment = forms.ModelChoiceField(label=_("Treatment"), queryset=Claim.objects.none())
    discharged_on = forms.DateField(label=_("Discharged on"), widget=DATE)

    def __init__(self, *args, claim=None, **kwargs):
        super().__init__(*args, **kwargs)
        if claim is not None:
            self.fields["treatment"].queryset = claim.treatments.filter(
                discharged_on__isnull=True
            ).select_related("plkk")
        self.fields["treatment"].label_from_instance = lambda t: f"{t.plkk.name}, {t.admitted_on}"


class IncapacityPeriodForm(forms.Form):
    starts_on = forms.DateField(label=_("Unable to work from"), widget=DATE)
    ends_on = forms.DateField(label=_("to"), widget=DATE)


class IncapacityPaymentForm(forms.Form):
    period = forms.ModelChoiceField(label=_("Period"), queryset=Claim.objects.none())
    amount = forms.IntegerField(label=_("Paid by BPJS (Rp)"), min_value=1)
    paid_on = forms.DateField(label=_("BPJS payment date"), widget=DATE)
    reference = forms.CharField(label=_("Transfer reference"), max_length=80, required=False)

    def __init__(self, *args, claim=None, **kwargs):
        super().__init__(*args, **kwargs)
        if claim is not None:
            self.fields["period"].queryset = claim.incapacity_periods.all()
        self.fields["period"].label_from_instance = lambda p: f"{p.starts_on} – {p.ends_on}"


class ReturnToWorkForm(forms.Form):
    returned_on = forms.DateField(label=_("Back at work on"), widget=DATE)


class AssessmentForm(forms.Form):
    kind = forms.ChoiceField(
        label=_("Doctor's assessment"),
        choices=DisabilityAssessment._meta.get_field("kind").choices,
    )
    assessed_on = forms.DateField(label=_("Assessed on"), widget=DATE)
    doctor = forms.CharField(label=_("Doctor"), max_length=150)
    table_percent = forms.DecimalField(
        label=_("Percentage in the table"), min_value=0, max_value=99.99, required=False
    )
    function_loss_percent = forms.DecimalField(
        label=_("Function lost (%)"), min_value=0, max_value=100, required=False
    )


class SuspicionForm(forms.Form):
    notified_on = forms.DateField(label=_("BPJS notified on"), widget=DATE)
    description = forms.CharField(
        label=_("What is suspected"), widget=forms.Textarea(attrs={"rows": 2}), min_length=10
    )


class RulingForm(forms.Form):
    ruling = forms.ChoiceField(label=_("BPJS's ruling"), choices=SuspectedAccident.Ruling.choices)
    ruled_on = forms.DateField(label=_("Ruled on"), widget=DATE)
    note = forms.CharField(label=_("BPJS's reason"), max_length=500, required=False)


class ScholarshipApplicationForm(forms.Form):
    """One school year applied for: the child, its level and class, and the school certificate."""

    child = HeirChoice(label=_("Child"), queryset=FamilyMember.objects.none())
    school_year = forms.IntegerField(
        label=_("School year (its first year: 2026 is 2026/2027)"), min_value=2015, max_value=2100
    )
    level = forms.ChoiceField(label=_("Level"), choices=[(e.value, e.value) for e in Education])
    school_class = forms.IntegerField(label=_("Class"), min_value=1, max_value=6)
    applied_on = forms.DateField(label=_("Applied on"), widget=DATE)
    final_year = forms.BooleanField(
        label=_("Last year of education (the child graduates)"), required=False
    )
    certificate = forms.FileField(label=_("School certificate (PDF, JPG or PNG)"))

    def __init__(self, *args, children=None, **kwargs):
        super().__init__(*args, **kwargs)
        if children is not None:
            self.fields["child"].queryset = children


class YearChoice(forms.ModelChoiceField):
    def label_from_instance(self, obj: ScholarshipYear) -> str:
        return (
            f"{obj.child.full_name} — {obj.school_year}/{obj.school_year + 1} "
            f"{obj.level} {obj.school_class} — {rupiah(obj.amount)}"
        )


class ScholarshipPaymentForm(forms.Form):
    year = YearChoice(label=_("School year"), queryset=ScholarshipYear.objects.none())
    amount = forms.IntegerField(label=_("Amount paid by BPJS (Rp)"), min_value=1)
    paid_on = forms.DateField(label=_("Payment date"), widget=DATE)
    reference = forms.CharField(label=_("BPJS's transfer reference"), max_length=80)

    def __init__(self, *args, years=None, **kwargs):
        super().__init__(*args, **kwargs)
        if years is not None:
            self.fields["year"].queryset = years


class ClaimReportForm(DeathListForm):
    file = forms.FileField(
        label=_(
            "The branch's claim report or benefit payment report (CSV, XLSX or XLS): BPJS claim "
            "number or KPJ and event date, status, dates, amounts, payment"
        )
    )
