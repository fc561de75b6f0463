"""The summaries' refresh: one grouped pass per kabupaten, the same rows on every path.

- The counts equal a reference computed in Python from the workers (``protected_on``, the
  definition the set-based SQL of ``finance.protection`` mirrors), on random small data.
- The ``GROUPING SETS`` pass (PostgreSQL) and the ``UNION ALL`` of the same groupings (the
  portable path) write the same village counts.
- An incremental refresh after changes announced per village (``core.events.region_changed``)
  leaves exactly the rows a full recount writes.
"""

import datetime
from collections import Counter

import pytest
from django.db import connection, transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from jaring.core.events import Change, region_changed
from jaring.finance.protection import protected_on
from jaring.regions.models import Region
from jaring.registry.models import Occupation, Worker
from jaring.reports.models import (
    CountedDay,
    CoverageMonth,
    DirtyVillage,
    RegionFact,
    VillageCount,
)
from jaring.reports.services import _trend_days, count_villages, mark_dirty, refresh_regency
from tests.conftest import BENGKALIS
from tests.test_claims import build_coverage

D = datetime.date
TODAY = D(2025, 6, 15)  # inside the fixture's paid months: some workers are protected

# One extra worker: (village index, sex, occupation index, died on, or None).
EXTRA = st.tuples(
    st.integers(0, 3),
    st.sampled_from(["L", "P"]),
    st.integers(0, 2),
    st.one_of(st.none(), st.dates(D(2025, 1, 1), D(2025, 6, 15))),
)
# A change to one of the fixture's covered workers: (worker index, village index, died on).
MOVE = st.tuples(
    st.integers(0, 2),
    st.integers(0, 3),
    st.one_of(st.none(), st.dates(D(2025, 1, 1), D(2025, 6, 15))),
)


@pytest.fixture
def covered(make_user, occupations, tmp_path, settings):
    settings.MEDIA_ROOT = tmp_path / "media"
    build_coverage(make_user("pembangun", is_superuser=True), tmp_path)
    villages = list(
        Region.objects.filter(code__startswith=BENGKALIS + ".", level=4)
        .order_by("code")
        .values_list("code", flat=True)
    )
    # Two villages of one kecamatan and two of another: both levels of roll-up are exercised.
    first = [v for v in villages if v.startswith(villages[0][:8])][:2]
    other = [v for v in villages if not v.startswith(villages[0][:8])][:2]
    return {
        "villages": first + other,
        "occupations": list(Occupation.objects.order_by("pk").values_list("pk", flat=True)[:3]),
        "workers": list(Worker.objects.order_by("pk")),
    }


def add_workers(covered, extras, first: int = 0) -> None:
    Worker.objects.bulk_create(
        Worker(
            nik_index=f"{first + i:064d}",
            nik_cipher=b"\x00",
            nik_hint="14030001",
            full_name=f"W{i}",
            name_key=f"w{i}",
            sex=sex,
            birth_date=D(1980, 1, 1),
            village_id=covered["villages"][village],
            occupation_id=covered["occupations"][occupation],
            declared_income=1_000_000,
            desil=1,
            status="deceased" if died else "active",
            date_of_death=died,
        )
        for i, (village, sex, occupation, died) in enumerate(extras)
    )


def move(covered, moves) -> set[str]:
    """Apply the moves; return every village they touched (before and after)."""
    touched = set()
    for index, village, died in moves:
        worker = Worker.objects.get(pk=covered["workers"][index].pk)
        touched |= {worker.village_id, covered["villages"][village]}
        Worker.objects.filter(pk=worker.pk).update(
            village_id=covered["villages"][village],
            status="deceased" if died else "active",
            date_of_death=died,
        )
    return touched


def reference() -> Counter:
    """The worker columns of every RegionFact row and the trend, from the workers, in Python."""
    counts: Counter = Counter()
    days = _trend_days(TODAY)
    for worker in Worker.objects.filter(regency_code=BENGKALIS):
        for day in days:
            if protected_on(worker, day).protected:
                counts[("month", day.replace(day=1))] += 1
        if worker.status != "active":
            continue
        covered = protected_on(worker, TODAY).protected
        rows = [
            (worker.village_id, "total", ""),
            (worker.district_code, "total", ""),
            (worker.district_code, "sex", worker.sex),
            (BENGKALIS, "total", ""),
            (BENGKALIS, "sex", worker.sex),
            (BENGKALIS, "occupation", worker.occupation_id),
        ]
        for row in rows:
            counts[(*row, "registered")] += 1
            counts[(*row, "covered")] += covered
    return counts


