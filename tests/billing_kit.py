"""Invoice lines written directly by tests that set up a billing history by hand (billing's own
path is ``finance.services.bill_month``)."""


def billed_line(invoice, enrolment, month, jkk: int = 10_000, jkm: int = 6_800, jht: int = 0):
    """One participant-month of ``enrolment`` on ``invoice``: each programme's contribution
    (by default those of a Rp1.000.000 declared income) and their sum."""
    from jaring.finance.models import InvoiceLine

    return InvoiceLine.objects.create(
        invoice=invoice,
        enrolment=enrolment,
        worker_id=enrolment.worker_id,
        month=month,
        jkk_amount=jkk,
        jkm_amount=jkm,
        jht_amount=jht,
        amount=jkk + jkm + jht,
    )
