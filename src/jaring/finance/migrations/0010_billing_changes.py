"""The billing change journal (finance.changes): database triggers record, for every write
that may change what a funder is billed for some months, the funder and the months, so that a
billing re-run whose funder-month has seen no change since it was last billed completely
(``BillingCheckpoint``) reports that billing again instead of counting a million enrolments.

What is journaled (anything else does not change what ``_bill_source`` would insert or count):

- an enrolment inserted, updated or deleted whose row, before or after, is billable (a
  protecting status and a KPJ number): its source and its months, before and after — so a new
  enrolment, months moved, a status change, a KPJ given, a move to another source;
- an invoice line credited (or its credit undone) or deleted: the participant-month is free
  for another funder, so every source with a billable enrolment of that worker covering the
  month.

Lines inserted are journaled by billing itself (``finance.changes.lines_billed``): only billing
writes them, under the month's lock, and only a participant whose own line was credited while
still covered can be affected.

PostgreSQL: statement-level triggers over the transition tables (one set-based INSERT of the
few distinct (source, months) a statement touched, however many rows it wrote); each takes a
shared advisory lock on the source before its journal row gets an id, which billing's
exclusive lock waits for (the concurrency argument is in finance.changes). SQLite has no
statement triggers: row-level ones, guarded by WHEN. The statuses are those of
``finance.protection.PROTECTING_STATUSES`` as of this migration."""

import django.db.models.deletion
import django.db.models.functions.datetime
from django.db import migrations, models

POSTGRESQL = [
    # One journal row, after a shared lock on its source (billing holds it exclusively while it
    # takes its position and counts): the row's id is drawn only once the lock is held.
    """
    CREATE FUNCTION finance_billing_changed(changed_source bigint, first_changed date,
        last_changed date) RETURNS void LANGUAGE plpgsql AS $$
    BEGIN
        PERFORM pg_advisory_xact_lock_shared(
            hashtext('finance_billingchange'), changed_source::int);
        INSERT INTO finance_billingchange (source_id, first_month, last_month)
        VALUES (changed_source, first_changed, last_changed);
    END $$
    """,
    """
    CREATE FUNCTION finance_enrolments_inserted() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        PERFORM finance_billing_changed(c.source_id, c.start_month, c.end_month) FROM (
            SELECT DISTINCT source_id, start_month, end_month FROM new_enrolments n
            WHERE n.status IN ('active', 'ended') AND n.kpj_number <> '' ORDER BY 1, 2, 3) AS c;
        RETURN NULL;
    END $$
    """,
    # Before and after images, without joining them: two scans and a hash of a few groups is
    # cheaper than matching a million old rows to their new ones; a billable row rewritten
    # without a relevant change costs one recount of its months, no wrong answer.
    """
    CREATE FUNCTION finance_enrolments_updated() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        PERFORM finance_billing_changed(c.source_id, c.start_month, c.end_month) FROM (
            SELECT source_id, start_month, end_month FROM old_enrolments o
            WHERE o.status IN ('active', 'ended') AND o.kpj_number <> ''
            UNION
            SELECT source_id, start_month, end_month FROM new_enrolments n
            WHERE n.status IN ('active', 'ended') AND n.kpj_number <> '' ORDER BY 1, 2, 3) AS c;
        RETURN NULL;
    END $$
    """,
    """
    CREATE FUNCTION finance_enrolments_deleted() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        PERFORM finance_billing_changed(c.source_id, c.start_month, c.end_month) FROM (
            SELECT DISTINCT source_id, start_month, end_month FROM old_enrolments o
            WHERE o.status IN ('active', 'ended') AND o.kpj_number <> '' ORDER BY 1, 2, 3) AS c;
        RETURN NULL;
    END $$
    """,
    # A participant-month freed (or taken again): every source with a billable enrolment of
    # the worker covering the month may now bill it (or skip it).
    """
    CREATE FUNCTION finance_lines_released() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        IF TG_OP = 'UPDATE' THEN
            PERFORM finance_billing_changed(c.source_id, c.month, c.month) FROM (
                SELECT DISTINCT e.source_id, l.month FROM (
                    SELECT o.worker_id, o.month FROM old_lines o JOIN new_lines n
                    ON n.id = o.id AND n.month = o.month
                    WHERE n.credit_note_id IS DISTINCT FROM o.credit_note_id
                    OR n.worker_id <> o.worker_id OR n.enrolment_id <> o.enrolment_id
                    UNION
                    SELECT n.worker_id, n.month FROM old_lines o JOIN new_lines n
                    ON n.id = o.id AND n.month = o.month
                    WHERE n.credit_note_id IS DISTINCT FROM o.credit_note_id
                    OR n.worker_id <> o.worker_id OR n.enrolment_id <> o.enrolment_id
                ) AS l JOIN enrolment_enrolment e ON e.worker_id = l.worker_id
                AND e.start_month <= l.month AND e.end_month >= l.month
                WHERE e.status IN ('active', 'ended') AND e.kpj_number <> '' ORDER BY 1, 2) AS c;
        ELSE
            PERFORM finance_billing_changed(c.source_id, c.month, c.month) FROM (
                SELECT DISTINCT e.source_id, o.month FROM old_lines o
                JOIN enrolment_enrolment e ON e.worker_id = o.worker_id
                AND e.start_month <= o.month AND e.end_month >= o.month
                WHERE e.status IN ('active', 'ended') AND e.kpj_number <> '' ORDER BY 1, 2) AS c;
        END IF;
        RETURN NULL;
    END $$
    """,
    """
    CREATE TRIGGER finance_billing_enrolments_inserted AFTER INSERT ON enrolment_enrolment
    REFERENCING NEW TABLE AS new_enrolments
    FOR EACH STATEMENT EXECUTE FUNCTION finance_enrolments_inserted()
    """,
    """
    CREATE TRIGGER finance_billing_enrolments_updated AFTER UPDATE ON enrolment_enrolment
    REFERENCING OLD TABLE AS old_enrolments NEW TABLE AS new_enrolments
    FOR EACH STATEMENT EXECUTE FUNCTION finance_enrolments_updated()
    """,
    """
    CREATE TRIGGER finance_billing_enrolments_deleted AFTER DELETE ON enrolment_enrolment
    REFERENCING OLD TABLE AS old_enrolments
    FOR EACH STATEMENT EXECUTE FUNCTION finance_enrolments_deleted()
    """,
    """
    CREATE TRIGGER finance_billing_lines_updated AFTER UPDATE ON finance_invoiceline
    REFERENCING OLD TABLE AS old_lines NEW TABLE AS new_lines
    FOR EACH STATEMENT EXECUTE FUNCTION finance_lines_released()
    """,
    """
    CREATE TRIGGER finance_billing_lines_deleted AFTER DELETE ON finance_invoiceline
    REFERENCING OLD TABLE AS old_lines
    FOR EACH STATEMENT EXECUTE FUNCTION finance_lines_released()
    """,
]

