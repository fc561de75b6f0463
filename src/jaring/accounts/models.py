from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from jaring.accounts import rules


class OrgUnit(models.Model):
    """An office a user works for: a Disnaker, a BPJS branch, an inspectorate, a ministry."""

    class Kind(models.TextChoices):
        PEMDA = "pemda", _("Regional government office")
        BPJS = "bpjs", _("BPJS Ketenagakerjaan office")
        INSPECTORATE = "inspectorate", _("Inspectorate / auditor")
        MINISTRY = "ministry", _("Ministry")

    scope_field = "region__code"

    name = models.CharField(_("name"), max_length=200)
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    region = models.ForeignKey(
        "regions.Region",
        verbose_name=_("region"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        help_text=_("Empty for a national office."),
    )
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("organisation unit")
        verbose_name_plural = _("organisation units")
        constraints = [
            models.UniqueConstraint(fields=["name", "region"], name="orgunit_name_region"),
        ]

    def __str__(self) -> str:
        return self.name


class User(AbstractUser):
    org_unit = models.ForeignKey(
        OrgUnit,
        verbose_name=_("organisation unit"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="users",
    )
    # Optional second factor (TOTP, RFC 6238): the secret sealed like a NIK; the last accepted
    # time step refuses a replayed code.
    totp_cipher = models.BinaryField(null=True, blank=True, editable=False)
    totp_enabled_at = models.DateTimeField(null=True, blank=True, editable=False)
    totp_last_step = models.BigIntegerField(null=True, blank=True, editable=False)
    history = HistoricalRecords(
        excluded_fields=["last_login", "password", "totp_cipher", "totp_last_step"]
    )

    class Meta(AbstractUser.Meta):
        verbose_name = _("user")
        verbose_name_plural = _("users")


ROLE_CHOICES = [
    (rules.RoleCode.NATIONAL_VIEWER.value, _("National viewer")),
    (rules.RoleCode.PROVINCIAL_ADMIN.value, _("Provincial administrator")),
    (rules.RoleCode.REGENCY_ADMIN.value, _("Regency/city administrator")),
    (rules.RoleCode.OPERATOR.value, _("Operator (registry and enrolment)")),
    (rules.RoleCode.FINANCE_OFFICER.value, _("Finance officer")),
    (rules.RoleCode.CLAIMS_OFFICER.value, _("Claims officer")),
    (rules.RoleCode.CLAIMS_SUPERVISOR.value, _("Claims supervisor")),
    (rules.RoleCode.BPJS_OFFICER.value, _("BPJS branch officer")),
    (rules.RoleCode.AUDITOR.value, _("Auditor")),
]


class RoleAssignment(models.Model):
    """A role a user holds, and the region it holds it for (its scope)."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="role_assignments"
    )
    role = models.CharField(_("role"), max_length=30, choices=ROLE_CHOICES)
    region = models.ForeignKey(
        "regions.Region",
        verbose_name=_("region scope"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        help_text=_("Everything in and below this region is visible. Empty means national."),
    )
    granted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    granted_at = models.DateTimeField(auto_now_add=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("role assignment")
        verbose_name_plural = _("role assignments")
        constraints = [
            models.UniqueConstraint(
                fields=["user", "role", "region"],
                condition=models.Q(region__isnull=False),
                name="role_assignment_unique_regional",
            ),
            models.UniqueConstraint(
                fields=["user", "role"],
                condition=models.Q(region__isnull=True),
                name="role_assignment_unique_national",
            ),
            models.CheckConstraint(
                condition=models.Q(role__in=[choice.value for choice in rules.RoleCode]),
                name="role_assignment_known_role",
            ),
            # Only the national viewer may hold a role for the whole country.
            models.CheckConstraint(
                condition=(
                    models.Q(role=rules.RoleCode.NATIONAL_VIEWER.value, region__isnull=True)
                    | (
                        ~models.Q(role=rules.RoleCode.NATIONAL_VIEWER.value)
                        & models.Q(region__isnull=False)
                    )
                ),
                name="role_assignment_national_scope",
            ),
        ]

    def __str__(self) -> str:
        where = self.region.display_name if self.region else _("Indonesia")
        return f"{self.get_role_display()} — {where}"

    def clean(self):
        if self.role not in rules.RoleCode:  # an unknown role is the field's error already
            return
        error = rules.scope_level_error(
            rules.RoleCode(self.role), self.region.level if self.region_id else None
        )
        if error:
            raise ValidationError({"region": error})


class PersonalDataAccess(models.Model):
    """One read or export of personal data (NIK, name, address, heirs, bank account)."""

    class Action(models.TextChoices):
        VIEW_RECORD = "view_record", _("Viewed a record")
        VIEW_LIST = "view_list", _("Viewed a list with names")
        VIEW_NIK = "view_nik", _("Revealed a full NIK")
        SEARCH_NIK = "search_nik", _("Searched by NIK")
        EXPORT = "export", _("Exported personal data")
        TRANSFER = "transfer", _("Moved a worker between regions")

    scope_field = "region_code"

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField(_("when"), auto_now_add=True, db_index=True)
    action = models.CharField(_("action"), max_length=20, choices=Action.choices)
    object_type = models.CharField(_("object type"), max_length=40)
    object_id = models.CharField(_("object"), max_length=64, blank=True)
    region_code = models.CharField(_("region"), max_length=13, blank=True, db_index=True)
    reason = models.CharField(_("reason"), max_length=255, blank=True)
    ip_address = models.GenericIPAddressField(null=True, blank=True)
    detail = models.JSONField(default=dict, blank=True)

    class Meta:
        verbose_name = _("personal data access")
        verbose_name_plural = _("personal data accesses")
        ordering = ["-at"]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.user_id} {self.action} {self.object_id}"
