"""Reference data a region keeps without a deploy: its letterhead and signatories for the
documents Jaring prints, and its list of PLKK (the clinics and hospitals that treat work
accidents). Every change keeps a history row (who, when, what before and after)."""

from django.core.validators import RegexValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

NIP = RegexValidator(r"^[0-9]{18}$", _("A NIP has 18 digits."))


class Letterhead(models.Model):
    """The kop surat of a Pemda office, printed at the top of invoices, the berita acara and the
    monthly report of its region."""

    scope_field = "region__code"

    region = models.OneToOneField(
        "regions.Region", on_delete=models.PROTECT, related_name="+", verbose_name=_("region")
    )
    government = models.CharField(
        _("government"), max_length=120, help_text=_("e.g. PEMERINTAH KABUPATEN BENGKALIS")
    )
    office = models.CharField(_("office"), max_length=120, help_text=_("e.g. DINAS TENAGA KERJA"))
    address = models.CharField(_("address"), max_length=255)
    contact = models.CharField(
        _("phone / e-mail / website"), max_length=255, blank=True, default=""
    )
    city = models.CharField(_("place of signing"), max_length=60, help_text=_("e.g. Bengkalis"))
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("letterhead")
        verbose_name_plural = _("letterheads")
        constraints = [
            models.CheckConstraint(
                condition=~Q(government="") & ~Q(office="") & ~Q(address="") & ~Q(city=""),
                name="letterhead_filled",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.government} — {self.office}"


class Signatory(models.Model):
    """Who signs a kind of document for a region (one per purpose)."""

    class Purpose(models.TextChoices):
        INVOICE = "invoice", _("Contribution invoice")
        HANDOVER = "handover", _("Benefit handover (berita acara)")
        REPORT = "report", _("Monthly report")

    scope_field = "region__code"

    region = models.ForeignKey(
        "regions.Region", on_delete=models.PROTECT, related_name="+", verbose_name=_("region")
    )
    purpose = models.CharField(_("document"), max_length=12, choices=Purpose.choices)
    name = models.CharField(_("name"), max_length=120)
    position = models.CharField(
        _("position"), max_length=160, help_text=_("e.g. Kepala Dinas Tenaga Kerja")
    )
    nip = models.CharField(
        _("NIP"),
        max_length=18,
        blank=True,
        default="",
        validators=[NIP],
        help_text=_("Civil servant number, 18 digits (optional)."),
    )
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("signatory")
        verbose_name_plural = _("signatories")
        ordering = ["region", "purpose"]
        constraints = [
            models.UniqueConstraint(fields=["region", "purpose"], name="signatory_per_purpose"),
            models.CheckConstraint(
                condition=Q(purpose__in=["invoice", "handover", "report"]),
                name="signatory_known_purpose",
            ),
            models.CheckConstraint(
                condition=~Q(name="") & ~Q(position=""), name="signatory_filled"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name}, {self.position}"


class Plkk(models.Model):
    """A Pusat Layanan Kecelakaan Kerja: a clinic or hospital with a BPJS Ketenagakerjaan
    agreement that treats work-accident (JKK) patients without charging them."""

    class Kind(models.TextChoices):
        HOSPITAL = "hospital", _("Hospital")
        CLINIC = "clinic", _("Clinic")
        PUSKESMAS = "puskesmas", _("Puskesmas")

    scope_field = "region__code"

    region = models.ForeignKey(
        "regions.Region",
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("region"),
        help_text=_("The kabupaten/kota or kecamatan where it stands."),
    )
    name = models.CharField(_("name"), max_length=160)
    kind = models.CharField(_("kind"), max_length=12, choices=Kind.choices)
    address = models.CharField(_("address"), max_length=255)
    phone = models.CharField(_("phone"), max_length=40, blank=True, default="")
    active = models.BooleanField(_("active"), default=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("PLKK")
        verbose_name_plural = _("PLKK")
        ordering = ["region", "name"]
        constraints = [
            models.UniqueConstraint(fields=["region", "name"], name="plkk_unique_name"),
            models.CheckConstraint(
                condition=Q(kind__in=["hospital", "clinic", "puskesmas"]), name="plkk_known_kind"
            ),
            models.CheckConstraint(condition=~Q(name="") & ~Q(address=""), name="plkk_filled"),
        ]

    def __str__(self) -> str:
        return self.name
