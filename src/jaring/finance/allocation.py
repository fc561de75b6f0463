"""How money paid against an invoice reaches participants: whole participant-months, in order.

BPJS credits a participant's month only when its whole contribution (every programme) is paid;
money that does not cover the next participant-month waits for the next payment. Jaring follows
the same rule so that each participant has its own paid-through month (finance.protection).
The order is the enrolment's id (the order of the invoice's lines), so a partial payment always
pays the same participants and names the same unpaid ones.

Plain SQL on a cursor so that the data migration that allocated the payments recorded before
this rule existed runs the very same statement.
"""

ALLOCATE = """
    UPDATE finance_invoiceline SET payment_id = %s
    WHERE invoice_id = %s AND payment_id IS NULL AND enrolment_id IN (
        SELECT enrolment_id FROM (
            SELECT enrolment_id, SUM(SUM(amount)) OVER (ORDER BY enrolment_id) AS running
            FROM finance_invoiceline WHERE invoice_id = %s AND payment_id IS NULL
            GROUP BY enrolment_id
        ) AS unpaid
        WHERE unpaid.running <= (
            SELECT COALESCE(SUM(p.amount), 0) FROM finance_payment p WHERE p.invoice_id = %s
        ) - (
            SELECT COALESCE(SUM(l.amount), 0) FROM finance_invoiceline l
            WHERE l.invoice_id = %s AND l.payment_id IS NOT NULL
        )
    )
"""


def allocate_unpaid_months(cursor, invoice_id: int, payment_id: int) -> None:
    """One UPDATE: a running total over the invoice's unpaid participant-months picks the prefix
    that what is left of its payments covers, and marks those lines paid by ``payment_id``."""
    cursor.execute(ALLOCATE, [payment_id, invoice_id, invoice_id, invoice_id, invoice_id])
