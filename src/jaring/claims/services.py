"""Every write of a claim, each in one transaction: report, judge, heirs, documents, approval,
payment, handover, and the death-list matching that finds claims nobody reported."""

from __future__ import annotations

import datetime
import hashlib
import uuid
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from jaring.accounts.scoping import RegionScope
from jaring.claims import rules
from jaring.claims.models import (
    BenefitPayment,
    Claim,
    ClaimDocument,
    ClaimStatus,
    DeathList,
    DeathRecord,
    FamilyMember,
    Handover,
    Instalment,
)
from jaring.enrolment.models import OPEN_STATUSES, Enrolment
from jaring.programs import rules as program_rules
from jaring.programs.rulebook import default_rulebook
from jaring.programs.rules import Event, Program, Relationship
from jaring.registry import protection
from jaring.registry import rules as registry_rules
from jaring.registry.models import Worker, WorkerStatus
from jaring.reports.services import refresh_after_commit

DEATH_EVENTS = {Event.DEATH.value, Event.WORK_ACCIDENT_DEATH.value}
PROTECTING_STATUSES = ("active", "ended", "lapsed")


def claims_dir(claim: Claim) -> Path:
    path = Path(settings.MEDIA_ROOT) / "claims" / str(claim.pk)
    path.mkdir(parents=True, exist_ok=True)
    return path


# --- Report --------------------------------------------------------------------------------


@dataclass(frozen=True)
class EventReport:
    program: str
    event: str
    event_date: datetime.date
    reported_by: str
    place: str = ""
    cause: str = ""
    traffic_accident: bool = False
    disability_percent: Decimal | int = 0
    incapacity_days: int = 0
    reporter_name: str = ""
    reporter_phone: str = ""
    notes: str = ""


@transaction.atomic
def report_event(
    worker: Worker,
    report: EventReport,
    user,
    today: datetime.date | None = None,
    status: str = ClaimStatus.REPORTED,
) -> Claim:
    """Open a claim for a death or accident; a death marks the worker deceased."""
    today = today or timezone.localdate()
    _check_report(worker, report, today)
    claim = Claim(
        number=f"TMP-{uuid.uuid4().hex}",
        worker=worker,
        village_id=worker.village_id,
        program=report.program,
        event=report.event,
        event_date=report.event_date,
        place=report.place,
        cause=report.cause,
        traffic_accident=report.traffic_accident,
        disability_percent=report.disability_percent,
        incapacity_days=report.incapacity_days,
        reported_by=report.reported_by,
        reporter_name=report.reporter_name,
        reporter_phone=report.reporter_phone,
        notes=report.notes,
        status=status,
        created_by=user,
        reported_on=today,
    )
    claim._history_user = user
    try:
        with transaction.atomic():
            claim.save()
    except IntegrityError as exc:
        raise ValidationError(
            "Klaim untuk pekerja, program dan tanggal kejadian ini sudah ada."
        ) from exc
    claim.number = f"KLM/{worker.regency_code}/{report.event_date.year}/{claim.pk:06d}"
    claim.save(update_fields=["number"])
    if report.event in DEATH_EVENTS:
        mark_deceased(worker, report.event_date, user, f"Dilaporkan meninggal: {claim.number}")
    judge(claim, today)
    refresh_after_commit(worker.regency_code)
    return claim


def _check_report(worker: Worker, report: EventReport, today: datetime.date) -> None:
    program = Program(report.program)
    if Event(report.event) not in program_rules.EVENTS_BY_PROGRAM.get(program, set()):
        raise ValidationError("Jenis kejadian tidak sesuai dengan program yang dipilih.")
    if report.event_date > today:
        raise ValidationError("Tanggal kejadian tidak boleh di masa depan.")
    if report.event_date < worker.birth_date:
        raise ValidationError("Tanggal kejadian sebelum tanggal lahir pekerja.")
    if worker.status == WorkerStatus.MERGED:
        raise ValidationError("Data pekerja ini adalah duplikat; laporkan pada data utamanya.")
    if (
        worker.status == WorkerStatus.DECEASED
        and report.event in DEATH_EVENTS
        and worker.date_of_death != report.event_date
    ):
        raise ValidationError(
            f"Pekerja sudah tercatat meninggal pada {worker.date_of_death:%d-%m-%Y}."
        )


