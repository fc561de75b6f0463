from collections import Counter

import pytest
from django.core.management import call_command
from django.db import IntegrityError, transaction

from jaring.regions.models import Region
from jaring.regions.services import load_regions


@pytest.mark.django_db
def test_full_kemendagri_hierarchy_loads_with_the_expected_counts_and_reloads_idempotently():
    first = load_regions()
    assert not first.skipped
    counts = Counter(Region.objects.values_list("level", flat=True))
    assert counts == {1: 38, 2: 514, 3: 7285, 4: 83762}
    # Every non-province has its parent one level up.
    assert not Region.objects.filter(level__gt=1, parent__isnull=True).exists()
    assert Region.objects.get(code="14.03.01.2022").parent.parent.name == "Kabupaten Bengkalis"

    assert load_regions().skipped
    forced = load_regions(force=True)
    assert not forced.skipped
    assert Region.objects.count() == 91599


def test_reload_updates_changed_names_in_place(riau_regions, tmp_path):
    from tests.conftest import write_region_subset

    path = write_region_subset(tmp_path / "changed.csv", {"14"})
    text = path.read_text().replace("14.03.01.2022,Kelebuk", "14.03.01.2022,Kelebuk Baru")
    path.write_text(text)
    before = Region.objects.count()
    load_regions(path)
    assert Region.objects.count() == before
    assert Region.objects.get(code="14.03.01.2022").name == "Kelebuk Baru"
    assert Region.objects.get(code="14.03.01.2022").name_key == "kelebuk baru"


@pytest.mark.parametrize(
    ("written", "district", "code", "warning"),
    [
        ("Kelebuk", "Bengkalis", "14.03.01.2022", None),
        ("KELEBUK", "Kec. Bengkalis", "14.03.01.2022", None),
        ("bantan  tua", "BANTAN", "14.03.02.2003", None),
        ("Ds. Bantan Tua", None, "14.03.02.2003", None),  # the kabupaten when no kecamatan
        ("Perapat Tunggal", "Bengkalis", "14.03.01.2025", "village_fuzzy"),
    ],
)
def test_seed_villages_resolve_by_name_within_their_parent(
    riau_regions, written, district, code, warning
):
    from jaring.registry.matching import village_resolver

    found = village_resolver(Region.objects.get(code="14.03"))(written, district)
    assert (found.code, found.reject, found.warning) == (code, None, warning)


def test_population_is_attached_to_regencies(riau_regions):
    bengkalis = Region.objects.get(code="14.03")
    assert bengkalis.population_total == 681884
    assert bengkalis.population_male + bengkalis.population_female == 681884


def test_bengkalis_has_its_eleven_districts(riau_regions):
    districts = Region.objects.filter(parent_id="14.03")
    assert districts.count() == 11
    assert {"Bengkalis", "Bantan", "Mandau"} <= set(districts.values_list("name", flat=True))


def test_database_refuses_a_village_without_parent(riau_regions):
    with pytest.raises(IntegrityError), transaction.atomic():
        Region.objects.create(code="14.03.01.2999", name="Tanpa Induk", level=4, parent=None)


@pytest.mark.django_db
def test_load_regions_command_prints_a_json_summary_and_skips_unchanged_files(tmp_path, capsys):
    import json

    from tests.conftest import write_region_subset

    path = write_region_subset(tmp_path / "riau.csv", {"14"})
    call_command("load_regions", "--json", "--regions", str(path))
    first = json.loads(capsys.readouterr().out)
    call_command("load_regions", "--json", "--regions", str(path))
    second = json.loads(capsys.readouterr().out)
    assert (first["rows"], first["skipped"]) == (2047, False)
    assert (second["rows"], second["skipped"]) == (2047, True)
