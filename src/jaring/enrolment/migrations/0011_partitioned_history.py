"""PostgreSQL: the enrolment history, range-partitioned by month of history_date (jaring.core.partitions).

SQLite keeps the plain table; Django's model state is unchanged (``id`` stays its key), so
nothing but the database's layout changes. The reverse leaves the table partitioned: it
behaves as the plain table did."""

from django.db import migrations

from jaring.core import partitions


def partition(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        partitions.convert(partitions.ENROLMENT_HISTORY)


class Migration(migrations.Migration):
    dependencies = [("enrolment", "0010_alter_plandrop_reason")]

    operations = [migrations.RunPython(partition, migrations.RunPython.noop, elidable=False)]