def mark_deceased(worker: Worker, day: datetime.date, user, reason: str) -> None:
    """Record a death in the registry and stop the coverage (and billing) after that month."""
    from jaring.enrolment.services import end_enrolment

    worker = Worker.objects.select_for_update().get(pk=worker.pk)
    if worker.status != WorkerStatus.DECEASED:
        worker.status, worker.date_of_death = WorkerStatus.DECEASED, day
        worker._history_user, worker._change_reason = user, reason
        worker.save(update_fields=["status", "date_of_death", "updated_at"])
    for enrolment in Enrolment.objects.filter(worker=worker, status__in=OPEN_STATUSES):
        end_enrolment(enrolment, "death", day, user)


# --- Eligibility and benefit -----------------------------------------------------------------


def covering_enrolment(worker: Worker, day: datetime.date) -> Enrolment | None:
    """The enrolment with a KPJ whose months include ``day`` (the latest if several)."""
    month = day.replace(day=1)
    return (
        Enrolment.objects.filter(
            worker=worker,
            status__in=PROTECTING_STATUSES,
            start_month__lte=month,
            end_month__gte=month,
        )
        .exclude(kpj_number="")
        .order_by("-start_month")
        .first()
    )


def membership_start(enrolment: Enrolment) -> datetime.date:
    """The first month of an unbroken run of enrolments ending with ``enrolment``."""
    start = enrolment.start_month
    earlier = Enrolment.objects.filter(
        worker_id=enrolment.worker_id, status__in=PROTECTING_STATUSES, start_month__lt=start
    ).order_by("-start_month")
    for previous in earlier.values("start_month", "end_month"):
        if program_rules.months_between(previous["end_month"], start) > 1:
            break
        start = min(start, previous["start_month"])
    return start


JUDGED_FIELDS = [
    "enrolment",
    "paid_through",
    "eligible",
    "eligibility",
    "arrears_months",
    "components",
    "benefit_total",
    "scholarship",
    "rule_refs",
    "heir_basis",
    "checked_at",
]


def judge(claim: Claim, today: datetime.date | None = None) -> Claim:
    """Eligibility, benefit and heirs by the rules in force on the event date (saved)."""
    from jaring.finance.selectors import paid_through

    today = today or timezone.localdate()
    claim.refresh_from_db()  # judge the stored claim (its history row must show the real status)
    book = default_rulebook()
    enrolment = covering_enrolment(claim.worker, claim.event_date)
    paid = paid_through(enrolment) if enrolment else None
    claim.enrolment, claim.paid_through = enrolment, paid
    claim.components, claim.benefit_total, claim.scholarship = [], 0, {}
    claim.arrears_months, claim.rule_refs = 0, []
    if enrolment is None or paid is None:
        claim.eligible = False
        claim.eligibility = program_rules.reason(
            "not_enrolled" if not enrolment else "nothing_paid"
        )
    else:
        _apply_benefit(claim, book, enrolment, paid, today)
    if claim.heir_override_by_id is None:
        _choose_heirs(claim, book)
    claim.checked_at = timezone.now()
    claim._change_reason = "Kelayakan dan manfaat dihitung ulang"
    # Only what judging computes: a stale copy must never write back a status or a decision.
    claim.save(update_fields=JUDGED_FIELDS)
    return claim


def _apply_benefit(claim, book, enrolment, paid, today) -> None:
    children = list(claim.family.filter(relationship=Relationship.CHILD).order_by("id"))
    facts = program_rules.BenefitFacts(
        program=Program(claim.program),
        event=Event(claim.event),
        event_date=claim.event_date,
        membership_start=membership_start(enrolment),
        paid_through=paid,
        declared_income=enrolment.declared_income,
        disability_percent=Decimal(str(claim.disability_percent)),
        incapacity_days=claim.incapacity_days,
        children=tuple(
            program_rules.Child(
                birth_date=child.birth_date or claim.event_date,
                education=program_rules.Education(child.education) if child.education else None,
                married=child.married,
                working=child.working,
                alive=child.alive,
            )
            for child in children
        ),
        claim_date=claim.reported_on or today,
    )
    try:
        result = program_rules.benefit(book, facts)
    except program_rules.RuleError as exc:
        claim.eligible = False
        claim.eligibility = program_rules.reason("not_judged", message=str(exc))
        return
    claim.eligible = result.eligibility.eligible
    claim.eligibility = result.eligibility.reason
    claim.arrears_months = result.eligibility.arrears_months
    claim.rule_refs = result.rule_refs
    if claim.eligible:
        claim.components = result.components
        claim.benefit_total = result.total
        scholarship = result.scholarship
        claim.scholarship = {
            "eligible": scholarship.eligible,
            "total": scholarship.total,
            "note": scholarship.note,
            "note_id": scholarship.note_id,
            "children": [
                {**entry, "member_id": children[entry["index"]].pk}
                for entry in scholarship.children
            ],
        }


