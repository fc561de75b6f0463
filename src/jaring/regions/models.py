from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from jaring.core.region_codes import Level as CodeLevel
from jaring.core.text import name_key
from jaring.regions import rules


class Level(models.IntegerChoices):
    PROVINCE = CodeLevel.PROVINCE, _("Province")
    REGENCY = CodeLevel.REGENCY, _("Regency/City")
    DISTRICT = CodeLevel.DISTRICT, _("District")
    VILLAGE = CodeLevel.VILLAGE, _("Village")


class Region(models.Model):
    """One Kemendagri administrative region, keyed by its official dotted code."""

    # Region codes are the only identifier every source file shares, so they are the key.
    scope_field = "code"

    code = models.CharField(_("code"), max_length=13, primary_key=True)
    name = models.CharField(_("name"), max_length=100)
    name_key = models.CharField(max_length=100, editable=False)
    level = models.PositiveSmallIntegerField(_("level"), choices=Level.choices)
    parent = models.ForeignKey(
        "self",
        verbose_name=_("parent"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
    )
    population_male = models.PositiveIntegerField(_("male population"), null=True, blank=True)
    population_female = models.PositiveIntegerField(_("female population"), null=True, blank=True)
    population_total = models.PositiveIntegerField(_("population"), null=True, blank=True)

    class Meta:
        verbose_name = _("region")
        verbose_name_plural = _("regions")
        ordering = ["code"]
        indexes = [
            models.Index(fields=["parent", "name_key"], name="region_parent_name_idx"),
            models.Index(fields=["name_key"], name="region_name_key_idx"),
            models.Index(fields=["level"], name="region_level_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(level__gte=1, level__lte=4), name="region_level_range"
            ),
            models.CheckConstraint(
                condition=(Q(level=1, parent__isnull=True) | Q(level__gt=1, parent__isnull=False)),
                name="region_parent_matches_level",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"

    def save(self, *args, **kwargs):
        self.name_key = name_key(self.name)
        super().save(*args, **kwargs)

    @property
    def kind_label(self) -> str:
        """The word Indonesians put before the name: Kabupaten, Kota, Kecamatan, Desa…"""
        if self.level == Level.VILLAGE:
            return rules.village_kind(self.code).capitalize()
        if self.level == Level.DISTRICT:
            return "Kecamatan"
        return ""

    @property
    def display_name(self) -> str:
        return f"{self.kind_label} {self.name}".strip()


class RegionDataset(models.Model):
    """Which reference file the region table was last loaded from (makes reloads cheap)."""

    source = models.CharField(max_length=200)
    sha256 = models.CharField(max_length=64)
    rows = models.PositiveIntegerField()
    loaded_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["source"], name="region_dataset_source")]

    def __str__(self) -> str:
        return f"{self.source} ({self.rows} rows, {self.sha256[:12]})"
