"""The import's content hash (an unchanged re-imported row is not rewritten), a leaner staging
table (unlogged on PostgreSQL: its rows live for one transaction and a crash loses nothing
that matters; no foreign key trigger or index of its own) and one index for the blind index
(the unique constraint's; no LIKE index, none on the history's copy)."""

import django.db.models.deletion
from django.db import migrations, models


def _staging_logged(logged: bool):
    def run(apps, schema_editor):
        if schema_editor.connection.vendor == "postgresql":
            mode = "LOGGED" if logged else "UNLOGGED"
            schema_editor.execute(f"ALTER TABLE registry_importstaging SET {mode}")

    return run


class Migration(migrations.Migration):
    dependencies = [
        ("regions", "0002_name_keys_without_inner_marks"),
        ("registry", "0009_sealed_raw_rows"),
    ]

    operations = [
        migrations.AddField(
            model_name="importstaging",
            name="content_hash",
            field=models.CharField(default="", max_length=32),
        ),
        migrations.AddField(
            model_name="worker",
            name="content_hash",
            field=models.CharField(
                blank=True, db_default="", default="", editable=False, max_length=32
            ),
        ),
        migrations.AlterField(
            model_name="historicalworker",
            name="nik_index",
            field=models.CharField(editable=False, max_length=64),
        ),
        migrations.AlterField(
            model_name="importstaging",
            name="batch",
            field=models.ForeignKey(
                db_constraint=False,
                db_index=False,
                on_delete=django.db.models.deletion.CASCADE,
                related_name="+",
                to="registry.importbatch",
            ),
        ),
        migrations.AlterField(
            model_name="worker",
            name="nik_index",
            field=models.CharField(editable=False, max_length=64),
        ),
        migrations.AddConstraint(
            model_name="worker",
            constraint=models.UniqueConstraint(
                fields=("nik_index",), name="worker_nik_index_unique"
            ),
        ),
        migrations.RunPython(_staging_logged(False), _staging_logged(True), elidable=False),
    ]
