"""BPJS decides and pays: the Pemda's check is a check of the submission, and BPJS's receipt,
decision, amounts and payment are recorded; the berita acara is frozen at signing.

Existing claims are mapped to the new statuses:

- ``submitted`` (awaiting the Pemda supervisor's approval) → ``checking`` (awaiting the Pemda's
  check of the file): the same person's decision is still due.
- ``approved`` and ``paid``: the supervisor's approval is kept as the Pemda's check; the file is
  taken as sent to and received by BPJS on that day (the old flow recorded no later date, and the
  earliest possible day never overstates BPJS's lateness), and BPJS's amounts as Jaring's
  expected ones (the instalments already carry them, and the payments recorded were BPJS's).
- Every handover recorded so far is taken as signed when recorded, by its recorder, and frozen
  with the facts its berita acara printed.
"""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

from jaring.core.masking import mask_nik

# The relationship labels the berita acara printed (Indonesian, as in the .po catalogue).
_RELATIONSHIPS = {
    "spouse": "Janda/duda (suami/istri)",
    "child": "Anak",
    "parent": "Orang tua",
    "grandchild": "Cucu",
    "grandparent": "Kakek/nenek",
    "sibling": "Saudara kandung",
    "parent_in_law": "Mertua",
    "designated": "Ditunjuk dalam wasiat",
}
_COMPONENTS = {
    "lump_sum": "Santunan sekaligus",
    "periodic": "Santunan berkala 24 bulan (dibayar sekaligus)",
    "funeral": "Biaya pemakaman",
    "death_compensation": "Santunan kematian (48 × penghasilan)",
    "disability": "Santunan cacat",
    "temporary_incapacity": "Santunan sementara tidak mampu bekerja (STMB)",
}


def forwards(apps, schema_editor):
    Claim = apps.get_model("claims", "Claim")
    Handover = apps.get_model("claims", "Handover")
    Claim.objects.filter(status="submitted").update(status="checking")
    for claim in Claim.objects.filter(status__in=["approved", "paid"]).iterator():
        day = (claim.decided_at.date() if claim.decided_at else None) or claim.reported_on
        Claim.objects.filter(pk=claim.pk).update(
            sent_on=day,
            sent_by_id=claim.decided_by_id,
            bpjs_received_on=day,
            bpjs_decided_on=day,
            bpjs_components=claim.components,
            bpjs_total=claim.benefit_total,
        )
    for handover in Handover.objects.select_related(
        "claim__worker", "claim__village__parent", "claim__enrolment", "recipient"
    ).iterator():
        claim, worker, recipient = handover.claim, handover.claim.worker, handover.recipient
        scholarship = claim.scholarship or {}
        handover.snapshot = {
            "number": handover.number,
            "program": claim.program,
            "held_on": handover.held_on.isoformat(),
            "place": handover.place,
            "city": handover.city,
            "worker_name": worker.full_name,
            "worker_nik": mask_nik(worker.nik_hint),
            "kpj": claim.enrolment.kpj_number if claim.enrolment_id else "",
            "village": f"{claim.village.name}, {claim.village.parent.name}",
            "event_date": claim.event_date.isoformat(),
            "claim_number": claim.number,
            "bpjs_claim_number": "",
            "recipient_name": recipient.full_name if recipient else worker.full_name,
            "recipient_relationship": _RELATIONSHIPS.get(recipient.relationship, "")
            if recipient
            else "Peserta sendiri",
            "components": [
                {"label": _COMPONENTS.get(c["code"], c["code"]), "amount": c["amount"]}
                for c in claim.components
            ],
            "amount": handover.amount,
            "scholarship_total": scholarship.get("total", 0) if scholarship.get("eligible") else 0,
            "handed_by_name": handover.handed_by_name,
            "handed_by_title": handover.handed_by_title,
            "witness_name": "",
            "witness_title": "",
            "bpjs_name": handover.bpjs_name,
            "bpjs_title": handover.bpjs_title,
        }
        handover.signed_at, handover.signed_by_id = handover.recorded_at, handover.recorded_by_id
        handover.save(update_fields=["snapshot", "signed_at", "signed_by"])