def _choose_heirs(claim: Claim, book) -> None:
    if claim.event not in DEATH_EVENTS:
        claim.heir_basis = "Manfaat dibayarkan kepada peserta sendiri."
        return
    members = list(claim.family.order_by("id"))
    decision = program_rules.choose_heirs(
        book,
        claim.event_date,
        [program_rules.FamilyMember(Relationship(m.relationship), alive=m.alive) for m in members],
    )
    chosen = {members[index].pk for index in decision.heirs}
    for member in members:
        if member.is_heir != (member.pk in chosen):
            member.is_heir = member.pk in chosen
            member.save(update_fields=["is_heir"])
    claim.heir_basis = decision.basis_id


def _require_editable(claim: Claim) -> None:
    if not claim.is_editable:
        raise ValidationError("Klaim ini sudah diajukan; data tidak dapat diubah lagi.")


@transaction.atomic
def add_family_member(claim: Claim, user, nik: str = "", **fields) -> FamilyMember:
    """Record a family member (a possible heir); the rules then pick the heirs again."""
    claim = Claim.objects.select_for_update().get(pk=claim.pk)
    _require_editable(claim)
    member = FamilyMember(claim=claim, **fields)
    if nik:
        normalised, problem = registry_rules.normalise_nik(nik)
        if problem:
            raise ValidationError(registry_rules.REJECT_MESSAGES[problem])
        member.nik_cipher = protection.encrypt_nik(normalised)
        member.nik_index = protection.nik_index(normalised)
        member.nik_hint = registry_rules.nik_hint(normalised)
    if member.relationship == Relationship.CHILD and member.education and not member.birth_date:
        raise ValidationError("Tanggal lahir anak wajib diisi untuk menghitung beasiswa.")
    member._history_user = user
    member.save()
    judge(claim)
    return member


@transaction.atomic
def override_heirs(claim: Claim, user, heir_ids: list[int], reason: str) -> None:
    """An officer's exception to the rule's choice of heirs: justified and kept in history."""
    claim = Claim.objects.select_for_update().get(pk=claim.pk)
    _require_editable(claim)
    if len(reason.strip()) < 20:
        raise ValidationError("Tuliskan alasan pengecualian (minimal 20 karakter).")
    members = {m.pk: m for m in claim.family.all()}
    if not heir_ids or not set(heir_ids) <= set(members):
        raise ValidationError("Pilih ahli waris dari anggota keluarga klaim ini.")
    for pk, member in members.items():
        member.is_heir = pk in heir_ids
        member._history_user, member._change_reason = user, reason.strip()
        member.save(update_fields=["is_heir"])
    claim.heir_override_reason, claim.heir_override_by = reason.strip(), user
    claim.heir_basis = (
        f"Pengecualian oleh {user.get_full_name() or user.username}: {reason.strip()}"
    )
    claim._history_user, claim._change_reason = user, "Pengecualian ahli waris"
    claim.save(update_fields=["heir_override_reason", "heir_override_by", "heir_basis"])


# --- Documents -------------------------------------------------------------------------------


def required_documents(claim: Claim) -> list[str]:
    spouse_heir = claim.family.filter(is_heir=True, relationship=Relationship.SPOUSE).exists()
    kinds, _ref = rules.required_documents(
        default_rulebook(),
        Event(claim.event),
        claim.event_date,
        spouse_heir,
        claim.traffic_accident,
    )
    return kinds


