"""Federation: what an instance publishes (aggregates and national indexes, nothing personal),
and what the hub finds in what many instances published (the same person paid for twice, the
national table). The transport itself, PostgreSQL logical replication between three real
clusters, is tested in test_federation_replication.py."""

import datetime
import hashlib
import hmac

import pytest
from django.core.management import call_command
from django.utils import timezone

from jaring.core.crypto import decrypt_nik, nik_index
from jaring.federation import rules, selectors, services
from jaring.federation.models import DoublePayment, EnrolledKey, PublishedFact
from jaring.finance.models import CreditNote, InvoiceLine
from jaring.registry.models import Worker
from jaring.reports.services import refresh_regency
from tests.conftest import BENGKALIS
from tests.test_enrolment_finance import apbd, finance_officer, registry
from tests.test_funders import enrol, line

FIXTURES = (apbd, finance_officer, registry)  # pytest finds the imported fixtures by name
D = datetime.date
NATIONAL_KEY = "bmF0aW9uYWwtaW5kZXgta2V5LWZvci10ZXN0cy0zMmI="


@pytest.fixture
def federated(settings):
    settings.INSTANCE_NAME = "bengkalis"
    settings.NATIONAL_INDEX_KEY = NATIONAL_KEY


def national_hmac(nik: str) -> str:
    import base64

    key = base64.urlsafe_b64decode(NATIONAL_KEY)
    return hmac.new(key, b"jaring.national:" + nik.encode(), hashlib.sha256).hexdigest()


@pytest.fixture
def paid_for(apbd):  # noqa: F811
    """Two participants: one paid for March-May 2025, one whose May was credited back."""
    first, second = Worker.objects.order_by("pk")[:2]
    one = enrol(first, apbd, D(2025, 3, 1), D(2025, 12, 1), kpj="24030000001")
    two = enrol(second, apbd, D(2025, 3, 1), D(2025, 12, 1), kpj="24030000002")
    for month in (3, 4, 5):
        line(one, D(2025, month, 1))
        line(two, D(2025, month, 1))
    credited = InvoiceLine.objects.filter(enrolment=two, month=D(2025, 5, 1))
    note = CreditNote.objects.create(source=apbd, enrolment=two, reason="meninggal", total=16_800)
    credited.update(credit_note=note)
    return first, second


def test_month_sets_round_trip():
    assert rules.months_of(rules.month_mask([3, 4, 5])) == [3, 4, 5]
    assert rules.month_mask([]) == 0
    with pytest.raises(ValueError):
        rules.month_mask([13])


def test_an_instance_publishes_national_indexes_and_month_sets_and_nothing_personal(
    federated, paid_for
):
    first, second = paid_for
    refresh_regency(BENGKALIS, today=D(2025, 5, 20))
    done = services.publish()

    keys = {key.worker_id: key for key in EnrolledKey.objects.all()}
    assert set(keys) == {first.pk, second.pk}
    assert keys[first.pk].months == rules.month_mask([3, 4, 5])
    assert keys[second.pk].months == rules.month_mask([3, 4])  # May was credited back
    assert keys[first.pk].national_index == national_hmac(decrypt_nik(first.nik_cipher))
    # The national index is not the instance's own blind index (another key, another purpose).
    assert keys[first.pk].national_index != nik_index(decrypt_nik(first.nik_cipher))
    assert {key.funder_kind for key in keys.values()} == {"apbd_kab"}
    assert done.keys == 2

    facts = {fact.region_code: fact for fact in PublishedFact.objects.all()}
    assert facts[BENGKALIS].level == 2 and facts[BENGKALIS].name
    assert facts[BENGKALIS].registered == Worker.objects.count()
    assert {fact.level for fact in facts.values()} == {2}  # no kecamatan, village or person
    published_text = " ".join(
        str(value) for row in PublishedFact.objects.values() for value in row.values()
    )
    assert first.full_name not in published_text


def test_publishing_again_updates_in_place_and_withdraws_what_is_no_longer_true(
    federated, paid_for
):
    first, second = paid_for
    services.publish(now=timezone.now() - datetime.timedelta(hours=1))
    InvoiceLine.objects.filter(worker=second).update(
        credit_note=CreditNote.objects.get(enrolment__worker=second)
    )
    again = services.publish()
    assert list(EnrolledKey.objects.values_list("worker_id", flat=True)) == [first.pk]
    assert again.withdrawn >= 1


def test_the_hub_finds_a_person_paid_for_by_two_instances_in_the_same_months(federated, paid_for):
    first, _ = paid_for
    services.publish()
    ours = EnrolledKey.objects.get(worker=first)
    # What the Siak instance's publication would bring to the hub: the same person, April-June.
    now = timezone.now()
    EnrolledKey.objects.create(
        instance="siak",
        national_index=ours.national_index,
        year=2025,
        funder_kind="apbdes",
        months=rules.month_mask([4, 5, 6]),
        published_at=now,
    )
    EnrolledKey.objects.create(  # someone else in Siak, the same months: no finding
        instance="siak",
        national_index="0" * 64,
        year=2025,
        funder_kind="apbd_kab",
        months=rules.month_mask([3, 4, 5]),
        published_at=now,
    )
    assert services.find_double_payments() == 1
    finding = DoublePayment.objects.get()
    assert (finding.instance_a, finding.instance_b) == ("bengkalis", "siak")
    assert rules.months_of(finding.months) == [4, 5]
    assert (finding.funder_a, finding.funder_b) == ("apbd_kab", "apbdes")

    [reported] = list(selectors.doubles_of("bengkalis"))
    assert reported["other_instance"] == "siak" and reported["worker_id"] == first.pk
    assert reported["months"] == [4, 5]

    # Siak stops paying April-May: the finding is withdrawn on the next run, not kept stale.
    EnrolledKey.objects.filter(instance="siak", funder_kind="apbdes").update(
        months=rules.month_mask([6])
    )
    services.find_double_payments()
    assert not DoublePayment.objects.exists()


def test_the_national_table_sums_every_instances_published_facts(federated, paid_for):
    now = timezone.now()
    for instance, code, covered in (("bengkalis", "14.03", 120), ("siak", "14.08", 80)):
        PublishedFact.objects.create(
            instance=instance,
            region_code=code,
            level=2,
            name=code,
            covered=covered,
            registered=200,
            published_at=now,
        )
    PublishedFact.objects.create(  # the province paying beside the kabupaten
        instance="riau", region_code="14.08", level=2, name="14.08", covered=5, published_at=now
    )
    table = list(selectors.national_table())
    assert [(row["region_code"], row["covered"], row["instances"]) for row in table] == [
        ("14.03", 120, 1),
        ("14.08", 85, 2),
    ]
    totals = selectors.national_totals()
    assert (totals["covered"], totals["regencies"], totals["instances"]) == (205, 2, 3)


def test_an_instance_without_a_national_key_refuses_to_publish(settings, paid_for):
    settings.INSTANCE_NAME, settings.NATIONAL_INDEX_KEY = "bengkalis", ""
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="JARING_NATIONAL_INDEX_KEY"):
        call_command("federation", "publish")
    assert not EnrolledKey.objects.exists()


@pytest.mark.parametrize("name", ["", "Bengkalis", "1abc", "a;drop", "x" * 41])
def test_instance_names_that_could_not_name_a_publication_are_refused(name):
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError):
        rules.checked_instance_name(name)
