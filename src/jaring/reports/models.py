"""Summary tables the dashboards, the public page and the national roll-up read.

They are refreshed set-based after every change that moves a number (an import, an enrolment
reply, a billing run, a payment, a claim), so no page aggregates a million rows on request.
"""

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from jaring.core.params import FIRST_YEAR, LAST_YEAR

NATIONAL = "ID"  # region_code of the country row


class WorkforceEstimate(models.Model):
    """The informal workforce of a kabupaten/kota or kecamatan: the coverage rate's denominator."""

    scope_field = "region__code"

    region = models.ForeignKey(
        "regions.Region", on_delete=models.PROTECT, related_name="+", verbose_name=_("region")
    )
    year = models.PositiveSmallIntegerField(
        _("year"), validators=[MinValueValidator(FIRST_YEAR), MaxValueValidator(LAST_YEAR)]
    )
    informal_workers = models.PositiveIntegerField(
        _("informal workers"), validators=[MinValueValidator(1)]
    )
    source = models.CharField(_("source"), max_length=255, help_text=_("e.g. BPS Sakernas"))
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("updated by"),
    )
    updated_at = models.DateTimeField(auto_now=True)
    history = HistoricalRecords(excluded_fields=["updated_at", "updated_by"])

    class Meta:
        verbose_name = _("informal workforce estimate")
        verbose_name_plural = _("informal workforce estimates")
        constraints = [
            models.UniqueConstraint(fields=["region", "year"], name="estimate_per_region_year"),
            models.CheckConstraint(condition=Q(informal_workers__gt=0), name="estimate_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.region_id} {self.year}: {self.informal_workers}"


class RegionFact(models.Model):
    """Counts and money of one region (any level), whole or split by one dimension."""

    # A read-only summary: the dashboards may read it from the replica (core.db_router).
    replica_reads = True

    class Dimension(models.TextChoices):
        TOTAL = "total", _("Total")
        SEX = "sex", _("Sex")
        OCCUPATION = "occupation", _("Occupation")

    region_code = models.CharField(max_length=13)
    level = models.PositiveSmallIntegerField()  # 0 country, 1 province … 4 village
    parent_code = models.CharField(max_length=13, blank=True)
    dimension = models.CharField(max_length=10, choices=Dimension.choices, default="total")
    key = models.CharField(max_length=40, blank=True)
    registered = models.PositiveIntegerField(default=0)
    covered = models.PositiveIntegerField(default=0)
    # Enrolled workers whose membership is inactive for arrears (an open finance.Lapse).
    lapsed = models.PositiveIntegerField(default=0)
    # The day ``covered`` counts protection on (finance.protection.protected_on); a province or
    # the country carries the earliest day among its kabupaten.
    protected_on = models.DateField(null=True)
    claims_reported = models.PositiveIntegerField(default=0)
    claims_open = models.PositiveIntegerField(default=0)
    claims_paid = models.PositiveIntegerField(default=0)
    claims_rejected = models.PositiveIntegerField(default=0)
    benefits_paid = models.PositiveBigIntegerField(default=0)
    # Working days from BPJS's receipt of the complete file to payment, summed over paid claims
    # (reports.indicators: average_pay_days).
    pay_days_total = models.PositiveIntegerField(default=0)
    allocated = models.PositiveBigIntegerField(default=0)
    billed = models.PositiveBigIntegerField(default=0)
    paid = models.PositiveBigIntegerField(default=0)
    refreshed_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["region_code", "dimension", "key"], name="fact_per_region_dimension"
            ),
            # Only living, registered workers count as covered.
            models.CheckConstraint(
                condition=Q(covered__lte=models.F("registered")), name="fact_covered_registered"
            ),
        ]
        indexes = [models.Index(fields=["parent_code", "dimension"], name="fact_parent_idx")]

    def __str__(self) -> str:
        return f"{self.region_code} {self.dimension}:{self.key}"


class CoverageMonth(models.Model):
    """Workers protected in a month, per kabupaten/kota (the trend line)."""

    replica_reads = True  # read-only summary (core.db_router)

    regency_code = models.CharField(max_length=5)
    month = models.DateField()
    covered = models.PositiveIntegerField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["regency_code", "month"], name="coverage_month_once")
        ]

    def __str__(self) -> str:
        return f"{self.regency_code} {self.month:%Y-%m}: {self.covered}"


class VillageCount(models.Model):
    """Living workers of one village, whole or split by one dimension, counted on ``counted_on``:
    the rows a kecamatan's and a kabupaten's worker counts are summed from. An incremental
    refresh recounts only the villages that changed (``DirtyVillage``) and re-sums the rest."""

    regency_code = models.CharField(max_length=5)
    district_code = models.CharField(max_length=8)
    village_code = models.CharField(max_length=13)
    dimension = models.CharField(max_length=10, choices=RegionFact.Dimension.choices)
    key = models.CharField(max_length=40, blank=True)
    registered = models.PositiveIntegerField()
    covered = models.PositiveIntegerField()
    lapsed = models.PositiveIntegerField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["village_code", "dimension", "key"], name="village_count_once"
            ),
            models.CheckConstraint(
                condition=Q(covered__lte=models.F("registered")),
                name="village_count_covered_registered",
            ),
        ]
        indexes = [models.Index(fields=["regency_code"], name="village_count_regency_idx")]

    def __str__(self) -> str:
        return f"{self.village_code} {self.dimension}:{self.key}"


class VillageCoverageMonth(models.Model):
    """Workers of one village protected in a month (summed into ``CoverageMonth``)."""

    regency_code = models.CharField(max_length=5)
    village_code = models.CharField(max_length=13)
    month = models.DateField()
    covered = models.PositiveIntegerField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["village_code", "month"], name="village_coverage_month_once"
            )
        ]
        indexes = [models.Index(fields=["regency_code"], name="village_month_regency_idx")]

    def __str__(self) -> str:
        return f"{self.village_code} {self.month:%Y-%m}: {self.covered}"


class CountedDay(models.Model):
    """The day a kabupaten's village counts are for: an incremental refresh on another day (or
    with no counts yet) recounts every village, since protection is counted on the day."""

    regency_code = models.CharField(max_length=5, unique=True)
    day = models.DateField()

    def __str__(self) -> str:
        return f"{self.regency_code} {self.day}"


class DirtyVillage(models.Model):
    """A village whose workers, enrolments or money changed since its kabupaten was last counted
    (``village_code`` empty: the whole kabupaten). Written when ``core.events.region_changed``
    is announced, consumed by the next refresh of the kabupaten."""

    WHOLE_REGENCY = ""

    regency_code = models.CharField(max_length=5)
    village_code = models.CharField(max_length=13, blank=True)
    marked_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["regency_code", "village_code"], name="dirty_village_once"
            )
        ]

    def __str__(self) -> str:
        return f"{self.regency_code} {self.village_code or '*'}"