def backwards(apps, schema_editor):
    Claim = apps.get_model("claims", "Claim")
    Claim.objects.filter(status="checking").update(status="submitted")
    Claim.objects.filter(status__in=["checked", "sent", "at_bpjs"]).update(status="submitted")


class Migration(migrations.Migration):

    dependencies = [
        ('claims', '0001_initial'),
        ('enrolment', '0005_credits'),
        ('regions', '0002_name_keys_without_inner_marks'),
        ('registry', '0006_person_name_keys'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.RemoveConstraint(
            model_name='claim',
            name='claim_approved_has_checker',
        ),
        migrations.AddField(
            model_name='claim',
            name='bpjs_claim_number',
            field=models.CharField(blank=True, max_length=60, verbose_name='BPJS claim number'),
        ),
        migrations.AddField(
            model_name='claim',
            name='bpjs_components',
            field=models.JSONField(blank=True, default=list),
        ),
        migrations.AddField(
            model_name='claim',
            name='bpjs_decided_by',
            field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL),
        ),
        migrations.AddField(
            model_name='claim',
            name='bpjs_decided_on',
            field=models.DateField(blank=True, null=True, verbose_name='BPJS decision date'),
        ),
        migrations.AddField(
            model_name='claim',
            name='bpjs_reason',
            field=models.TextField(blank=True, verbose_name="BPJS's reason"),
        ),
        migrations.AddField(
            model_name='claim',
            name='bpjs_received_by',
            field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL),
        ),
        migrations.AddField(
            model_name='claim',
            name='bpjs_received_on',
            field=models.DateField(blank=True, null=True, verbose_name='received by BPJS on'),
        ),
        migrations.AddField(
            model_name='claim',
            name='bpjs_total',
            field=models.PositiveBigIntegerField(blank=True, null=True, verbose_name='cash benefit by BPJS'),
        ),
        migrations.AddField(
            model_name='claim',
            name='sent_by',
            field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL),
        ),
        migrations.AddField(
            model_name='claim',
            name='sent_on',
            field=models.DateField(blank=True, null=True, verbose_name='sent to BPJS on'),
        ),
        migrations.AddField(
            model_name='claim',
            name='sent_via',
            field=models.CharField(blank=True, choices=[('hand', 'Delivered in person'), ('post', 'Post or courier'), ('online', 'Online (e-mail or BPJS application)')], max_length=10, verbose_name='sent how'),
        ),
        migrations.AddField(
            model_name='handover',
            name='signed_at',
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name='handover',
            name='signed_by',
            field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL),
        ),
        migrations.AddField(
            model_name='handover',
            name='snapshot',
            field=models.JSONField(blank=True, default=dict, editable=False),
        ),
        migrations.AddField(
            model_name='handover',
            name='witness_name',
            field=models.CharField(blank=True, max_length=150, verbose_name='witnessed by'),
        ),
        migrations.AddField(
            model_name='handover',
            name='witness_title',
            field=models.CharField(blank=True, max_length=150, verbose_name="witness's title"),
        ),
        migrations.AddField(
            model_name='historicalclaim',
            name='bpjs_claim_number',
            field=models.CharField(blank=True, max_length=60, verbose_name='BPJS claim number'),
        ),
        migrations.AddField(
            model_name='historicalclaim',
            name='bpjs_components',
            field=models.JSONField(blank=True, default=list),
        ),
        migrations.AddField(
            model_name='historicalclaim',
            name='bpjs_decided_by',
            field=models.ForeignKey(blank=True, db_constraint=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to=settings.AUTH_USER_MODEL),
        ),
        migrations.AddField(
            model_name='historicalclaim',
            name='bpjs_decided_on',
            field=models.DateField(blank=True, null=True, verbose_name='BPJS decision date'),
        ),
        migrations.AddField(
            model_name='historicalclaim',
            name='bpjs_reason',
            field=models.TextField(blank=True, verbose_name="BPJS's reason"),
        ),
        migrations.AddField(
            model_name='historicalclaim',
            name='bpjs_received_by',
            field=models.ForeignKey(blank=True, db_constraint=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to=settings.AUTH_USER_MODEL),
        ),
        migrations.AddField(
            model_name='historicalclaim',
            name='bpjs_received_on',
            field=models.DateField(blank=True, null=True, verbose_name='received by BPJS on'),
        ),
        migrations.AddField(
            model_name='historicalclaim',
            name='bpjs_total',
            field=models.PositiveBigIntegerField(blank=True, null=True, verbose_name='cash benefit by BPJS'),
        ),
        migrations.AddField(
            model_name='historicalclaim',
            name='sent_by',
            field=models.ForeignKey(blank=True, db_constraint=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to=settings.AUTH_USER_MODEL),
        ),
        migrations.AddField(
            model_name='historicalclaim',
            name='sent_on',
            field=models.DateField(blank=True, null=True, verbose_name='sent to BPJS on'),
        ),
        migrations.AddField(
            model_name='historicalclaim',
            name='sent_via',
            field=models.CharField(blank=True, choices=[('hand', 'Delivered in person'), ('post', 'Post or courier'), ('online', 'Online (e-mail or BPJS application)')], max_length=10, verbose_name='sent how'),
        ),
        migrations.AlterField(
            model_name='claim',
            name='status',
            field=models.CharField(choices=[('potential', 'Potential (from a death list)'), ('reported', 'In preparation'), ('checking', "Awaiting the Pemda's check"), ('checked', 'Checked, to be sent to BPJS'), ('sent', 'Sent to BPJS'), ('at_bpjs', 'Received by BPJS'), ('approved', 'Approved by BPJS, awaiting payment'), ('paid', 'Paid by BPJS'), ('rejected', 'Refused'), ('dismissed', 'Dismissed')], default='reported', max_length=10, verbose_name='status'),
        ),
        migrations.AlterField(
            model_name='historicalclaim',
            name='status',
            field=models.CharField(choices=[('potential', 'Potential (from a death list)'), ('reported', 'In preparation'), ('checking', "Awaiting the Pemda's check"), ('checked', 'Checked, to be sent to BPJS'), ('sent', 'Sent to BPJS'), ('at_bpjs', 'Received by BPJS'), ('approved', 'Approved by BPJS, awaiting payment'), ('paid', 'Paid by BPJS'), ('rejected', 'Refused'), ('dismissed', 'Dismissed')], default='reported', max_length=10, verbose_name='status'),
        ),
        migrations.RunPython(forwards, backwards),
        migrations.AddConstraint(
            model_name='claim',
            constraint=models.CheckConstraint(condition=models.Q(models.Q(('status__in', ['checked', 'sent', 'at_bpjs', 'approved', 'paid']), _negated=True), models.Q(('decided_by__isnull', False), ('eligible', True)), _connector='OR'), name='claim_approved_has_checker'),
        ),
        migrations.AddConstraint(
            model_name='claim',
            constraint=models.CheckConstraint(condition=models.Q(models.Q(('status__in', ('sent', 'at_bpjs', 'approved', 'paid')), _negated=True), ('sent_on__isnull', False), _connector='OR'), name='claim_sent_has_date'),
        ),
        migrations.AddConstraint(
            model_name='claim',
            constraint=models.CheckConstraint(condition=models.Q(models.Q(('status__in', ('at_bpjs', 'approved', 'paid')), _negated=True), ('bpjs_received_on__isnull', False), _connector='OR'), name='claim_received_has_date'),
        ),
        migrations.AddConstraint(
            model_name='claim',
            constraint=models.CheckConstraint(condition=models.Q(models.Q(('status__in', ['approved', 'paid']), _negated=True), ('bpjs_total__isnull', False), _connector='OR'), name='claim_approved_has_bpjs_amount'),
        ),
        migrations.AddConstraint(
            model_name='claim',
            constraint=models.UniqueConstraint(condition=models.Q(('bpjs_claim_number', ''), _negated=True), fields=('bpjs_claim_number',), name='claim_bpjs_number_once'),
        ),
        migrations.AddConstraint(
            model_name='handover',
            constraint=models.CheckConstraint(condition=models.Q(('signed_at__isnull', True), ('signed_by__isnull', False), _connector='OR'), name='handover_signed_has_signer'),
        ),
    ]