@transaction.atomic
def upload_document(claim: Claim, kind: str, upload, user) -> ClaimDocument:
    """Keep an uploaded document outside the web root after checking its size and real type."""
    _require_editable(claim)
    if kind not in rules.DOCUMENT_KINDS:
        raise ValidationError("Jenis dokumen tidak dikenal.")
    if upload.size <= 0 or upload.size > rules.MAX_DOCUMENT_BYTES:
        raise ValidationError(
            f"Ukuran berkas harus di atas 0 dan paling besar "
            f"{rules.MAX_DOCUMENT_BYTES // (1024 * 1024)} MB."
        )
    upload.seek(0)
    content_type = rules.sniff_document_type(upload.read(8192))
    if content_type is None:
        raise ValidationError("Berkas harus PDF, JPG atau PNG (isi berkas diperiksa).")
    upload.seek(0)
    digest = hashlib.sha256()
    target = claims_dir(claim) / f"{uuid.uuid4().hex}{rules.ACCEPTED_DOCUMENT_TYPES[content_type]}"
    with target.open("wb") as handle:
        for chunk in upload.chunks():
            digest.update(chunk)
            handle.write(chunk)
    try:
        with transaction.atomic():
            return ClaimDocument.objects.create(
                claim=claim,
                kind=kind,
                original_name=Path(upload.name).name[:255],
                stored_file=str(target),
                content_type=content_type,
                size=upload.size,
                sha256=digest.hexdigest(),
                uploaded_by=user,
            )
    except IntegrityError as exc:
        target.unlink(missing_ok=True)
        raise ValidationError("Berkas yang sama sudah diunggah untuk klaim ini.") from exc


@transaction.atomic
def verify_document(document: ClaimDocument, user, today: datetime.date | None = None) -> None:
    """Mark a document checked against the original; complete documents start the service clock."""
    claim = Claim.objects.select_for_update().get(pk=document.claim_id)
    _require_editable(claim)
    if document.uploaded_by_id == user.pk:
        raise ValidationError("Dokumen harus diperiksa oleh petugas lain dari pengunggahnya.")
    ClaimDocument.objects.filter(pk=document.pk, verified_at__isnull=True).update(
        verified_by=user, verified_at=timezone.now()
    )
    _refresh_documents_complete(claim, today or timezone.localdate())


def _refresh_documents_complete(claim: Claim, today: datetime.date) -> None:
    verified = set(claim.documents.filter(verified_at__isnull=False).values_list("kind", flat=True))
    complete = set(required_documents(claim)) <= verified
    if complete and claim.documents_complete_on is None:
        claim.documents_complete_on = today
    elif not complete:
        claim.documents_complete_on = None
    claim._change_reason = "Dokumen lengkap" if complete else "Dokumen diperiksa"
    claim.save(update_fields=["documents_complete_on"])


# --- Maker-checker ---------------------------------------------------------------------------


def submission_problems(claim: Claim) -> list[str]:
    """What still stops the claims officer from sending the claim for approval."""
    problems = []
    if not claim.eligible:
        problems.append("Peserta tidak memenuhi syarat: " + claim.eligibility.get("reason_id", ""))
    if claim.arrears_months:
        problems.append(f"Lunasi dahulu tunggakan iuran {claim.arrears_months} bulan.")
    if claim.event in DEATH_EVENTS and not claim.family.filter(is_heir=True).exists():
        problems.append("Belum ada ahli waris.")
    if claim.documents_complete_on is None:
        problems.append("Dokumen wajib belum lengkap atau belum diperiksa.")
    return problems


@transaction.atomic
def open_potential(claim: Claim, user) -> None:
    """A potential claim from a death list becomes a claim in preparation."""
    _transition(claim, ClaimStatus.POTENTIAL, ClaimStatus.REPORTED, user, "Klaim potensial dibuka")


@transaction.atomic
def dismiss(claim: Claim, user, note: str) -> None:
    if len(note.strip()) < 10:
        raise ValidationError("Tuliskan alasan (minimal 10 karakter).")
    _transition(
        claim, ClaimStatus.POTENTIAL, ClaimStatus.DISMISSED, user, note, decision_note=note.strip()
    )


@transaction.atomic
def submit(claim: Claim, user) -> None:
    claim = Claim.objects.select_for_update().get(pk=claim.pk)
    judge(claim)
    problems = submission_problems(claim)
    if problems:
        raise ValidationError(problems)
    _transition(
        claim,
        ClaimStatus.REPORTED,
        ClaimStatus.SUBMITTED,
        user,
        "Diajukan untuk persetujuan",
        submitted_by=user,
        submitted_at=timezone.now(),
    )


