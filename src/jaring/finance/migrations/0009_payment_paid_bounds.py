"""A payment records the prefix of its invoice's participant-months that it paid (two bounds on
the payment) instead of stamping every paid line: recording a payment then writes one row
whatever the invoice's size (issue 14). finance.allocation has the rule; the stamps of the
payments recorded so far become their bounds here, and the migration stops if any line would
read as paid by another payment than the one that stamped it."""

from django.db import migrations, models

BOUNDS = """
    UPDATE finance_payment SET
        paid_through_enrolment = (
            SELECT MAX(l.enrolment_id) FROM finance_invoiceline l
            WHERE l.payment_id = finance_payment.id),
        paid_through_line = (
            SELECT MAX(l.id) FROM finance_invoiceline l WHERE l.payment_id = finance_payment.id)
"""
# finance.allocation.payer_sql as of this migration.
MISREAD = """
    SELECT COUNT(*) FROM finance_invoiceline l
    WHERE COALESCE(l.payment_id, 0) <> COALESCE((
        SELECT MIN(ap.id) FROM finance_payment ap
        WHERE ap.invoice_id = l.invoice_id AND ap.paid_through_enrolment >= l.enrolment_id
          AND ap.paid_through_line >= l.id), 0)
"""


def stamps_to_bounds(apps, schema_editor):
    with schema_editor.connection.cursor() as cursor:
        cursor.execute(BOUNDS)
        cursor.execute(MISREAD)
        misread = cursor.fetchone()[0]
    if misread:
        raise RuntimeError(
            f"{misread} invoice lines would read as paid by another payment than the one that "
            "paid them; resolve by hand before migrating (finance.allocation)."
        )


def bounds_to_stamps(apps, schema_editor):
    with schema_editor.connection.cursor() as cursor:
        cursor.execute(
            """UPDATE finance_invoiceline SET payment_id = (
                SELECT MIN(ap.id) FROM finance_payment ap
                WHERE ap.invoice_id = finance_invoiceline.invoice_id
                  AND ap.paid_through_enrolment >= finance_invoiceline.enrolment_id
                  AND ap.paid_through_line >= finance_invoiceline.id)"""
        )


class Migration(migrations.Migration):
    dependencies = [
        ("finance", "0008_partitioned_lines"),
    ]

    operations = [
        migrations.AddField(
            model_name="historicalpayment",
            name="paid_through_enrolment",
            field=models.BigIntegerField(blank=True, editable=False, null=True),
        ),
        migrations.AddField(
            model_name="historicalpayment",
            name="paid_through_line",
            field=models.BigIntegerField(blank=True, editable=False, null=True),
        ),
        migrations.AddField(
            model_name="payment",
            name="paid_through_enrolment",
            field=models.BigIntegerField(blank=True, editable=False, null=True),
        ),
        migrations.AddField(
            model_name="payment",
            name="paid_through_line",
            field=models.BigIntegerField(blank=True, editable=False, null=True),
        ),
        migrations.RunPython(stamps_to_bounds, bounds_to_stamps),
        migrations.RemoveIndex(model_name="invoiceline", name="line_payment_idx"),
        migrations.RemoveField(model_name="invoiceline", name="payment"),
    ]