POSTGRESQL_REVERSE = [
    "DROP TRIGGER IF EXISTS finance_billing_lines_deleted ON finance_invoiceline",
    "DROP TRIGGER IF EXISTS finance_billing_lines_updated ON finance_invoiceline",
    "DROP TRIGGER IF EXISTS finance_billing_enrolments_deleted ON enrolment_enrolment",
    "DROP TRIGGER IF EXISTS finance_billing_enrolments_updated ON enrolment_enrolment",
    "DROP TRIGGER IF EXISTS finance_billing_enrolments_inserted ON enrolment_enrolment",
    "DROP FUNCTION IF EXISTS finance_lines_released()",
    "DROP FUNCTION IF EXISTS finance_enrolments_deleted()",
    "DROP FUNCTION IF EXISTS finance_enrolments_updated()",
    "DROP FUNCTION IF EXISTS finance_enrolments_inserted()",
    "DROP FUNCTION IF EXISTS finance_billing_changed(bigint, date, date)",
]

# Row triggers, guarded by WHEN so that rows no billing reads cost nothing more.
SQLITE = [
    """
    CREATE TRIGGER finance_billing_enrolment_inserted AFTER INSERT ON enrolment_enrolment
    WHEN NEW.status IN ('active', 'ended') AND NEW.kpj_number <> ''
    BEGIN
        INSERT INTO finance_billingchange (source_id, first_month, last_month)
        VALUES (NEW.source_id, NEW.start_month, NEW.end_month);
    END
    """,
    """
    CREATE TRIGGER finance_billing_enrolment_updated AFTER UPDATE ON enrolment_enrolment
    WHEN (OLD.status IN ('active', 'ended') AND OLD.kpj_number <> '')
    OR (NEW.status IN ('active', 'ended') AND NEW.kpj_number <> '')
    BEGIN
        INSERT INTO finance_billingchange (source_id, first_month, last_month)
        SELECT OLD.source_id, OLD.start_month, OLD.end_month
        WHERE OLD.status IN ('active', 'ended') AND OLD.kpj_number <> '';
        INSERT INTO finance_billingchange (source_id, first_month, last_month)
        SELECT NEW.source_id, NEW.start_month, NEW.end_month
        WHERE NEW.status IN ('active', 'ended') AND NEW.kpj_number <> ''
        AND NOT (OLD.status IN ('active', 'ended') AND OLD.kpj_number <> ''
            AND OLD.source_id = NEW.source_id AND OLD.start_month = NEW.start_month
            AND OLD.end_month = NEW.end_month);
    END
    """,
    """
    CREATE TRIGGER finance_billing_enrolment_deleted AFTER DELETE ON enrolment_enrolment
    WHEN OLD.status IN ('active', 'ended') AND OLD.kpj_number <> ''
    BEGIN
        INSERT INTO finance_billingchange (source_id, first_month, last_month)
        VALUES (OLD.source_id, OLD.start_month, OLD.end_month);
    END
    """,
    # The sources with a billable enrolment of the line's worker covering the line's month.
    """
    CREATE TRIGGER finance_billing_line_updated AFTER UPDATE ON finance_invoiceline
    WHEN OLD.credit_note_id IS NOT NEW.credit_note_id OR OLD.worker_id <> NEW.worker_id
    OR OLD.month <> NEW.month OR OLD.enrolment_id <> NEW.enrolment_id
    BEGIN
        INSERT INTO finance_billingchange (source_id, first_month, last_month)
        SELECT DISTINCT e.source_id, l.month, l.month FROM enrolment_enrolment e
        JOIN (SELECT OLD.worker_id AS worker_id, OLD.month AS month
              UNION SELECT NEW.worker_id, NEW.month) AS l
        ON e.worker_id = l.worker_id AND e.start_month <= l.month AND e.end_month >= l.month
        WHERE e.status IN ('active', 'ended') AND e.kpj_number <> '';
    END
    """,
    """
    CREATE TRIGGER finance_billing_line_deleted AFTER DELETE ON finance_invoiceline
    BEGIN
        INSERT INTO finance_billingchange (source_id, first_month, last_month)
        SELECT DISTINCT e.source_id, OLD.month, OLD.month FROM enrolment_enrolment e
        WHERE e.worker_id = OLD.worker_id AND e.start_month <= OLD.month
        AND e.end_month >= OLD.month AND e.status IN ('active', 'ended')
        AND e.kpj_number <> '';
    END
    """,
]

