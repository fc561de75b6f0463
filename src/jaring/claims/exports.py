"""The claim's papers as PDFs (WeasyPrint): the cover letter that carries the file to the BPJS
branch, and the handover record (berita acara serah terima)."""

from __future__ import annotations

import datetime

from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.translation import override

from jaring.claims.labels import COMPONENT_LABELS, DOCUMENT_LABELS
from jaring.claims.models import Claim, Handover
from jaring.reference.models import Signatory
from jaring.reference.selectors import document_heading, letterhead_for


def _pdf(template: str, context: dict, region_code: str, purpose: str | None = None) -> bytes:
    """An official paper of the region's office: in Indonesian, under its letterhead, with the
    signatory recorded for ``purpose`` when the paper has one."""
    from weasyprint import HTML

    if purpose:
        heading = document_heading(region_code, purpose)
    else:
        heading = {"letterhead": letterhead_for(region_code)}
    with override("id"):
        html = render_to_string(
            template, {**heading, **context, "printed_at": timezone.localtime()}
        )
    return HTML(string=html).write_pdf()


def handover_record(claim: Claim, handover: Handover) -> dict:
    """Every fact the berita acara prints, as plain data: what signing freezes."""
    recipient = handover.recipient
    worker = claim.worker
    with override("id"):
        return {
            "number": handover.number,
            "program": claim.program,
            "held_on": handover.held_on.isoformat(),
            "place": handover.place,
            "city": handover.city,
            "worker_name": worker.full_name,
            "worker_nik": worker.masked_nik,
            "kpj": claim.enrolment.kpj_number if claim.enrolment else "",
            "village": f"{claim.village.display_name}, {claim.village.parent.display_name}",
            "event_date": claim.event_date.isoformat(),
            "claim_number": claim.number,
            "bpjs_claim_number": claim.bpjs_claim_number,
            "recipient_name": recipient.full_name if recipient else worker.full_name,
            # The heir as UU 27/2022 (PDP) allows on a public paper: the name and a masked NIK
            # (data minimisation; the full NIK stays in the sealed claim file).
            "recipient_nik": (recipient.masked_nik if recipient else worker.masked_nik) or "—",
            "recipient_relationship": str(recipient.get_relationship_display())
            if recipient
            else "Peserta sendiri",
            "components": [
                {"label": str(COMPONENT_LABELS[c["code"]]), "amount": c["amount"]}
                for c in claim.bpjs_components
            ],
            "amount": handover.amount,
            "scholarship_total": claim.scholarship.get("total", 0)
            if claim.scholarship.get("eligible")
            else 0,
            "handed_by_name": handover.handed_by_name,
            "handed_by_title": handover.handed_by_title,
            "witness_name": handover.witness_name,
            "witness_title": handover.witness_title,
            "bpjs_name": handover.bpjs_name,
            "bpjs_title": handover.bpjs_title,
            "letterhead": _letterhead_facts(claim.village_id),
        }


def _letterhead_facts(region_code: str) -> dict | None:
    """The letterhead as printed today, as plain data (a signed paper keeps the one it bore)."""
    letterhead = letterhead_for(region_code)
    if letterhead is None:
        return None
    fields = ("government", "office", "address", "contact", "city")
    return {name: getattr(letterhead, name) for name in fields}


def handover_pdf(claim: Claim) -> bytes:
    """The berita acara: as signed (its snapshot), or as it stands while still a draft."""
    handover = claim.handover
    record = dict(handover.snapshot if handover.is_signed else handover_record(claim, handover))
    for day in ("held_on", "event_date"):
        record[day] = datetime.date.fromisoformat(record[day])
    context = {"ba": record, "signed": handover.is_signed}
    if "letterhead" in record:  # frozen with it (records signed before it was kept: today's)
        context["letterhead"] = record["letterhead"]
    return _pdf(
        "claims/handover_pdf.html",
        context,
        claim.village_id,
        Signatory.Purpose.HANDOVER,
    )


def cover_letter_pdf(claim: Claim, documents: list[tuple[str, list]]) -> bytes:
    """The Pemda's cover letter (surat pengantar) that carries the checked file to the branch,
    listing the documents it holds."""
    return _pdf(
        "claims/cover_letter_pdf.html",
        {
            "claim": claim,
            "worker": claim.worker,
            "heirs": list(claim.family.filter(is_heir=True)),
            "documents": [(str(DOCUMENT_LABELS[kind]), docs) for kind, docs in documents],
            "components": [
                {"label": str(COMPONENT_LABELS[c["code"]]), "amount": c["amount"]}
                for c in claim.components
            ],
        },
        claim.village_id,
    )
