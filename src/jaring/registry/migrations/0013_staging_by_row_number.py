"""The staging rows of an import are read chunk by chunk by their row numbers (bulk.merge_chunk);
nothing reads them by blind index any more."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("registry", "0012_issue_latest_refusal_index"),
    ]

    operations = [
        migrations.RemoveIndex(
            model_name="importstaging",
            name="staging_batch_nik_idx",
        ),
        migrations.AddIndex(
            model_name="importstaging",
            index=models.Index(fields=["batch", "row_number"], name="staging_batch_row_idx"),
        ),
    ]