SQLITE_REVERSE = [
    "DROP TRIGGER IF EXISTS finance_billing_line_deleted",
    "DROP TRIGGER IF EXISTS finance_billing_line_updated",
    "DROP TRIGGER IF EXISTS finance_billing_enrolment_deleted",
    "DROP TRIGGER IF EXISTS finance_billing_enrolment_updated",
    "DROP TRIGGER IF EXISTS finance_billing_enrolment_inserted",
]


def _run(statements: dict):
    def run(apps, schema_editor):
        for sql in statements.get(schema_editor.connection.vendor, []):
            schema_editor.execute(sql)

    return run


class Migration(migrations.Migration):
    dependencies = [
        ("finance", "0009_payment_paid_bounds"),
        ("enrolment", "0012_fewer_enrolment_indexes"),
    ]

    operations = [
        migrations.CreateModel(
            name="BillingChange",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("source_id", models.BigIntegerField()),
                ("first_month", models.DateField()),
                ("last_month", models.DateField()),
                (
                    "recorded_at",
                    models.DateTimeField(db_default=django.db.models.functions.datetime.Now()),
                ),
            ],
            options={
                "constraints": [
                    models.CheckConstraint(
                        condition=models.Q(("first_month__lte", models.F("last_month"))),
                        name="billing_change_months",
                    )
                ],
            },
        ),
        migrations.CreateModel(
            name="BillingCheckpoint",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("month", models.DateField()),
                ("position", models.BigIntegerField()),
                ("skipped_other_funder", models.PositiveIntegerField(default=0)),
                ("billed_at", models.DateTimeField(auto_now=True)),
                (
                    "source",
                    models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="+",
                        to="finance.fundingsource",
                    ),
                ),
            ],
            options={
                "constraints": [
                    models.UniqueConstraint(
                        fields=("source", "month"), name="billing_checkpoint_once"
                    ),
                    models.CheckConstraint(
                        condition=models.Q(("month__day", 1)), name="billing_checkpoint_first_day"
                    ),
                ],
            },
        ),
        migrations.RunPython(
            _run({"postgresql": POSTGRESQL, "sqlite": SQLITE}),
            _run({"postgresql": POSTGRESQL_REVERSE, "sqlite": SQLITE_REVERSE}),
            elidable=False,
        ),
    ]
