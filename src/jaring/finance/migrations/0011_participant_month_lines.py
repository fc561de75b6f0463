"""One invoice line per participant-month: the programmes' contributions become columns
(``jkk_amount``, ``jkm_amount``, ``jht_amount``) of one row whose ``amount`` is their sum.

BPJS credits a participant's month only when all of it is paid, and every reader already took
the month as the unit (allocation grouped the lines by enrolment, protection read the JKM line
as the month's marker). One row a month halves the rows, index entries and foreign-key checks
that billing writes (BENCHMARKS.md, 28 November).

The rows of each (enrolment, month) merge into the one with the highest id: a payment's bounds
(``Payment.paid_through_line``) cover a month when they reach its last line, so every month
stays paid by the same payment. The lines of a month are billed and credited together, so they
share their credit note.

SQLite rebuilds the table for these changes, which drops its row triggers of ``finance 0010``:
they are created again afterwards (in both directions).

On PostgreSQL the journal's statement triggers (``finance 0010``) are off during the merge: it
bills nobody more or less. Each invoice's ``line_count`` is counted again.

The reverse splits each row back into one row per programme. It refuses once payments are
recorded: the split rows would get new ids above every payment's bounds and read as unpaid (a
development convenience, not an upgrade path)."""

import importlib

from django.db import migrations, models

# The journal's SQLite triggers on the lines (and their DROPs), as finance 0010 created them.
_JOURNAL = importlib.import_module("jaring.finance.migrations.0010_billing_changes")
SQLITE_LINE_TRIGGERS = [
    *(
        s
        for s in _JOURNAL.SQLITE_REVERSE
        if s.startswith("DROP TRIGGER IF EXISTS finance_billing_line_")
    ),
    *(s for s in _JOURNAL.SQLITE if "ON finance_invoiceline" in s),
]
LINES = "finance_invoiceline"
# Kept rows are marked in the programme column (dropped afterwards) before the rest go.
KEPT = "*"
PROGRAMMES = (("JKK", "jkk_amount"), ("JKM", "jkm_amount"), ("JHT", "jht_amount"))
COUNT_LINES = (
    "UPDATE finance_invoice SET line_count = c.lines FROM ("  # noqa: S608  # nosec B608
    f"SELECT invoice_id, COUNT(*) AS lines FROM {LINES} GROUP BY invoice_id) AS c "
    "WHERE finance_invoice.id = c.invoice_id"
)

# Set-based: one grouping pass over the lines, whatever their number.
MERGE = [
    f"UPDATE {LINES} SET program = '{KEPT}', "  # noqa: S608  # nosec B608
    + "".join(f"{column} = g.{column}, " for _program, column in PROGRAMMES)
    + "amount = g.amount FROM (SELECT MAX(id) AS kept, month, "
    + "".join(
        f"SUM(CASE WHEN program = '{program}' THEN amount ELSE 0 END) AS {column}, "
        for program, column in PROGRAMMES
    )
    + f"SUM(amount) AS amount FROM {LINES} GROUP BY enrolment_id, month) AS g "
    f"WHERE {LINES}.id = g.kept AND {LINES}.month = g.month",
    f"DELETE FROM {LINES} WHERE program <> '{KEPT}'",  # noqa: S608  # nosec B608
    COUNT_LINES,
]

SPLIT = [
    *(
        f"INSERT INTO {LINES} (invoice_id, enrolment_id, worker_id, month, program, amount, "  # noqa: S608  # nosec B608
        f"jkk_amount, jkm_amount, jht_amount, credit_note_id) "
        f"SELECT invoice_id, enrolment_id, worker_id, month, '{program}', {column}, 0, 0, 0, "
        f"credit_note_id FROM {LINES} WHERE program = '' AND {column} > 0"
        for program, column in (("JKK", "jkk_amount"), ("JHT", "jht_amount"))
    ),
    f"UPDATE {LINES} SET program = 'JKM', amount = jkm_amount WHERE program = ''",  # noqa: S608  # nosec B608
    COUNT_LINES,
]
# The journal's statement triggers on PostgreSQL: a merge or a split bills nobody more or less.
JOURNAL_TRIGGERS = ("finance_billing_lines_updated", "finance_billing_lines_deleted")


