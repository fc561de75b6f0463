import json

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.db.models.functions import Substr
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from jaring.core import crypto
from jaring.core.fields import NikFreeTextField
from jaring.core.masking import mask_nik
from jaring.registry.content import HASHED_FIELDS, content_hash


class Occupation(models.Model):
    """An occupation category (data, extendable by admins). ``group`` ties it to rate rules."""

    code = models.SlugField(_("code"), max_length=40, primary_key=True)
    name = models.CharField(_("name"), max_length=100)
    group = models.CharField(
        _("group"), max_length=40, blank=True, help_text=_("e.g. 'transport' for PP 50/2025")
    )
    synonyms = models.TextField(
        _("synonyms"), blank=True, help_text=_("Other spellings in source files, one per line.")
    )
    sort_order = models.PositiveSmallIntegerField(_("sort order"), default=100)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("occupation")
        verbose_name_plural = _("occupations")
        ordering = ["sort_order", "name"]

    def __str__(self) -> str:
        return self.name


class WorkerStatus(models.TextChoices):
    ACTIVE = "active", _("Active")
    DECEASED = "deceased", _("Deceased")
    MOVED = "moved", _("Moved away")
    MERGED = "merged", _("Duplicate (merged)")


class Sex(models.TextChoices):
    MALE = "L", _("Male")
    FEMALE = "P", _("Female")