def counted() -> Counter:
    counts: Counter = Counter()
    facts = RegionFact.objects.filter(region_code__startswith=BENGKALIS)
    for fact in facts:
        for column in ("registered", "covered"):
            counts[(fact.region_code, fact.dimension, fact.key, column)] += getattr(fact, column)
    for month in CoverageMonth.objects.filter(regency_code=BENGKALIS):
        counts[("month", month.month)] += month.covered
    return +counts  # zero counts dropped, as in the reference


def summaries() -> tuple[list, list]:
    facts = RegionFact.objects.order_by("region_code", "dimension", "key").values_list(
        *(f.name for f in RegionFact._meta.fields if f.name not in {"id", "refreshed_at"})
    )
    months = CoverageMonth.objects.order_by("regency_code", "month").values_list(
        "regency_code", "month", "covered"
    )
    return list(facts), list(months)


def village_counts() -> list:
    return list(
        VillageCount.objects.order_by("village_code", "dimension", "key").values_list(
            "district_code", "village_code", "dimension", "key", "registered", "covered", "lapsed"
        )
    )


SETTINGS = settings(
    max_examples=12,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


@SETTINGS
@given(extras=st.lists(EXTRA, max_size=8), moves=st.lists(MOVE, max_size=3))
def test_the_counts_equal_a_recount_in_python(covered, extras, moves):
    with transaction.atomic():
        add_workers(covered, extras)
        move(covered, moves)
        refresh_regency(BENGKALIS, today=TODAY)
        assert counted() == +reference()
        transaction.set_rollback(True)


@SETTINGS
@given(
    extras=st.lists(EXTRA, max_size=8),
    moves=st.lists(MOVE, min_size=1, max_size=3),
    later=st.lists(EXTRA, max_size=3),
)
def test_an_incremental_refresh_equals_a_full_one(
    covered, extras, moves, later, django_capture_on_commit_callbacks
):
    with transaction.atomic():
        add_workers(covered, extras)
        refresh_regency(BENGKALIS, today=TODAY)
        touched = move(covered, moves)
        add_workers(covered, later, first=len(extras))
        touched |= {covered["villages"][village] for village, *_ in later}
        with django_capture_on_commit_callbacks(execute=True):
            with transaction.atomic():
                for village in touched:
                    region_changed(village, Change.WORKERS)
        assert set(DirtyVillage.objects.values_list("village_code", flat=True)) == touched
        refresh_regency(BENGKALIS, today=TODAY, incremental=True)
        assert not DirtyVillage.objects.exists()
        incremental = summaries(), village_counts()
        refresh_regency(BENGKALIS, today=TODAY)
        assert (summaries(), village_counts()) == incremental
        transaction.set_rollback(True)


def test_a_change_named_by_its_kabupaten_or_another_day_recounts_every_village(covered):
    refresh_regency(BENGKALIS, today=TODAY)
    first = covered["workers"][0]
    other_sex = "L" if first.sex == "P" else "P"
    Worker.objects.filter(pk=first.pk).update(sex=other_sex)
    # Nothing marked: the incremental refresh recounts nothing and keeps the old count.
    refresh_regency(BENGKALIS, today=TODAY, incremental=True)
    stale = summaries()
    mark_dirty(BENGKALIS)  # what region_changed(BENGKALIS, …) leaves after its commit
    refresh_regency(BENGKALIS, today=TODAY, incremental=True)
    whole = summaries()
    assert whole != stale
    refresh_regency(BENGKALIS, today=TODAY)
    assert summaries() == whole
    Worker.objects.filter(pk=first.pk).update(sex=first.sex)
    refresh_regency(BENGKALIS, today=TODAY + datetime.timedelta(days=1), incremental=True)
    assert CountedDay.objects.get(regency_code=BENGKALIS).day == TODAY + datetime.timedelta(days=1)
    next_day = summaries()
    refresh_regency(BENGKALIS, today=TODAY + datetime.timedelta(days=1))
    assert summaries() == next_day


@pytest.mark.skipif(connection.vendor != "postgresql", reason="GROUPING SETS: PostgreSQL")
@SETTINGS
@given(extras=st.lists(EXTRA, max_size=10), moves=st.lists(MOVE, max_size=3))
def test_grouping_sets_and_the_union_of_groupings_count_the_same(covered, extras, moves):
    with transaction.atomic():
        add_workers(covered, extras)
        move(covered, moves)
        count_villages(BENGKALIS, TODAY, None, grouping_sets=True)
        one_pass = village_counts()
        count_villages(BENGKALIS, TODAY, None, grouping_sets=False)
        assert village_counts() == one_pass
        assert one_pass  # the fixture's workers at least
        transaction.set_rollback(True)
