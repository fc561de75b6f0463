"""Claims (klaim): a death or accident, its heirs, documents, approval, payments and handover."""

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from jaring.claims import rules
from jaring.core.masking import mask_nik
from jaring.programs.rules import Education, Event, Program, Relationship

USER = settings.AUTH_USER_MODEL


class ClaimStatus(models.TextChoices):
    """Where a claim is. The Pemda finds the family and carries the file; BPJS decides and pays."""

    POTENTIAL = "potential", _("Potential (from a death list)")
    REPORTED = "reported", _("In preparation")
    CHECKING = "checking", _("Awaiting the Pemda's check")
    CHECKED = "checked", _("Checked, to be sent to BPJS")
    SENT = "sent", _("Sent to BPJS")
    AT_BPJS = "at_bpjs", _("Received by BPJS")
    APPROVED = "approved", _("Approved by BPJS, awaiting payment")
    PAID = "paid", _("Paid by BPJS")
    REJECTED = "rejected", _("Refused")
    DISMISSED = "dismissed", _("Dismissed")


OPEN_CLAIM_STATUSES = (
    "potential",
    "reported",
    "checking",
    "checked",
    "sent",
    "at_bpjs",
    "approved",
)
# From here on the file has left the Pemda: it was sent, BPJS received, approved or paid it.
SENT_STATUSES = ("sent", "at_bpjs", "approved", "paid")
# BPJS holds the complete file: its service level runs from the receipt.
RECEIVED_STATUSES = ("at_bpjs", "approved", "paid")


class SentVia(models.TextChoices):
    HAND = "hand", _("Delivered in person")
    POST = "post", _("Post or courier")
    ONLINE = "online", _("Online (e-mail or BPJS application)")