class Worker(models.Model):
    """A vulnerable worker (pekerja rentan), identified by NIK, living in a desa/kelurahan."""

    scope_field = "village__code"
    # Derived region columns let scoping and aggregation use equality on an index.
    scope_columns = {1: "province_code", 2: "regency_code", 3: "district_code", 4: "village_id"}

    # Unique by the constraint worker_nik_index_unique (its one index: a blind index is only
    # ever looked up by equality, never by LIKE).
    nik_index = models.CharField(max_length=64, editable=False)
    nik_cipher = models.BinaryField(editable=False)
    nik_hint = models.CharField(max_length=8, editable=False)
    full_name = models.CharField(_("full name"), max_length=150)
    name_key = models.CharField(max_length=150, editable=False)
    sex = models.CharField(_("sex"), max_length=1, choices=Sex.choices)
    birth_date = models.DateField(_("birth date"))
    birth_place = models.CharField(_("place of birth"), max_length=100, blank=True)
    phone = models.CharField(_("phone"), max_length=20, blank=True)
    address = models.CharField(_("address"), max_length=255, blank=True)
    rt_rw = models.CharField(_("RT/RW"), max_length=20, blank=True)
    # Indexed by worker_village_occ_idx (village first); no separate FK index needed.
    village = models.ForeignKey(
        "regions.Region",
        verbose_name=_("village"),
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,
    )
    province_code = models.GeneratedField(
        expression=Substr("village", 1, 2),
        output_field=models.CharField(max_length=2),
        db_persist=True,
    )
    regency_code = models.GeneratedField(
        expression=Substr("village", 1, 5),
        output_field=models.CharField(max_length=5),
        db_persist=True,
    )
    district_code = models.GeneratedField(
        expression=Substr("village", 1, 8),
        output_field=models.CharField(max_length=8),
        db_persist=True,
    )
    occupation = models.ForeignKey(
        Occupation,
        verbose_name=_("occupation"),
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,  # a handful of categories: an index would never be chosen
    )
    declared_income = models.PositiveBigIntegerField(_("declared monthly income"), null=True)
    desil = models.PositiveSmallIntegerField(_("welfare decile (desil)"), null=True, blank=True)
    has_disability = models.BooleanField(_("person with disability"), default=False)
    is_female_head = models.BooleanField(_("female head of household"), default=False)
    source = models.CharField(_("data source"), max_length=50, blank=True)
    source_ref = models.CharField(_("source row"), max_length=255, blank=True)
    status = models.CharField(
        _("status"), max_length=10, choices=WorkerStatus.choices, default=WorkerStatus.ACTIVE
    )
    date_of_death = models.DateField(_("date of death"), null=True, blank=True)
    merged_into = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    last_batch = models.ForeignKey(
        "registry.ImportBatch", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    # The hash of the imported fields (registry.content): an unchanged re-imported row is
    # recognised by it and not rewritten. Set by save() and by the import's merge.
    # db_default too: rows written by SQL (and by older migrations' models) have no hash yet.
    content_hash = models.CharField(
        max_length=32, blank=True, default="", db_default="", editable=False
    )
    # The digest of the raw row that last left the worker as it is (registry.content): a
    # re-imported row with this digest is unchanged without being checked. Set by the import's
    # merge only; a save that changes an imported field forgets it.
    row_hash = models.BinaryField(max_length=16, null=True, editable=False)
    # History rows are looked up by worker and date only; indexing their copied foreign keys
    # would slow every bulk import for queries nobody runs.
    history = HistoricalRecords(
        excluded_fields=["nik_cipher", "created_at", "updated_at", "content_hash", "row_hash"],
        no_db_index=["village", "occupation", "merged_into", "last_batch"],
    )

    class Meta:
        verbose_name = _("worker")
        verbose_name_plural = _("workers")
        indexes = [
            models.Index(fields=["regency_code", "status"], name="worker_regency_status_idx"),
            models.Index(fields=["district_code"], name="worker_district_idx"),
            models.Index(fields=["name_key", "birth_date"], name="worker_name_birth_idx"),
            models.Index(fields=["village", "occupation"], name="worker_village_occ_idx"),
            models.Index(
                fields=["row_hash"], name="worker_row_hash_idx", condition=Q(row_hash__isnull=False)
            ),
        ]
        constraints = [
            models.UniqueConstraint(fields=["nik_index"], name="worker_nik_index_unique"),
            models.CheckConstraint(
                condition=Q(desil__gte=1, desil__lte=10) | Q(desil__isnull=True),
                name="worker_desil_range",
            ),
            models.CheckConstraint(condition=Q(sex__in=["L", "P"]), name="worker_sex"),
            models.CheckConstraint(
                condition=Q(status="deceased", date_of_death__isnull=False)
                | (~Q(status="deceased") & Q(date_of_death__isnull=True)),
                name="worker_death_date_iff_deceased",
            ),
            models.CheckConstraint(
                condition=Q(status="merged", merged_into__isnull=False)
                | (~Q(status="merged") & Q(merged_into__isnull=True)),
                name="worker_merged_has_target",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.full_name} ({self.masked_nik})"

    def save(self, *args, update_fields=None, **kwargs):
        loaded = self.content_hash
        self.content_hash = content_hash({name: getattr(self, name) for name in HASHED_FIELDS})
        if update_fields is not None:
            saved = {self._meta.get_field(f).attname for f in update_fields}
            if not set(HASHED_FIELDS).isdisjoint(saved):
                if not set(HASHED_FIELDS) <= saved:
                    # Some hashed fields saved, others as loaded: the hash would describe values
                    # that may not be stored. Empty, the next import compares field by field.
                    self.content_hash = ""
                update_fields = {*update_fields, "content_hash", "row_hash"}
        if not loaded or self.content_hash != loaded:
            # The imported fields changed (or cannot be told unchanged): the raw row that left
            # the worker as it was no longer describes it.
            self.row_hash = None
        super().save(*args, update_fields=update_fields, **kwargs)

    @property
    def masked_nik(self) -> str:
        return mask_nik(self.nik_hint)


class ImportBatch(models.Model):
    """One uploaded file and what became of each of its rows."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Waiting")
        RUNNING = "running", _("Running")
        DONE = "done", _("Done")
        FAILED = "failed", _("Failed")

    scope_field = "region__code"

    region = models.ForeignKey("regions.Region", on_delete=models.PROTECT, related_name="+")
    source = models.CharField(_("data source"), max_length=50, blank=True)
    file_name = models.CharField(_("file"), max_length=255)
    stored_file = models.CharField(max_length=500, blank=True, editable=False)
    file_sha256 = models.CharField(max_length=64, blank=True)
    dry_run = models.BooleanField(default=False)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    rows = models.PositiveIntegerField(default=0)
    accepted = models.PositiveIntegerField(default=0)
    updated = models.PositiveIntegerField(default=0)
    unchanged = models.PositiveIntegerField(default=0)
    duplicates = models.PositiveIntegerField(default=0)
    rejected = models.PositiveIntegerField(default=0)
    # Rows whose NIK is registered outside the batch's region: a transfer request each.
    registered_elsewhere = models.PositiveIntegerField(default=0)
    warnings = models.PositiveIntegerField(default=0)
    error = NikFreeTextField(blank=True)  # an exception's text may quote a row

    class Meta:
        verbose_name = _("import batch")
        verbose_name_plural = _("import batches")
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=["pending", "running", "failed"])
                | Q(
                    rows=models.F("accepted")
                    + models.F("updated")
                    + models.F("unchanged")
                    + models.F("duplicates")
                    + models.F("rejected")
                    + models.F("registered_elsewhere")
                ),
                name="import_batch_rows_add_up",
            )
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.file_name}"

    def summary(self) -> dict:
        return {
            "batch": self.pk,
            "status": self.status,
            "rows": self.rows,
            "accepted": self.accepted,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "duplicates": self.duplicates,
            "rejected": self.rejected,
            "registered_elsewhere": self.registered_elsewhere,
            "warnings": self.warnings,
            "dry_run": self.dry_run,
            "seconds": round((self.finished_at - self.started_at).total_seconds(), 3)
            if self.finished_at and self.started_at
            else None,
        }


class ImportRowIssue(models.Model):
    """A row that was rejected or duplicated (with the row as it came in), or a warning."""

    class Outcome(models.TextChoices):
        REJECTED = "rejected", _("Rejected")
        DUPLICATE = "duplicate", _("Duplicate in file")
        WARNING = "warning", _("Accepted with warning")
        REGISTERED_ELSEWHERE = "registered_elsewhere", _("Registered in another region")

    batch = models.ForeignKey(ImportBatch, on_delete=models.CASCADE, related_name="issues")
    row_number = models.PositiveIntegerField()
    outcome = models.CharField(max_length=20, choices=Outcome.choices)
    codes = models.JSONField(default=list)
    message = NikFreeTextField()
    # The row as it came in (its NIK included), sealed like a NIK (``seal_raw``); emptied by
    # ``jaring purge_personal_files`` after the retention period.
    raw_cipher = models.BinaryField(null=True, editable=False)
    # The worker an accepted row with a warning became (linked when the batch merges).
    worker = models.ForeignKey(
        "Worker", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # A refused row's raw digest (registry.content): the same row in a later import of the
    # region is refused again for these reasons without being checked (registry.bulk).
    row_hash = models.BinaryField(max_length=16, null=True, editable=False)

    class Meta:
        indexes = [
            models.Index(fields=["batch", "outcome", "row_number"], name="issue_batch_idx"),
            # A row's latest refusal, found by its raw digest with one index probe (the import
            # reuses it: bulk.rows_to_check).
            models.Index(
                fields=["row_hash", "id"],
                name="issue_row_hash_latest_idx",
                condition=Q(row_hash__isnull=False),
            ),
        ]

    def __str__(self) -> str:
        return f"row {self.row_number}: {self.message}"

    @staticmethod
    def seal_raw(raw: dict) -> bytes | None:
        return crypto.encrypt_personal(json.dumps(raw, default=str)) if raw else None

    @property
    def raw(self) -> dict:
        """The row as it came in (decrypted: for the rejects workbook and its readers)."""
        return json.loads(crypto.decrypt_personal(self.raw_cipher)) if self.raw_cipher else {}


class DuplicateCandidate(models.Model):
    """Two workers, different NIKs, maybe one person: the same name key and birth date, and the
    same village or (elsewhere, in another village or kabupaten) the same sex."""

    class Status(models.TextChoices):
        OPEN = "open", _("To review")
        SAME_PERSON = "same", _("Same person")
        DIFFERENT = "different", _("Different people")

    # Both records' regions see the case (a cross-region case is decided by both).
    scope_field = ("worker__village__code", "other__village__code")

    worker = models.ForeignKey(Worker, on_delete=models.CASCADE, related_name="+")
    other = models.ForeignKey(Worker, on_delete=models.CASCADE, related_name="+")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.OPEN)
    found_in_batch = models.ForeignKey(
        ImportBatch, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    # The two records live in two kabupaten: each one's admin decides (DuplicateDecision).
    cross_region = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["worker", "other"], name="duplicate_pair_unique"),
            models.CheckConstraint(
                condition=Q(worker__lt=models.F("other")), name="duplicate_pair_ordered"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.worker_id} ~ {self.other_id} ({self.status})"


class DuplicateDecision(models.Model):
    """One kabupaten's verdict on a cross-region duplicate case (the case needs both)."""

    candidate = models.ForeignKey(
        DuplicateCandidate, on_delete=models.CASCADE, related_name="decisions"
    )
    regency_code = models.CharField(max_length=5)
    same_person = models.BooleanField()
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    decided_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["candidate", "regency_code"], name="duplicate_decision_once_per_side"
            )
        ]

    def __str__(self) -> str:
        return f"{self.candidate_id} {self.regency_code}: {self.same_person}"