@transaction.atomic
def approve(claim: Claim, user, note: str = "", today: datetime.date | None = None) -> None:
    """The checker approves: one conditional UPDATE, so two approvals at once cannot both win."""
    today = today or timezone.localdate()
    current = Claim.objects.get(pk=claim.pk)
    if current.submitted_by_id == user.pk:
        raise PermissionDenied("Pengaju klaim tidak boleh menyetujui klaimnya sendiri.")
    _transition(
        current,
        ClaimStatus.SUBMITTED,
        ClaimStatus.APPROVED,
        user,
        "Disetujui",
        decided_by=user,
        decided_at=timezone.now(),
        decision_note=note.strip(),
    )
    _create_instalments(Claim.objects.get(pk=claim.pk), today)


@transaction.atomic
def send_back(claim: Claim, user, note: str, reject: bool) -> None:
    """The checker rejects the claim, or returns it to the officer to be corrected."""
    if len(note.strip()) < 10:
        raise ValidationError("Tuliskan alasan (minimal 10 karakter).")
    current = Claim.objects.get(pk=claim.pk)
    if current.submitted_by_id == user.pk:
        raise PermissionDenied("Pengaju klaim tidak boleh memutus klaimnya sendiri.")
    if reject:
        _transition(
            current,
            ClaimStatus.SUBMITTED,
            ClaimStatus.REJECTED,
            user,
            note,
            decided_by=user,
            decided_at=timezone.now(),
            decision_note=note.strip(),
        )
    else:
        _transition(
            current,
            ClaimStatus.SUBMITTED,
            ClaimStatus.REPORTED,
            user,
            note,
            submitted_by=None,
            submitted_at=None,
            decision_note=note.strip(),
        )


def decide(claim: Claim, user, action: str, note: str = "") -> None:
    """One of the officer's or the checker's actions on a claim, after the role check."""
    from jaring.claims.selectors import may_approve, may_prepare

    allowed, act = {
        "open": (may_prepare, lambda: open_potential(claim, user)),
        "dismiss": (may_prepare, lambda: dismiss(claim, user, note)),
        "recheck": (may_prepare, lambda: _require_editable(claim) or judge(claim)),
        "submit": (may_prepare, lambda: submit(claim, user)),
        "approve": (may_approve, lambda: approve(claim, user, note)),
        "return": (may_approve, lambda: send_back(claim, user, note, reject=False)),
        "reject": (may_approve, lambda: send_back(claim, user, note, reject=True)),
    }[action]
    if not allowed(user, claim):
        raise PermissionDenied
    act()


def _transition(claim: Claim, from_status: str, to_status: str, user, reason: str, **fields):
    """Compare-and-set on the status: whoever loses a race gets a clear error, not a repeat."""
    changed = Claim.objects.filter(pk=claim.pk, status=from_status).update(
        status=to_status, **fields
    )
    if changed != 1:
        raise ValidationError("Status klaim sudah berubah oleh pengguna lain; muat ulang halaman.")
    claim.refresh_from_db()
    claim._history_user, claim._change_reason = user, reason[:100]
    claim.save(update_fields=["status"])  # writes the history row with who and why
    refresh_after_commit(claim.village_id[:5])


def _create_instalments(claim: Claim, today: datetime.date) -> None:
    rows = [
        Instalment(claim=claim, kind=Instalment.Kind.CASH, due_on=today, amount=claim.benefit_total)
    ]
    remaining_cap = claim.scholarship.get("total", 0) if claim.scholarship.get("eligible") else 0
    for entry in claim.scholarship.get("children", []):
        sequence = 0
        for step in entry["schedule"] or [entry]:
            for _ in range(step["years"]):
                amount = min(step["per_year"], remaining_cap)
                if amount <= 0:
                    break
                rows.append(
                    Instalment(
                        claim=claim,
                        kind=Instalment.Kind.SCHOLARSHIP,
                        child_id=entry["member_id"],
                        sequence=sequence + 1,
                        level=step["level"],
                        due_on=program_rules.add_years(today, sequence),
                        amount=amount,
                    )
                )
                remaining_cap -= amount
                sequence += 1
    Instalment.objects.bulk_create([row for row in rows if row.amount > 0])


# --- Payment and handover --------------------------------------------------------------------


