"""Upgrades are tested from the previous release's schema *with data*, not only from empty."""

import datetime

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

from jaring.ops.releases import PREVIOUS_RELEASE, RELEASES

NIK = "1403014101850001"


def _crypto():
    from jaring.core import crypto

    return crypto


@pytest.mark.django_db(transaction=True)
def test_upgrade_from_the_previous_release_keeps_the_data():
    crypto = _crypto()
    executor = MigrationExecutor(connection)
    release = RELEASES[PREVIOUS_RELEASE]
    graph_apps = {app for app, _ in executor.loader.graph.leaf_nodes()}
    old = [(app, name) for app, name in release.items() if app in graph_apps]
    executor.migrate(old)  # back to the release's schema (apps without changes stay as they are)

    old_apps = executor.loader.project_state(old).apps
    Region = old_apps.get_model("regions", "Region")
    Occupation = old_apps.get_model("registry", "Occupation")
    Worker = old_apps.get_model("registry", "Worker")
    RegionFact = old_apps.get_model("reports", "RegionFact")
    parent = None
    for code, name, level in [
        ("14", "Riau", 1),
        ("14.03", "Kabupaten Bengkalis", 2),
        ("14.03.01", "Bengkalis", 3),
        ("14.03.01.2001", "Kelebuk", 4),
    ]:
        parent = Region.objects.create(
            code=code, name=name, name_key=name.lower(), level=level, parent=parent
        )
    occupation = Occupation.objects.create(
        **{f.name: _sample(f) for f in Occupation._meta.concrete_fields if _needs(f)}
    )
    Worker.objects.create(
        nik_index=crypto.nik_index(NIK),
        nik_cipher=crypto.encrypt_nik(NIK),
        nik_hint=NIK[:4] + NIK[-4:],
        full_name="Rusni",
        name_key="rusni",
        sex="P",
        birth_date=datetime.date(1985, 1, 1),
        village=parent,
        occupation=occupation,
        status="active",
    )
    RegionFact.objects.create(
        region_code="14.03",
        level=2,
        parent_code="14",
        registered=1,
        covered=1,
        refreshed_at=timezone.now(),
    )

    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(executor.loader.graph.leaf_nodes())  # today's schema

    from jaring.regions.models import Region as CurrentRegion
    from jaring.registry.models import Worker as CurrentWorker
    from jaring.reports.models import RegionFact as CurrentFact

    assert CurrentRegion.objects.count() == 4
    worker = CurrentWorker.objects.get(nik_index=crypto.nik_index(NIK))
    assert crypto.decrypt_nik(worker.nik_cipher) == NIK
    assert (worker.full_name, worker.village_id, worker.regency_code) == (
        "Rusni",
        parent.code,
        "14.03",
    )
    fact = CurrentFact.objects.get(region_code="14.03")
    assert (fact.registered, fact.covered) == (1, 1)
    assert fact.protected_on is None  # the column a later migration added, on an old row
    # Reference data that starts being tracked gets its first history row: "what before".
    from jaring.registry.models import Occupation as CurrentOccupation

    kept = CurrentOccupation.history.filter(history_type="+", history_change_reason="Riwayat awal")
    assert kept.count() == CurrentOccupation.objects.count() > 0
    assert kept.filter(code=occupation.code, name=occupation.name).exists()
    fresh = MigrationExecutor(connection)
    assert not fresh.migration_plan(fresh.loader.graph.leaf_nodes())


def _needs(field):
    return not (field.primary_key or field.has_default() or field.null or field.blank)


def _sample(field):
    from django.db import models

    if isinstance(field, models.IntegerField):
        return 1
    return f"contoh-{field.name}"[: field.max_length or 50]
