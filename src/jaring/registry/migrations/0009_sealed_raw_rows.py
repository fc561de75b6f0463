"""Rejected rows as they came in are kept sealed (``raw_cipher``), no longer as plaintext JSON;
error texts and row messages never store a NIK-like number (``core.fields``)."""

import json

from django.db import migrations, models

import jaring.core.fields
from jaring.core import crypto
from jaring.core.masking import mask_personal


def seal_raw_rows(apps, schema_editor):
    issue = apps.get_model("registry", "ImportRowIssue")
    rows = issue.objects.exclude(raw={}).order_by("pk").values_list("pk", "raw")
    last = 0
    while batch := list(rows.filter(pk__gt=last)[:2000]):
        for pk, raw in batch:
            sealed = crypto.encrypt_personal(json.dumps(raw, default=str)) if raw else None
            issue.objects.filter(pk=pk).update(raw_cipher=sealed)
        last = batch[-1][0]


def mask_stored_texts(apps, schema_editor):
    for model, column in [("ImportBatch", "error"), ("ImportRowIssue", "message")]:
        table = apps.get_model("registry", model).objects
        found = table.filter(**{f"{column}__regex": r"[0-9]{10}"}).values_list("pk", column)
        for pk, text in found.iterator():
            table.filter(pk=pk).update(**{column: mask_personal(text)})


class Migration(migrations.Migration):
    dependencies = [("registry", "0008_occupation_history")]

    operations = [
        migrations.AddField(
            model_name="importrowissue",
            name="raw_cipher",
            field=models.BinaryField(editable=False, null=True),
        ),
        migrations.RunPython(seal_raw_rows, migrations.RunPython.noop, elidable=True),
        migrations.RemoveField(model_name="importrowissue", name="raw"),
        migrations.RunPython(mask_stored_texts, migrations.RunPython.noop, elidable=True),
        migrations.AlterField(
            model_name="importbatch",
            name="error",
            field=jaring.core.fields.NikFreeTextField(blank=True),
        ),
        migrations.AlterField(
            model_name="importrowissue",
            name="message",
            field=jaring.core.fields.NikFreeTextField(),
        ),
    ]