class TransferRequest(models.Model):
    """A NIK registered in one region that another region tried to register: a move to decide.

    Opened by an import row, a single registration or an update; the admin of the region the
    worker lives in accepts (the worker moves) or refuses. Only the contact fields of the
    incoming row are kept (the Worker table holds the rest); nothing is changed before that.
    """

    class Status(models.TextChoices):
        OPEN = "open", _("Open")
        ACCEPTED = "accepted", _("Accepted")
        REFUSED = "refused", _("Refused")

    # Both sides see it: the region the worker lived in and the region that asked.
    scope_field = ("from_village__code", "to_village__code")

    worker = models.ForeignKey(Worker, on_delete=models.PROTECT, related_name="transfer_requests")
    from_village = models.ForeignKey(
        "regions.Region", on_delete=models.PROTECT, related_name="+", db_index=False
    )
    to_village = models.ForeignKey(
        "regions.Region", on_delete=models.PROTECT, related_name="+", db_index=False
    )
    from_regency = models.GeneratedField(
        expression=Substr("from_village", 1, 5),
        output_field=models.CharField(max_length=5),
        db_persist=True,
    )
    to_regency = models.GeneratedField(
        expression=Substr("to_village", 1, 5),
        output_field=models.CharField(max_length=5),
        db_persist=True,
    )
    phone = models.CharField(_("phone"), max_length=20, blank=True)
    address = models.CharField(_("address"), max_length=255, blank=True)
    rt_rw = models.CharField(_("RT/RW"), max_length=20, blank=True)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    batch = models.ForeignKey(
        ImportBatch, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    row_number = models.PositiveIntegerField(null=True, blank=True)
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.OPEN
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    reason = models.CharField(_("reason"), max_length=255, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    history = HistoricalRecords(
        no_db_index=["worker", "from_village", "to_village", "requested_by", "batch", "decided_by"]
    )

    class Meta:
        verbose_name = _("transfer request")
        verbose_name_plural = _("transfer requests")
        indexes = [
            models.Index(fields=["from_regency", "status"], name="transfer_from_idx"),
            models.Index(fields=["to_regency", "status"], name="transfer_to_idx"),
        ]
        constraints = [
            # A re-run of the same import asks once: one open request per worker and target.
            models.UniqueConstraint(
                fields=["worker", "to_regency"],
                condition=Q(status="open"),
                name="transfer_one_open_per_target",
            ),
            models.CheckConstraint(
                condition=Q(status__in=["open", "accepted", "refused"]), name="transfer_status"
            ),
            models.CheckConstraint(
                condition=Q(status="open", decided_at__isnull=True)
                | (~Q(status="open") & Q(decided_at__isnull=False)),
                name="transfer_decided_iff_closed",
            ),
            models.CheckConstraint(
                condition=~Q(from_village=models.F("to_village")), name="transfer_moves"
            ),
        ]

    def __str__(self) -> str:
        return f"transfer {self.pk}: worker {self.worker_id} → {self.to_village_id} ({self.status})"


class ImportStaging(models.Model):
    """Rows of a running import, validated and ready to merge (emptied when the batch ends)."""

    # No foreign key constraint nor index of its own: rows live for one transaction and are
    # looked up by (batch, nik_index).
    batch = models.ForeignKey(
        ImportBatch,
        on_delete=models.CASCADE,
        related_name="+",
        db_constraint=False,
        db_index=False,
    )
    row_number = models.PositiveIntegerField()
    nik_index = models.CharField(max_length=64)
    nik_cipher = models.BinaryField()
    nik_hint = models.CharField(max_length=8)
    full_name = models.CharField(max_length=150)
    name_key = models.CharField(max_length=150)
    sex = models.CharField(max_length=1)
    birth_date = models.DateField()
    birth_place = models.CharField(max_length=100)
    phone = models.CharField(max_length=20)
    address = models.CharField(max_length=255)
    rt_rw = models.CharField(max_length=20)
    village_id = models.CharField(max_length=13)
    occupation_id = models.CharField(max_length=40)
    declared_income = models.BigIntegerField(null=True)
    desil = models.SmallIntegerField(null=True)
    has_disability = models.BooleanField()
    is_female_head = models.BooleanField()
    source = models.CharField(max_length=50)
    source_ref = models.CharField(max_length=255)
    content_hash = models.CharField(max_length=32, default="")
    row_hash = models.BinaryField(max_length=16, null=True)
    worker_id = models.BigIntegerField(null=True)
    # "new", or "known" (its NIK registered in the batch's region, with ``worker_id``) until the
    # merge compares it ("changed" or "same"), or "foreign" (registered outside the batch's
    # region, with ``worker_id``: never merged, a transfer request).
    outcome = models.CharField(max_length=8, db_default="new")

    class Meta:
        # Each chunk of an import is merged by its range of row numbers (bulk.merge_chunk).
        indexes = [models.Index(fields=["batch", "row_number"], name="staging_batch_row_idx")]

    def __str__(self) -> str:
        return f"staging row {self.row_number} of batch {self.batch_id}"
