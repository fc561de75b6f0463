"""What a federated instance publishes to the national hub, and what the hub sends back.

The same tables exist on every instance and on the hub. On a Pemda instance they are its outbox
(only its own rows); PostgreSQL logical replication copies them into the hub's tables (every
instance's rows). No NIK, name or worker record is published: aggregates by kabupaten/kota,
and for each enrolled person an HMAC of the NIK under the national key with the year, the
funder's kind and the months paid for. That HMAC is still pseudonymised personal data (UU
27/2022): whoever holds the national key can test a guessed NIK, so the hub is run and secured
as a processor of personal data. Primary keys are natural (the instance's name first), so rows
from many instances never collide at the hub.
"""

from django.db import models
from django.utils.translation import gettext_lazy as _

ALL_MONTHS = (1 << 12) - 1


class PublishedFact(models.Model):
    """A kabupaten's summary as one instance counts it (from reports.RegionFact)."""

    pk = models.CompositePrimaryKey("instance", "region_code")
    instance = models.CharField(max_length=40)
    region_code = models.CharField(max_length=13)
    level = models.PositiveSmallIntegerField()  # 2 kabupaten/kota (3 kecamatan: not published)
    parent_code = models.CharField(max_length=13, blank=True)
    name = models.CharField(max_length=100)
    registered = models.PositiveIntegerField(default=0)
    covered = models.PositiveIntegerField(default=0)
    lapsed = models.PositiveIntegerField(default=0)
    protected_on = models.DateField(null=True)
    claims_paid = models.PositiveIntegerField(default=0)
    benefits_paid = models.PositiveBigIntegerField(default=0)
    allocated = models.PositiveBigIntegerField(default=0)
    billed = models.PositiveBigIntegerField(default=0)
    paid = models.PositiveBigIntegerField(default=0)
    published_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=models.Q(level__in=(2, 3)), name="federation_fact_regency_or_district"
            )
        ]

    def __str__(self) -> str:
        return f"{self.instance}: {self.region_code} {self.name}"


class EnrolledKey(models.Model):
    """One person paid for by one funder kind in one year, as the national hub may see it."""

    pk = models.CompositePrimaryKey("instance", "national_index", "year", "funder_kind")
    instance = models.CharField(max_length=40)
    national_index = models.CharField(max_length=64)
    year = models.PositiveSmallIntegerField()
    funder_kind = models.CharField(max_length=20)
    # Bit m-1 set: month m of the year is paid for (a participant-month not credited back).
    months = models.PositiveIntegerField()
    published_at = models.DateTimeField()
    # Local only (left out of the publication's column list): lets the instance find its own
    # worker when the hub reports a double payment. Always empty at the hub.
    worker = models.ForeignKey(
        "registry.Worker", null=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=models.Q(months__gte=1, months__lte=ALL_MONTHS),
                name="federation_key_months_in_year",
            )
        ]

    def __str__(self) -> str:
        return f"{self.instance}: {self.national_index[:12]}… {self.year} {self.funder_kind}"


class DoublePayment(models.Model):
    """The hub's finding: the same person paid for by two instances in the same months."""

    pk = models.CompositePrimaryKey(
        "national_index", "year", "instance_a", "funder_a", "instance_b", "funder_b"
    )
    national_index = models.CharField(max_length=64)
    year = models.PositiveSmallIntegerField()
    instance_a = models.CharField(max_length=40)
    funder_a = models.CharField(max_length=20)
    instance_b = models.CharField(max_length=40)
    funder_b = models.CharField(max_length=20)
    months = models.PositiveIntegerField(_("months paid twice"))
    found_at = models.DateTimeField()
    seen_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=models.Q(instance_a__lt=models.F("instance_b")),
                name="federation_double_ordered_pair",
            ),
            models.CheckConstraint(
                condition=models.Q(months__gte=1, months__lte=ALL_MONTHS),
                name="federation_double_months_in_year",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.national_index[:12]}… {self.year}: {self.instance_a} × {self.instance_b}"