class Claim(models.Model):
    """One reported death or accident of a worker and everything needed to pay its benefit."""

    class Reporter(models.TextChoices):
        VILLAGE = "village", _("Village officer")
        FAMILY = "family", _("Family")
        BPJS = "bpjs", _("BPJS Ketenagakerjaan")
        DEATH_LIST = "death_list", _("Death list (civil registry)")
        OTHER = "other", _("Other")

    scope_field = "village__code"

    number = models.CharField(_("claim number"), max_length=40, unique=True)
    worker = models.ForeignKey("registry.Worker", on_delete=models.PROTECT, related_name="claims")
    # The worker's village when the event happened: reports count claims where they happened.
    village = models.ForeignKey("regions.Region", on_delete=models.PROTECT, related_name="+")
    program = models.CharField(
        _("programme"),
        max_length=3,
        choices=[(p.value, p.value) for p in (Program.JKM, Program.JKK)],
    )
    event = models.CharField(
        _("event"),
        max_length=24,
        choices=[
            (Event.DEATH.value, _("Death (not a work accident)")),
            (Event.WORK_ACCIDENT_DEATH.value, _("Death from a work accident")),
            (Event.TOTAL_DISABILITY.value, _("Permanent total disability")),
            (Event.PARTIAL_DISABILITY.value, _("Permanent partial disability")),
            (Event.TEMPORARY_INCAPACITY.value, _("Temporary incapacity to work")),
        ],
    )
    event_date = models.DateField(_("event date"))
    place = models.CharField(_("place"), max_length=200, blank=True)
    cause = models.CharField(_("cause"), max_length=300, blank=True)
    traffic_accident = models.BooleanField(_("traffic accident"), default=False)
    disability_percent = models.DecimalField(
        _("disability percentage (table)"), max_digits=5, decimal_places=2, default=0
    )
    incapacity_days = models.PositiveIntegerField(_("days unable to work"), default=0)
    reported_by = models.CharField(_("reported by"), max_length=12, choices=Reporter.choices)
    reporter_name = models.CharField(_("reporter's name"), max_length=150, blank=True)
    reporter_phone = models.CharField(_("reporter's phone"), max_length=20, blank=True)
    notes = models.TextField(_("notes"), blank=True)
    status = models.CharField(
        _("status"), max_length=10, choices=ClaimStatus.choices, default=ClaimStatus.REPORTED
    )
    created_by = models.ForeignKey(USER, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    reported_on = models.DateField(_("reported on"))

    # Eligibility and benefit, computed by programs.rules (recomputed until approval).
    enrolment = models.ForeignKey(
        "enrolment.Enrolment", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    eligible = models.BooleanField(null=True)
    # reason_code, reason, reason_id; and which rule decided the amount: rule_ref, basis, basis_id
    eligibility = models.JSONField(default=dict, blank=True)
    arrears_months = models.PositiveSmallIntegerField(default=0)
    paid_through = models.DateField(null=True, blank=True)
    components = models.JSONField(default=list, blank=True)
    benefit_total = models.PositiveBigIntegerField(_("cash benefit"), default=0)
    scholarship = models.JSONField(default=dict, blank=True)
    rule_refs = models.JSONField(default=list, blank=True)
    checked_at = models.DateTimeField(null=True, blank=True)

    # Heirs (ahli waris): the rule's decision, or an officer's justified exception.
    heir_basis = models.TextField(blank=True)
    heir_override_reason = models.TextField(_("reason for the exception"), blank=True)
    heir_override_by = models.ForeignKey(
        USER, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    # Documents and service level.
    documents_complete_on = models.DateField(null=True, blank=True)

    # The Pemda's maker-checker on the submission: ``submitted_by`` put the complete file forward,
    # ``decided_by`` (another person, see participants.py) checked it before it goes to BPJS.
    submitted_by = models.ForeignKey(
        USER, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    submitted_at = models.DateTimeField(null=True, blank=True)
    decided_by = models.ForeignKey(
        USER, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    decision_note = models.TextField(_("decision note"), blank=True)

    # Submitted to the BPJS branch: when, how and by whom (with the cover letter).
    sent_on = models.DateField(_("sent to BPJS on"), null=True, blank=True)
    sent_via = models.CharField(_("sent how"), max_length=10, choices=SentVia.choices, blank=True)
    sent_by = models.ForeignKey(
        USER, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    # BPJS's side: receipt of the complete file (the service clock starts), its claim number,
    # its decision with its reason, and the amounts per component as BPJS computed them.
    bpjs_received_on = models.DateField(_("received by BPJS on"), null=True, blank=True)
    bpjs_claim_number = models.CharField(_("BPJS claim number"), max_length=60, blank=True)
    bpjs_received_by = models.ForeignKey(
        USER, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    bpjs_decided_on = models.DateField(_("BPJS decision date"), null=True, blank=True)
    bpjs_decided_by = models.ForeignKey(
        USER, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    bpjs_reason = models.TextField(_("BPJS's reason"), blank=True)
    bpjs_components = models.JSONField(default=list, blank=True)
    bpjs_total = models.PositiveBigIntegerField(_("cash benefit by BPJS"), null=True, blank=True)
    paid_on = models.DateField(_("paid on"), null=True, blank=True)

    history = HistoricalRecords(excluded_fields=["created_at"])

    class Meta:
        verbose_name = _("claim")
        verbose_name_plural = _("claims")
        ordering = ["-reported_on", "-id"]
        indexes = [models.Index(fields=["status", "village"], name="claim_status_village_idx")]
        constraints = [
            # No one approves their own work (the database says so too).
            models.CheckConstraint(
                condition=Q(decided_by__isnull=True)
                | Q(submitted_by__isnull=True)
                | ~Q(decided_by=F("submitted_by")),
                name="claim_maker_is_not_checker",
            ),
            # One live claim per worker, programme and event date.
            models.UniqueConstraint(
                fields=["worker", "program", "event", "event_date"],
                condition=~Q(status__in=["rejected", "dismissed"]),
                name="claim_once_per_event",
            ),
            # Nothing leaves the Pemda unchecked: a checked or sent file has its checker.
            models.CheckConstraint(
                condition=~Q(status__in=["checked", *SENT_STATUSES])
                | Q(decided_by__isnull=False, eligible=True),
                name="claim_approved_has_checker",
            ),
            models.CheckConstraint(
                condition=~Q(status__in=SENT_STATUSES) | Q(sent_on__isnull=False),
                name="claim_sent_has_date",
            ),
            models.CheckConstraint(
                condition=~Q(status__in=RECEIVED_STATUSES) | Q(bpjs_received_on__isnull=False),
                name="claim_received_has_date",
            ),
            models.CheckConstraint(
                condition=~Q(status__in=["approved", "paid"]) | Q(bpjs_total__isnull=False),
                name="claim_approved_has_bpjs_amount",
            ),
            models.UniqueConstraint(
                fields=["bpjs_claim_number"],
                condition=~Q(bpjs_claim_number=""),
                name="claim_bpjs_number_once",
            ),
            models.CheckConstraint(
                condition=Q(disability_percent__gte=0, disability_percent__lt=100),
                name="claim_disability_percent_range",
            ),
        ]

    def __str__(self) -> str:
        return self.number

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_CLAIM_STATUSES

    @property
    def is_editable(self) -> bool:
        return self.status in {ClaimStatus.POTENTIAL, ClaimStatus.REPORTED}

    @property
    def family_stage(self) -> rules.FamilyStage | None:
        """What the family can be told (reported, file complete, at BPJS, paid, handed over)."""
        handover = getattr(self, "handover", None)
        return rules.family_stage(
            self.status, self.documents_complete_on is not None, handover is not None
        )

    @property
    def amount_difference(self) -> int | None:
        """BPJS's cash benefit minus Jaring's expected one (None until BPJS decided)."""
        return None if self.bpjs_total is None else self.bpjs_total - self.benefit_total


class FamilyMember(models.Model):
    """A member of the worker's family recorded for a claim (a possible ahli waris)."""

    claim = models.ForeignKey(Claim, on_delete=models.CASCADE, related_name="family")
    full_name = models.CharField(_("full name"), max_length=150)
    nik_index = models.CharField(max_length=64, blank=True, editable=False)
    nik_cipher = models.BinaryField(null=True, editable=False)
    nik_hint = models.CharField(max_length=8, blank=True, editable=False)
    relationship = models.CharField(
        _("relationship"),
        max_length=16,
        choices=[
            (Relationship.SPOUSE.value, _("Widow/widower (spouse)")),
            (Relationship.CHILD.value, _("Child")),
            (Relationship.PARENT.value, _("Parent")),
            (Relationship.GRANDCHILD.value, _("Grandchild")),
            (Relationship.GRANDPARENT.value, _("Grandparent")),
            (Relationship.SIBLING.value, _("Sibling")),
            (Relationship.PARENT_IN_LAW.value, _("Parent-in-law")),
            (Relationship.DESIGNATED.value, _("Designated in the will")),
        ],
    )
    birth_date = models.DateField(_("birth date"), null=True, blank=True)
    alive = models.BooleanField(_("alive"), default=True)
    married = models.BooleanField(_("married"), default=False)
    working = models.BooleanField(_("working"), default=False)
    education = models.CharField(
        _("education now"),
        max_length=3,
        blank=True,
        choices=[(level.value, level.value) for level in Education],
    )
    # The class within the level now (SD class 4 = 4): the scholarship runs from it, not from
    # the level's first year.
    school_class = models.PositiveSmallIntegerField(
        _("class now"),
        null=True,
        blank=True,
        validators=[MinValueValidator(1), MaxValueValidator(6)],
    )
    phone = models.CharField(_("phone"), max_length=20, blank=True)
    is_heir = models.BooleanField(_("heir"), default=False)
    created_at = models.DateTimeField(auto_now_add=True)
    history = HistoricalRecords(excluded_fields=["nik_cipher", "created_at"])

    class Meta:
        verbose_name = _("family member")
        verbose_name_plural = _("family members")
        ordering = ["id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(school_class__isnull=True)
                | Q(school_class__gte=1, school_class__lte=6),
                name="family_school_class_range",
            )
        ]

    def __str__(self) -> str:
        return f"{self.full_name} ({self.get_relationship_display()})"

    @property
    def masked_nik(self) -> str:
        return mask_nik(self.nik_hint) if self.nik_hint else ""


class ClaimDocument(models.Model):
    """An uploaded supporting document, kept outside the web root, verified by a named user."""

    claim = models.ForeignKey(Claim, on_delete=models.CASCADE, related_name="documents")
    kind = models.CharField(
        _("document"), max_length=20, choices=[(k, k) for k in rules.DOCUMENT_KINDS]
    )
    # The other document types the same scanned file serves (one scan of a KTP and the family
    # card on one page): the checklist counts the file for each.
    also_kinds = models.JSONField(_("also serves as"), default=list, blank=True)
    original_name = models.CharField(max_length=255)
    stored_file = models.CharField(max_length=500, editable=False)
    content_type = models.CharField(max_length=40)
    size = models.PositiveIntegerField()
    sha256 = models.CharField(max_length=64)
    uploaded_by = models.ForeignKey(USER, null=True, on_delete=models.SET_NULL, related_name="+")
    uploaded_at = models.DateTimeField(auto_now_add=True)
    verified_by = models.ForeignKey(
        USER, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    verified_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["kind", "uploaded_at"]
        constraints = [
            models.UniqueConstraint(fields=["claim", "sha256"], name="claim_document_once"),
            models.CheckConstraint(
                condition=Q(size__gt=0, size__lte=rules.MAX_DOCUMENT_BYTES),
                name="claim_document_size",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.claim_id}/{self.kind}: {self.original_name}"

    @property
    def kinds(self) -> list[str]:
        """Every document type this file serves, its main one first."""
        return [self.kind, *self.also_kinds]


class Instalment(models.Model):
    """A payable part of an approved claim: the cash benefit, or one scholarship year."""

    class Kind(models.TextChoices):
        CASH = "cash", _("Cash benefit")
        SCHOLARSHIP = "scholarship", _("Scholarship")

    claim = models.ForeignKey(Claim, on_delete=models.PROTECT, related_name="instalments")
    kind = models.CharField(max_length=12, choices=Kind.choices)
    child = models.ForeignKey(
        FamilyMember, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    sequence = models.PositiveSmallIntegerField(default=1)
    level = models.CharField(max_length=3, blank=True)
    due_on = models.DateField(_("due on"))
    amount = models.PositiveBigIntegerField(_("amount"))
    paid_amount = models.PositiveBigIntegerField(_("paid"), default=0)

    class Meta:
        ordering = ["due_on", "kind", "sequence"]
        constraints = [
            # Two approvals at once cannot create two sets of instalments.
            models.UniqueConstraint(
                fields=["claim", "kind", "sequence"],
                condition=Q(child__isnull=True),
                name="instalment_once",
            ),
            models.UniqueConstraint(
                fields=["claim", "child", "sequence"],
                condition=Q(child__isnull=False),
                name="instalment_once_per_child",
            ),
            # Two payments at once cannot pay more than is due (the database refuses).
            models.CheckConstraint(
                condition=Q(paid_amount__lte=F("amount")), name="instalment_not_overpaid"
            ),
            models.CheckConstraint(condition=Q(amount__gt=0), name="instalment_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.claim_id}/{self.kind}/{self.sequence}: {self.amount}"

    @property
    def outstanding(self) -> int:
        return self.amount - self.paid_amount


class BenefitPayment(models.Model):
    """Money paid to an heir's bank account: who recorded it, when, and the bank reference."""

    instalment = models.ForeignKey(Instalment, on_delete=models.PROTECT, related_name="payments")
    # None: the participant himself (disability and incapacity benefits).
    recipient = models.ForeignKey(
        FamilyMember, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    amount = models.PositiveBigIntegerField(_("amount"))
    paid_on = models.DateField(_("payment date"))
    bank = models.CharField(_("bank"), max_length=60)
    account_cipher = models.BinaryField(editable=False)
    account_hint = models.CharField(max_length=4, editable=False)
    account_holder = models.CharField(_("account holder"), max_length=150)
    reference = models.CharField(_("transfer reference"), max_length=80)
    recorded_by = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["paid_on", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="benefit_payment_positive"),
            models.UniqueConstraint(
                fields=["instalment", "reference"], name="benefit_payment_reference_once"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.reference} {self.amount}"

    @property
    def masked_account(self) -> str:
        return rules.mask_account(self.account_hint)


class ScholarshipYear(models.Model):
    """One school year of a child's scholarship: the family's application with the school
    certificate, and BPJS's payment of it. BPJS pays year by year on application, so nothing is
    scheduled ahead; the years stop at graduation, age 23, marriage or the cap."""

    claim = models.ForeignKey(Claim, on_delete=models.PROTECT, related_name="scholarship_years")
    child = models.ForeignKey(
        FamilyMember, on_delete=models.PROTECT, related_name="scholarship_years"
    )
    school_year = models.PositiveSmallIntegerField(
        _("school year"), help_text=_("The year it starts: 2026 is 2026/2027.")
    )
    level = models.CharField(
        _("level"), max_length=3, choices=[(level.value, level.value) for level in Education]
    )
    school_class = models.PositiveSmallIntegerField(_("class"))
    certificate = models.ForeignKey(
        ClaimDocument,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("school certificate"),
    )
    applied_on = models.DateField(_("applied on"))
    final_year = models.BooleanField(_("last year of education (graduates)"), default=False)
    amount = models.PositiveBigIntegerField(_("amount by the rules"))
    rule_ref = models.CharField(max_length=60)
    recorded_by = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField(auto_now_add=True)
    # BPJS's payment to the family's account.
    paid_amount = models.PositiveBigIntegerField(_("paid by BPJS"), null=True, blank=True)
    paid_on = models.DateField(_("payment date"), null=True, blank=True)
    payment_reference = models.CharField(_("transfer reference"), max_length=80, blank=True)
    payment_recorded_by = models.ForeignKey(
        USER, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    history = HistoricalRecords(excluded_fields=["recorded_at"])

    class Meta:
        ordering = ["child_id", "school_year"]
        constraints = [
            models.UniqueConstraint(fields=["child", "school_year"], name="scholarship_year_once"),
            models.CheckConstraint(condition=Q(amount__gt=0), name="scholarship_year_positive"),
            models.CheckConstraint(
                condition=Q(school_class__gte=1, school_class__lte=6),
                name="scholarship_year_class_range",
            ),
            # A payment is whole: its amount, date and reference together, or none of them.
            models.CheckConstraint(
                condition=Q(paid_amount__isnull=True, paid_on__isnull=True, payment_reference="")
                | Q(paid_amount__gt=0, paid_on__isnull=False, payment_reference__gt=""),
                name="scholarship_year_payment_whole",
            ),
            models.CheckConstraint(
                condition=Q(paid_amount__isnull=True) | Q(paid_amount__lte=F("amount")),
                name="scholarship_year_not_overpaid",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.claim_id}/{self.child_id}/{self.school_year}: {self.level} {self.amount}"

    @property
    def is_paid(self) -> bool:
        return self.paid_on is not None


class Handover(models.Model):
    """The public handover (serah terima) of the benefit: the berita acara's facts."""

    claim = models.OneToOneField(Claim, on_delete=models.PROTECT, related_name="handover")
    number = models.CharField(_("berita acara number"), max_length=60)
    held_on = models.DateField(_("date"))
    place = models.CharField(_("place"), max_length=200)
    city = models.CharField(_("city"), max_length=100)
    recipient = models.ForeignKey(
        FamilyMember, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    handed_by_name = models.CharField(_("handed over by"), max_length=150)
    handed_by_title = models.CharField(_("title"), max_length=150)
    witness_name = models.CharField(_("witnessed by"), max_length=150, blank=True)
    witness_title = models.CharField(_("witness's title"), max_length=150, blank=True)
    bpjs_name = models.CharField(_("BPJS official"), max_length=150)
    bpjs_title = models.CharField(_("BPJS official's title"), max_length=150)
    amount = models.PositiveBigIntegerField(_("amount"))
    photo = models.CharField(max_length=500, blank=True, editable=False)
    recorded_by = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField(auto_now_add=True)
    # Editable until signed; at signing the record is frozen: every fact the berita acara prints
    # (exports.handover_record) is kept, so a later import that renames the worker changes nothing.
    signed_at = models.DateTimeField(null=True, blank=True)
    signed_by = models.ForeignKey(
        USER, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    snapshot = models.JSONField(default=dict, blank=True, editable=False)

    class Meta:
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="handover_amount"),
            models.CheckConstraint(
                condition=Q(signed_at__isnull=True) | Q(signed_by__isnull=False),
                name="handover_signed_has_signer",
            ),
        ]

    def __str__(self) -> str:
        return self.number

    @property
    def is_signed(self) -> bool:
        return self.signed_at is not None


class DeathList(models.Model):
    """One imported list of deaths (Dukcapil extract or village reports) and what it found."""

    scope_field = "region__code"

    region = models.ForeignKey("regions.Region", on_delete=models.PROTECT, related_name="+")
    file_name = models.CharField(max_length=255)
    file_sha256 = models.CharField(max_length=64)
    created_by = models.ForeignKey(USER, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    rows = models.PositiveIntegerField(default=0)
    matched_covered = models.PositiveIntegerField(default=0)
    claims_opened = models.PositiveIntegerField(default=0)
    not_covered = models.PositiveIntegerField(default=0)
    unknown = models.PositiveIntegerField(default=0)
    rejected = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(
                    rows=F("matched_covered") + F("not_covered") + F("unknown") + F("rejected")
                ),
                name="death_list_rows_add_up",
            )
        ]

    def __str__(self) -> str:
        return self.file_name


class DeathRecord(models.Model):
    """One row of a death list and what matching made of it."""

    class Outcome(models.TextChoices):
        COVERED = "covered", _("Covered worker")
        NOT_COVERED = "not_covered", _("Worker, not covered on that date")
        UNKNOWN = "unknown", _("Not in the registry")
        REJECTED = "rejected", _("Unreadable row")

    death_list = models.ForeignKey(DeathList, on_delete=models.CASCADE, related_name="records")
    row_number = models.PositiveIntegerField()
    nik_hint = models.CharField(max_length=8, blank=True)
    name = models.CharField(max_length=150, blank=True)
    date_of_death = models.DateField(null=True)
    outcome = models.CharField(max_length=12, choices=Outcome.choices)
    reason = models.CharField(max_length=255, blank=True)
    worker = models.ForeignKey(
        "registry.Worker", null=True, on_delete=models.PROTECT, related_name="+"
    )
    claim = models.ForeignKey(Claim, null=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        ordering = ["row_number"]

    def __str__(self) -> str:
        return f"{self.death_list_id}:{self.row_number} {self.outcome}"

    @property
    def masked_nik(self) -> str:
        return mask_nik(self.nik_hint) if self.nik_hint else ""


# --- The JKK path: reports, treatment, temporary incapacity, return to work, assessment --------
# Each stage is its own dated record with who recorded it and when; corrections keep their
# earlier versions in the history tables.


class AccidentReport(models.Model):
    """The accident report to BPJS: stage I (laporan tahap I, due within 2 × 24 hours of the
    accident) or stage II (laporan tahap II, once the doctor states the treatment has ended)."""

    class Stage(models.IntegerChoices):
        FIRST = 1, _("Stage I (within 2 × 24 hours)")
        SECOND = 2, _("Stage II (after treatment)")

    claim = models.ForeignKey(Claim, on_delete=models.CASCADE, related_name="accident_reports")
    stage = models.PositiveSmallIntegerField(_("stage"), choices=Stage.choices)
    made_at = models.DateTimeField(_("report made at"))
    # Stage I: when the accident happened (its date is the claim's event date).
    accident_at = models.DateTimeField(_("accident at"), null=True, blank=True)
    # Stage II: the doctor's statement that treatment ended.
    treatment_ended_on = models.DateField(_("treatment ended on"), null=True, blank=True)
    note = models.CharField(_("note"), max_length=300, blank=True)
    recorded_by = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField(auto_now_add=True)
    history = HistoricalRecords(excluded_fields=["recorded_at"])

    class Meta:
        ordering = ["stage"]
        constraints = [
            models.UniqueConstraint(fields=["claim", "stage"], name="accident_report_once"),
            models.CheckConstraint(
                condition=Q(stage=2, treatment_ended_on__isnull=False)
                | Q(stage=1, accident_at__isnull=False, made_at__gte=F("accident_at")),
                name="accident_report_stage_facts",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.claim_id}/{self.stage}"


class Treatment(models.Model):
    """A stay or visit at a PLKK (BPJS's partner hospital or clinic) for the accident."""

    claim = models.ForeignKey(Claim, on_delete=models.CASCADE, related_name="treatments")
    plkk = models.ForeignKey("reference.Plkk", on_delete=models.PROTECT, related_name="+")
    admitted_on = models.DateField(_("admitted on"))
    discharged_on = models.DateField(_("discharged on"), null=True, blank=True)
    recorded_by = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField(auto_now_add=True)
    history = HistoricalRecords(excluded_fields=["recorded_at"])

    class Meta:
        ordering = ["admitted_on", "id"]
        constraints = [
            models.UniqueConstraint(fields=["claim", "plkk", "admitted_on"], name="treatment_once"),
            models.CheckConstraint(
                condition=Q(discharged_on__isnull=True) | Q(discharged_on__gte=F("admitted_on")),
                name="treatment_discharged_after_admission",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.claim_id}/{self.plkk_id} {self.admitted_on}"


class IncapacityPeriod(models.Model):
    """A period the worker could not work (STMB): the amount expected by the rule when it was
    recorded, and what BPJS paid for it and when."""

    claim = models.ForeignKey(Claim, on_delete=models.CASCADE, related_name="incapacity_periods")
    starts_on = models.DateField(_("from"))
    ends_on = models.DateField(_("to"))
    expected_amount = models.PositiveBigIntegerField(_("expected amount"))
    rule_ref = models.CharField(max_length=80)
    recorded_by = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField(auto_now_add=True)
    bpjs_paid_amount = models.PositiveBigIntegerField(_("paid by BPJS"), null=True, blank=True)
    bpjs_paid_on = models.DateField(_("BPJS payment date"), null=True, blank=True)
    bpjs_reference = models.CharField(_("transfer reference"), max_length=80, blank=True)
    paid_recorded_by = models.ForeignKey(
        USER, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    history = HistoricalRecords(excluded_fields=["recorded_at"])

    class Meta:
        ordering = ["starts_on"]
        constraints = [
            models.UniqueConstraint(fields=["claim", "starts_on"], name="incapacity_period_once"),
            models.CheckConstraint(
                condition=Q(ends_on__gte=F("starts_on")), name="incapacity_period_order"
            ),
            # A payment has its amount, date and recorder, or none of them.
            models.CheckConstraint(
                condition=Q(
                    bpjs_paid_amount__isnull=True,
                    bpjs_paid_on__isnull=True,
                    paid_recorded_by__isnull=True,
                )
                | Q(
                    bpjs_paid_amount__gt=0,
                    bpjs_paid_on__gte=F("starts_on"),
                    paid_recorded_by__isnull=False,
                ),
                name="incapacity_period_payment_whole",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.claim_id}: {self.starts_on}–{self.ends_on}"

    @property
    def days(self) -> int:
        return rules.period_days(self.starts_on, self.ends_on)

    @property
    def payment_difference(self) -> int | None:
        """BPJS's payment minus the expected amount (None until paid)."""
        if self.bpjs_paid_amount is None:
            return None
        return self.bpjs_paid_amount - self.expected_amount


class ReturnToWork(models.Model):
    """The day the worker went back to work: the temporary incapacity ends."""

    claim = models.OneToOneField(Claim, on_delete=models.CASCADE, related_name="return_to_work")
    returned_on = models.DateField(_("back at work on"))
    recorded_by = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField(auto_now_add=True)
    history = HistoricalRecords(excluded_fields=["recorded_at"])

    def __str__(self) -> str:
        return f"{self.claim_id}: {self.returned_on}"


class DisabilityAssessment(models.Model):
    """The doctor's assessment of lasting disability; it decides the claim's benefit event."""

    claim = models.OneToOneField(Claim, on_delete=models.CASCADE, related_name="assessment")
    kind = models.CharField(
        _("assessment"),
        max_length=10,
        choices=[
            (rules.AssessmentKind.NONE.value, _("No lasting disability")),
            (rules.AssessmentKind.ANATOMICAL.value, _("Partial disability (anatomical)")),
            (rules.AssessmentKind.FUNCTIONAL.value, _("Partial disability (loss of function)")),
            (rules.AssessmentKind.TOTAL.value, _("Permanent total disability")),
        ],
    )
    assessed_on = models.DateField(_("assessed on"))
    doctor = models.CharField(_("doctor"), max_length=150)
    table_percent = models.DecimalField(
        _("percentage in the table"), max_digits=5, decimal_places=2, default=0
    )
    function_loss_percent = models.DecimalField(
        _("function lost (%)"), max_digits=5, decimal_places=2, default=0
    )
    recorded_by = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField(auto_now_add=True)
    history = HistoricalRecords(excluded_fields=["recorded_at"])

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(table_percent__gte=0, table_percent__lt=100)
                & Q(function_loss_percent__gte=0, function_loss_percent__lte=100),
                name="assessment_percent_range",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.claim_id}: {self.kind}"


class SuspectedAccident(models.Model):
    """A suspected work accident (dugaan kecelakaan kerja) notified to BPJS, which must rule
    whether it is one within the rule's deadline; care is guaranteed meanwhile."""

    class Ruling(models.TextChoices):
        WORK_ACCIDENT = "work_accident", _("A work accident")
        NOT_WORK_ACCIDENT = "not_work_accident", _("Not a work accident")

    claim = models.OneToOneField(Claim, on_delete=models.CASCADE, related_name="suspected_accident")
    notified_on = models.DateField(_("BPJS notified on"))
    description = models.TextField(_("what is suspected"))
    recorded_by = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField(auto_now_add=True)
    ruling = models.CharField(_("BPJS's ruling"), max_length=20, choices=Ruling.choices, blank=True)
    ruled_on = models.DateField(_("ruled on"), null=True, blank=True)
    ruling_note = models.TextField(_("BPJS's reason"), blank=True)
    ruling_recorded_by = models.ForeignKey(
        USER, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    history = HistoricalRecords(excluded_fields=["recorded_at"])

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(ruling="", ruled_on__isnull=True, ruling_recorded_by__isnull=True)
                | Q(
                    ruling__in=["work_accident", "not_work_accident"],
                    ruled_on__gte=F("notified_on"),
                    ruling_recorded_by__isnull=False,
                ),
                name="suspected_accident_ruling_whole",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.claim_id}: {self.ruling or 'pending'}"


class ClaimReport(models.Model):
    """One imported claim report / benefit payment report of a BPJS branch: its receipts,
    decisions and payments applied to the claims they name, row by row."""

    scope_field = "region__code"

    region = models.ForeignKey("regions.Region", on_delete=models.PROTECT, related_name="+")
    file_name = models.CharField(_("file"), max_length=255)
    sha256 = models.CharField(max_length=64)
    file_path = models.CharField(max_length=500, editable=False)
    rows = models.PositiveIntegerField(default=0)
    applied = models.PositiveIntegerField(_("applied"), default=0)
    unchanged = models.PositiveIntegerField(_("already recorded"), default=0)
    unmatched = models.PositiveIntegerField(_("no claim found"), default=0)
    invalid = models.PositiveIntegerField(_("refused"), default=0)
    imported_by = models.ForeignKey(USER, null=True, on_delete=models.SET_NULL, related_name="+")
    imported_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("BPJS claim report")
        ordering = ["-imported_at", "-id"]
        constraints = [
            # The same file for the same region is one report: a re-import finds it.
            models.UniqueConstraint(fields=["region", "sha256"], name="claim_report_file_once"),
            models.CheckConstraint(
                condition=Q(rows=F("applied") + F("unchanged") + F("unmatched") + F("invalid")),
                name="claim_report_rows_add_up",
            ),
        ]

    def __str__(self) -> str:
        return self.file_name


class ClaimReportRow(models.Model):
    """One row of a claim report and what it did: the steps applied, or why nothing was."""

    class Outcome(models.TextChoices):
        APPLIED = "applied", _("Applied")
        UNCHANGED = "unchanged", _("Already recorded")
        UNMATCHED = "unmatched", _("No claim found")
        INVALID = "invalid", _("Refused")

    report = models.ForeignKey(ClaimReport, on_delete=models.CASCADE, related_name="lines")
    row_number = models.PositiveIntegerField()
    claim = models.ForeignKey(Claim, null=True, on_delete=models.SET_NULL, related_name="+")
    bpjs_claim_number = models.CharField(max_length=60, blank=True)
    outcome = models.CharField(max_length=10, choices=Outcome.choices)
    steps = models.CharField(max_length=60, blank=True)  # e.g. "receipt decision payment"
    reason = models.CharField(max_length=500, blank=True)

    class Meta:
        ordering = ["row_number"]
        constraints = [
            models.UniqueConstraint(fields=["report", "row_number"], name="claim_report_row_once"),
            models.CheckConstraint(
                condition=Q(outcome__in=["applied", "unchanged"]) | ~Q(reason=""),
                name="claim_report_row_refusal_has_reason",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.report_id}:{self.row_number} {self.outcome}"
