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

The reverse splits each row back into one row per programme; the split rows get new ids, above
every payment's bounds, so a database with payments reads their JKK and JHT rows as unpaid
after a reverse (a development convenience, not an upgrade path)."""

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
SAME_MONTH = f"o.enrolment_id = {LINES}.enrolment_id AND o.month = {LINES}.month"


def _part(program: str) -> str:
    return (
        f"COALESCE((SELECT SUM(o.amount) FROM {LINES} o "  # noqa: S608  # nosec B608
        f"WHERE {SAME_MONTH} AND o.program = '{program}'), 0)"
    )


MERGE = [
    f"UPDATE {LINES} SET jkk_amount = {_part('JKK')}, jkm_amount = {_part('JKM')}, "  # noqa: S608  # nosec B608
    f"jht_amount = {_part('JHT')}, "
    f"amount = (SELECT SUM(o.amount) FROM {LINES} o WHERE {SAME_MONTH}) "
    f"WHERE id = (SELECT MAX(o.id) FROM {LINES} o WHERE {SAME_MONTH})",
    f"DELETE FROM {LINES} WHERE id <> (SELECT MAX(o.id) FROM {LINES} o WHERE {SAME_MONTH})",  # noqa: S608  # nosec B608
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
]


def _sql(statements):
    def run(apps, schema_editor):
        with schema_editor.connection.cursor() as cursor:
            for statement in statements:
                cursor.execute(statement)
            if schema_editor.connection.vendor == "postgresql":
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
        # Merged while the old (enrolment, month, programme) index still finds a month's lines.
        migrations.RunPython(_sql(MERGE), migrations.RunPython.noop),
        migrations.RemoveConstraint("invoiceline", "invoice_line_once"),
        migrations.RemoveConstraint("invoiceline", "line_one_funder_per_month"),
        migrations.RemoveConstraint("invoiceline", "invoice_line_program"),
        migrations.RemoveIndex("invoiceline", "line_invoice_program_idx"),
        # Reversed: split once the programme column is back and before its constraints are.
        migrations.RunPython(migrations.RunPython.noop, _sql(SPLIT)),
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
