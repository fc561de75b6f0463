"""What claim codes are called on screen and on paper (translated)."""

from django.utils.translation import gettext_lazy as _

from jaring.claims.rules import FamilyStage

DOCUMENT_LABELS = {
    "kpj_card": _("KPJ card (BPJS membership card)"),
    "death_certificate": _("Death certificate (akta kematian)"),
    "ktp_deceased": _("KTP of the deceased"),
    "ktp_participant": _("KTP of the participant"),
    "family_card": _("Family card (KK)"),
    "ktp_heir": _("KTP of the heir"),
    "heir_statement": _("Heir statement (surat keterangan ahli waris)"),
    "marriage_book": _("Marriage book (buku nikah)"),
    "bank_book": _("Heir's bank book"),
    "accident_report": _("Accident report"),
    "medical_report": _("Medical report"),
    "police_report": _("Police report (traffic accident)"),
    "school_certificate": _("School certificate (scholarship year)"),
    "other": _("Other supporting document"),
}

COMPONENT_LABELS = {
    "lump_sum": _("Lump-sum benefit (santunan sekaligus)"),
    "periodic": _("Periodic benefit, 24 months paid at once (santunan berkala)"),
    "funeral": _("Funeral cost (biaya pemakaman)"),
    "death_compensation": _("Death compensation (48 × declared income)"),
    "disability": _("Disability compensation"),
    "temporary_incapacity": _("Temporary incapacity benefit (STMB)"),
}

FAMILY_STAGE_LABELS = {
    FamilyStage.REPORTED: _("Reported"),
    FamilyStage.FILE_COMPLETE: _("File complete"),
    FamilyStage.AT_BPJS: _("At BPJS"),
    FamilyStage.PAID: _("Paid"),
    FamilyStage.HANDED_OVER: _("Handed over"),
    FamilyStage.REFUSED: _("Refused by BPJS"),
}
