"""Fewer index writes per enrolment a plan or a renewal creates (issue 14): the source is
looked up through enrolment_billing_idx, which leads with it; the submission index holds only
the rows sent to BPJS; a plan's selections are found through selection_once."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("enrolment", "0011_partitioned_history"),
        ("finance", "0009_payment_paid_bounds"),
        ("registry", "0010_import_content_hash"),
    ]

    operations = [
        migrations.AlterField(
            model_name="enrolment",
            name="source",
            field=models.ForeignKey(
                db_index=False,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="enrolments",
                to="finance.fundingsource",
            ),
        ),
        migrations.AlterField(
            model_name="enrolment",
            name="submission",
            field=models.ForeignKey(
                blank=True,
                db_index=False,
                null=True,
                on_delete=django.db.models.deletion.SET_NULL,
                related_name="enrolments",
                to="enrolment.submission",
            ),
        ),
        migrations.AlterField(
            model_name="planselection",
            name="plan",
            field=models.ForeignKey(
                db_index=False,
                on_delete=django.db.models.deletion.CASCADE,
                related_name="selections",
                to="enrolment.coverageplan",
            ),
        ),
        migrations.AddIndex(
            model_name="enrolment",
            index=models.Index(
                condition=models.Q(("submission__isnull", False)),
                fields=["submission"],
                name="enrolment_submission_idx",
            ),
        ),
    ]