def _check_recipient(claim: Claim, recipient: FamilyMember | None) -> None:
    """Death benefits go to an heir; other benefits to the participant (``None``)."""
    if claim.event in DEATH_EVENTS:
        if recipient is None or recipient.claim_id != claim.pk or not recipient.is_heir:
            raise ValidationError("Penerima harus ahli waris klaim ini.")
    elif recipient is not None:
        raise ValidationError("Manfaat ini dibayarkan kepada peserta sendiri.")


@dataclass(frozen=True)
class BankTransfer:
    amount: int
    paid_on: datetime.date
    bank: str
    account_number: str
    account_holder: str
    reference: str


@transaction.atomic
def record_benefit_payment(
    instalment: Instalment, recipient: FamilyMember | None, transfer: BankTransfer, user
) -> BenefitPayment:
    """Money paid to an heir. The instalment's paid total is raised by one guarded UPDATE, so
    two payments at once cannot exceed what is due."""
    claim = Claim.objects.get(pk=instalment.claim_id)
    if claim.status not in {ClaimStatus.APPROVED, ClaimStatus.PAID}:
        raise ValidationError("Klaim belum disetujui.")
    _check_recipient(claim, recipient)
    amount = transfer.amount
    if isinstance(amount, bool) or not isinstance(amount, int) or amount <= 0:
        raise ValidationError("Jumlah pembayaran harus rupiah bulat lebih dari nol.")
    if transfer.paid_on > timezone.localdate():
        raise ValidationError("Tanggal pembayaran tidak boleh di masa depan.")
    account, problem = rules.normalise_account_number(transfer.account_number)
    if problem:
        raise ValidationError("Nomor rekening harus 6–20 angka.")
    if not transfer.reference.strip() or not transfer.bank.strip():
        raise ValidationError("Bank dan nomor referensi transfer wajib diisi.")
    raised = Instalment.objects.filter(
        pk=instalment.pk, paid_amount__lte=F("amount") - amount
    ).update(paid_amount=F("paid_amount") + amount)
    if raised != 1:
        raise ValidationError("Pembayaran melebihi sisa yang harus dibayar.")
    try:
        with transaction.atomic():
            payment = BenefitPayment.objects.create(
                instalment=instalment,
                recipient=recipient,
                amount=amount,
                paid_on=transfer.paid_on,
                bank=transfer.bank.strip(),
                account_cipher=protection.encrypt_personal(account),
                account_hint=account[-4:],
                account_holder=transfer.account_holder.strip(),
                reference=transfer.reference.strip(),
                recorded_by=user,
            )
    except IntegrityError as exc:
        raise ValidationError("Referensi transfer ini sudah dicatat.") from exc
    instalment.refresh_from_db()
    if instalment.kind == Instalment.Kind.CASH and instalment.outstanding == 0:
        Claim.objects.filter(pk=claim.pk, status=ClaimStatus.APPROVED).update(
            status=ClaimStatus.PAID, paid_on=transfer.paid_on
        )
        claim.refresh_from_db()
        claim._history_user, claim._change_reason = user, f"Dibayar {payment.reference}"
        claim.save(update_fields=["status"])
    return payment


@dataclass(frozen=True)
class HandoverFacts:
    held_on: datetime.date
    place: str
    city: str
    handed_by_name: str
    handed_by_title: str
    bpjs_name: str
    bpjs_title: str


@transaction.atomic
def record_handover(
    claim: Claim, recipient: FamilyMember | None, facts: HandoverFacts, user, photo=None
) -> Handover:
    """The public handover of a paid benefit (the berita acara's facts; one per claim)."""
    claim = Claim.objects.get(pk=claim.pk)
    if claim.status != ClaimStatus.PAID:
        raise ValidationError("Serah terima dicatat setelah manfaat dibayar.")
    _check_recipient(claim, recipient)
    if hasattr(claim, "handover"):
        raise ValidationError("Serah terima klaim ini sudah dicatat.")
    photo_path = ""
    if photo is not None:
        photo.seek(0)
        content_type = rules.sniff_document_type(photo.read(8192))
        if content_type not in {"image/jpeg", "image/png"} or photo.size > rules.MAX_DOCUMENT_BYTES:
            raise ValidationError("Foto harus JPG atau PNG, paling besar 10 MB.")
        target = (
            claims_dir(claim)
            / f"serah-terima-{uuid.uuid4().hex}{rules.ACCEPTED_DOCUMENT_TYPES[content_type]}"
        )
        photo.seek(0)
        with target.open("wb") as handle:
            for chunk in photo.chunks():
                handle.write(chunk)
        photo_path = str(target)
    return Handover.objects.create(
        claim=claim,
        number=f"BA/{claim.number}",
        held_on=facts.held_on,
        place=facts.place.strip(),
        city=facts.city.strip(),
        recipient=recipient,
        handed_by_name=facts.handed_by_name.strip(),
        handed_by_title=facts.handed_by_title.strip(),
        bpjs_name=facts.bpjs_name.strip(),
        bpjs_title=facts.bpjs_title.strip(),
        amount=claim.benefit_total,
        photo=photo_path,
        recorded_by=user,
    )


