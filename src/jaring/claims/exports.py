"""The handover record (berita acara serah terima) as a PDF (WeasyPrint)."""

from __future__ import annotations

from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.translation import override

from jaring.claims.labels import COMPONENT_LABELS
from jaring.claims.models import Claim
from jaring.reference.models import Signatory
from jaring.reference.selectors import document_heading


def handover_pdf(claim: Claim) -> bytes:
    from weasyprint import HTML

    handover = claim.handover
    with override("id"):  # an official record is written in Indonesian
        html = render_to_string(
            "claims/handover_pdf.html",
            {
                "claim": claim,
                "handover": handover,
                "worker": claim.worker,
                "recipient": handover.recipient,
                "components": [
                    {"label": str(COMPONENT_LABELS[c["code"]]), "amount": c["amount"]}
                    for c in claim.components
                ],
                "printed_at": timezone.localtime(),
                **document_heading(claim.village_id, Signatory.Purpose.HANDOVER),
            },
        )
    return HTML(string=html).write_pdf()