def _sql(statements, refuse_payments: bool = False):
    def run(apps, schema_editor):
        postgresql = schema_editor.connection.vendor == "postgresql"
        with schema_editor.connection.cursor() as cursor:
            if refuse_payments:
                cursor.execute("SELECT EXISTS (SELECT 1 FROM finance_payment)")
                if cursor.fetchone()[0]:
                    raise RuntimeError(
                        "finance 0011 cannot be reversed once payments are recorded: the split "
                        "lines would get ids above every payment's bounds and read as unpaid."
                    )
            if postgresql:
                for trigger in JOURNAL_TRIGGERS:
                    cursor.execute(f"ALTER TABLE {LINES} DISABLE TRIGGER {trigger}")
            for statement in statements:
                cursor.execute(statement)
            if postgresql:
                for trigger in JOURNAL_TRIGGERS:
                    cursor.execute(f"ALTER TABLE {LINES} ENABLE TRIGGER {trigger}")
                # The rows' deferred foreign-key checks, now: PostgreSQL refuses to index a
                # table with checks pending, and the constraints that follow build indexes.
                cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
                cursor.execute("SET CONSTRAINTS ALL DEFERRED")

    return run


def sqlite_line_triggers(apps, schema_editor):
    """The line triggers of ``finance 0010``, again (a table rebuild dropped them)."""
    if schema_editor.connection.vendor != "sqlite":
        return
    with schema_editor.connection.cursor() as cursor:
        for statement in SQLITE_LINE_TRIGGERS:
            cursor.execute(statement)


def _amount(name: str, **options) -> models.PositiveBigIntegerField:
    return models.PositiveBigIntegerField(verbose_name=name, **options)


class Migration(migrations.Migration):
    dependencies = [("finance", "0010_billing_changes")]

    operations = [
        migrations.RunPython(migrations.RunPython.noop, sqlite_line_triggers),
        migrations.AddField(
            "invoiceline", "jkk_amount", _amount("JKK contribution", default=0), False
        ),
        migrations.AddField(
            "invoiceline", "jkm_amount", _amount("JKM contribution", default=0), False
        ),
        migrations.AddField("invoiceline", "jht_amount", _amount("JHT contribution", default=0)),
        migrations.RemoveConstraint("invoiceline", "invoice_line_once"),
        migrations.RemoveConstraint("invoiceline", "line_one_funder_per_month"),
        migrations.RemoveConstraint("invoiceline", "invoice_line_program"),
        migrations.RemoveIndex("invoiceline", "line_invoice_program_idx"),
        # Between the programme's constraints and its column: reversed, the split runs once
        # the column is back and before its constraints are.
        migrations.RunPython(_sql(MERGE), _sql(SPLIT, refuse_payments=True)),
        # A default, so that the reverse can add the column back to rows that have none.
        migrations.AlterField("invoiceline", "program", models.CharField(max_length=3, default="")),
        migrations.RemoveField("invoiceline", "program"),
        migrations.AddConstraint(
            "invoiceline",
            models.UniqueConstraint(fields=["enrolment", "month"], name="invoice_line_once"),
        ),
        migrations.AddConstraint(
            "invoiceline",
            models.UniqueConstraint(
                fields=["worker", "month"],
                condition=models.Q(credit_note__isnull=True),
                name="line_one_funder_per_month",
            ),
        ),
        migrations.AddConstraint(
            "invoiceline",
            models.CheckConstraint(
                condition=models.Q(
                    amount=models.F("jkk_amount") + models.F("jkm_amount") + models.F("jht_amount")
                ),
                name="line_amount_is_sum",
            ),
        ),
        migrations.AddIndex(
            "invoiceline", models.Index(fields=["invoice"], name="line_invoice_idx")
        ),
        migrations.RunPython(sqlite_line_triggers, migrations.RunPython.noop),
    ]