# --- Proactive discovery: death lists --------------------------------------------------------


@transaction.atomic
def import_deaths(path: Path, region, user, today: datetime.date | None = None) -> DeathList:
    """Match a death list against the registry: every covered worker without a claim gets a
    potential claim; every matched worker is recorded as deceased."""
    from jaring.claims.deaths import read_death_list

    today = today or timezone.localdate()
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    death_list = DeathList.objects.create(
        region=region, file_name=path.name[:255], file_sha256=digest, created_by=user
    )
    rows = read_death_list(path, today)
    indexes = {row.nik_index for row in rows if row.nik_index}
    workers = {
        w.nik_index: w
        for w in Worker.objects.filter(nik_index__in=indexes).filter(
            RegionScope.of([region.code]).q_by_level(Worker.scope_columns)
        )
    }
    records, counts = [], dict.fromkeys(("covered", "not_covered", "unknown", "rejected"), 0)
    for row in rows:
        record = _match_death(death_list, row, workers.get(row.nik_index), user, today)
        counts[record.outcome] += 1
        records.append(record)
    DeathRecord.objects.bulk_create(records)
    death_list.rows = len(rows)
    death_list.matched_covered = counts["covered"]
    death_list.not_covered = counts["not_covered"]
    death_list.unknown = counts["unknown"]
    death_list.rejected = counts["rejected"]
    death_list.claims_opened = sum(1 for r in records if r.reason == OPENED)
    death_list.save()
    return death_list


OPENED = "Klaim potensial dibuat."


def _match_death(death_list, row, worker, user, today) -> DeathRecord:
    record = DeathRecord(
        death_list=death_list,
        row_number=row.row_number,
        nik_hint=row.nik_hint,
        name=row.name[:150],
        date_of_death=row.date_of_death,
        outcome=DeathRecord.Outcome.REJECTED,
        reason=row.problem,
    )
    if row.problem:
        return record
    if worker is None or worker.status == WorkerStatus.MERGED:
        record.outcome, record.reason = DeathRecord.Outcome.UNKNOWN, "NIK tidak ada di registri."
        return record
    record.worker = worker
    enrolment = covering_enrolment(worker, row.date_of_death)
    existing = (
        Claim.objects.filter(worker=worker, event__in=DEATH_EVENTS)
        .exclude(status__in=[ClaimStatus.REJECTED, ClaimStatus.DISMISSED])
        .first()
    )
    if existing:
        record.claim, record.reason = existing, f"Sudah ada klaim {existing.number}."
    if enrolment is None:
        record.outcome = DeathRecord.Outcome.NOT_COVERED
        record.reason = record.reason or "Tidak terdaftar sebagai peserta pada tanggal itu."
        if worker.status == WorkerStatus.ACTIVE:
            mark_deceased(worker, row.date_of_death, user, f"Daftar kematian #{death_list.pk}")
        return record
    record.outcome = DeathRecord.Outcome.COVERED
    if existing is None:
        try:
            record.claim = report_event(
                worker,
                EventReport(
                    program=Program.JKM.value,
                    event=Event.DEATH.value,
                    event_date=row.date_of_death,
                    reported_by=Claim.Reporter.DEATH_LIST,
                    notes=f"Dari daftar kematian #{death_list.pk}, baris {row.row_number}.",
                ),
                user,
                today,
                status=ClaimStatus.POTENTIAL,
            )
            record.reason = OPENED
        except ValidationError as exc:
            record.reason = "; ".join(exc.messages)[:255]
    return record
