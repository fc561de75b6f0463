"""Federation reads: the hub's national table and an instance's double-payment findings."""

from django.db.models import Count, Q, Sum

from jaring.federation.models import DoublePayment, EnrolledKey, PublishedFact
from jaring.federation.rules import months_of

TABLE_MEASURES = ("registered", "covered", "lapsed", "claims_paid", "benefits_paid", "paid")


def national_table():
    """The kabupaten/kota league table from every instance's published facts, most covered first.

    A kabupaten published by two instances (a province paying beside its kabupaten) is one row
    with the sums and the number of instances that reported it."""
    return (
        PublishedFact.objects.filter(level=2)
        .values("region_code", "name")
        .annotate(instances=Count("instance"), **{m: Sum(m) for m in TABLE_MEASURES})
        .order_by("-covered", "region_code")
    )


def national_totals() -> dict:
    totals = PublishedFact.objects.filter(level=2).aggregate(
        regencies=Count("region_code", distinct=True),
        instances=Count("instance", distinct=True),
        **{m: Sum(m) for m in TABLE_MEASURES},
    )
    return {key: value or 0 for key, value in totals.items()}


def doubles_of(instance: str):
    """The hub's findings about this instance, each with the other instance, the months paid
    twice and this instance's own worker (found through the local link of its published key)."""
    findings = DoublePayment.objects.filter(Q(instance_a=instance) | Q(instance_b=instance))
    own_workers = {
        (key.national_index, key.year): key.worker_id
        for key in EnrolledKey.objects.filter(
            instance=instance, national_index__in=findings.values("national_index")
        ).only("national_index", "year", "worker_id")
    }
    for finding in findings.order_by("year", "national_index"):
        ours_is_a = finding.instance_a == instance
        yield {
            "year": finding.year,
            "other_instance": finding.instance_b if ours_is_a else finding.instance_a,
            "our_funder": finding.funder_a if ours_is_a else finding.funder_b,
            "their_funder": finding.funder_b if ours_is_a else finding.funder_a,
            "months": months_of(finding.months),
            "worker_id": own_workers.get((finding.national_index, finding.year)),
            "found_at": finding.found_at,
        }
