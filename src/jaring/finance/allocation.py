"""How money paid against an invoice reaches participants: whole participant-months, in order.

BPJS credits a participant's month only when its whole contribution (every programme) is paid;
money that does not cover the next participant-month waits for the next payment. Jaring follows
the same rule so that each participant has its own paid-through month (finance.protection).
The order is the enrolment's id (the order of the invoice's lines), so a partial payment always
pays the same participants and names the same unpaid ones.

What a payment paid is therefore a prefix, and it is recorded as one: on the payment, the last
enrolment whose participant-month it reached (``Payment.paid_through_enrolment``) and the last
line the invoice had when it was recorded (``Payment.paid_through_line``: lines billed later, by a
re-run, are not paid by it even when their enrolment sorts earlier). A line is paid by the
first payment (by id, the order payments are recorded in) whose bounds include it — ``payer_sql``,
the one definition every reader uses. Recording a payment writes the payment row only, whatever
the invoice's size (stamping each paid line rewrote a row per participant-month).

Plain SQL on a cursor, the same on SQLite and PostgreSQL.
"""

from __future__ import annotations

from django.db import connection
from django.db.models import BigIntegerField, QuerySet
from django.db.models.expressions import RawSQL


def _tables() -> tuple[str, str]:
    from jaring.finance.models import InvoiceLine, Payment

    quote = connection.ops.quote_name
    return quote(InvoiceLine._meta.db_table), quote(Payment._meta.db_table)


def covers_sql(payment: str, line: str) -> str:
    """The condition that the payment aliased ``payment`` includes the line aliased ``line``
    within its bounds (the line is paid by it unless an earlier payment includes it too)."""
    return (
        f"{payment}.invoice_id = {line}.invoice_id"
        f" AND {payment}.paid_through_enrolment >= {line}.enrolment_id"
        f" AND {payment}.paid_through_line >= {line}.id"
    )


def payer_sql(line: str) -> str:
    """The id of the payment that paid the line whose table alias is ``line`` (NULL: unpaid):
    the first payment whose bounds include it."""
    _lines, payments = _tables()
    return f"(SELECT MIN(ap.id) FROM {payments} ap WHERE {covers_sql('ap', line)})"  # noqa: S608  # nosec B608


def payer() -> RawSQL:
    """``payer_sql`` as an expression over an ``InvoiceLine`` queryset's own table."""
    table, _payments = _tables()
    return RawSQL(payer_sql(table), [], output_field=BigIntegerField())  # noqa: S611  # nosec B611


def with_payer(lines: QuerySet) -> QuerySet:
    """``lines`` (an ``InvoiceLine`` queryset) with ``paid_by``: the id of the payment that paid
    each line, or None."""
    return lines.annotate(paid_by=payer())


def paid_bounds(invoice_id: int, amount: int) -> dict[str, int | None]:
    """What a new payment of ``amount`` pays on ``invoice_id``: the values of its
    ``paid_through_enrolment`` and ``paid_through_line`` (call it under the invoice's row lock).

    One pass over the invoice's lines (one per participant-month), in enrolment order, each
    joined to the payment that paid it (``payer_sql``'s rule as a join, so that the first
    payment of an invoice reads no payment per month); a running total of those not paid yet;
    the last one that the money not yet used covers (earlier payments' money less the months
    they paid, plus ``amount``) bounds the prefix.
    """
    lines, payments = _tables()
    with connection.cursor() as cursor:
        cursor.execute(
            f"""SELECT
                  MAX(CASE WHEN months.payer IS NULL AND months.running <= months.budget
                      THEN months.enrolment_id END),
                  MAX(months.id)
                FROM (
                  SELECT g.enrolment_id, g.id, ap.id AS payer,
                    SUM(CASE WHEN ap.id IS NULL THEN g.amount ELSE 0 END)
                        OVER (ORDER BY g.enrolment_id) AS running,
                    %s + (SELECT COALESCE(SUM(p.amount), 0) FROM {payments} p
                          WHERE p.invoice_id = %s)
                       - SUM(CASE WHEN ap.id IS NULL THEN 0 ELSE g.amount END) OVER () AS budget
                  FROM {lines} AS g
                  LEFT JOIN {payments} ap ON {covers_sql("ap", "g")}
                    AND NOT EXISTS (
                      SELECT 1 FROM {payments} ep WHERE ep.id < ap.id AND {covers_sql("ep", "g")}
                    )
                  WHERE g.invoice_id = %s
                ) AS months""",  # noqa: S608  # nosec B608 - values are parameters
            [amount, invoice_id, invoice_id],
        )
        enrolment, line = cursor.fetchone()
    return {"paid_through_enrolment": enrolment, "paid_through_line": line}
