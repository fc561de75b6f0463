"""Re-importing a list: an unchanged row is known by its raw digest (not even checked) or by the
worker's content hash (neither staged nor rewritten, no history); every other write keeps those
true. A row refused before is refused again for the same reasons."""

import datetime
import io

import openpyxl
import polars as pl
import pytest
from django.db import connection
from hypothesis import given, settings
from hypothesis import strategies as st

from jaring.core import sealed
from jaring.regions.models import Region
from jaring.registry import bulk, content, services
from jaring.registry.models import ImportRowIssue, Occupation, Worker
from tests.test_registry_import import BAHTIAR, RUSNI, SAFRI, run, write_csv


@pytest.fixture
def bengkalis(riau_regions, occupations):
    return Region.objects.get(code="14.03")


def _staged_rows(monkeypatch) -> list:
    staged = []
    original = bulk.write_staging
    monkeypatch.setattr(
        services, "write_staging", lambda frame: (staged.append(frame.height), original(frame))
    )
    return staged


def test_an_unchanged_row_is_known_by_its_hash_and_neither_staged_nor_rewritten(
    bengkalis, tmp_path, monkeypatch
):
    path = write_csv(tmp_path / "seed.csv", [RUSNI, BAHTIAR, SAFRI])
    first = run(path)
    before = {w.pk: (w.updated_at, w.last_batch_id, w.content_hash) for w in Worker.objects.all()}
    warned = ImportRowIssue.objects.filter(batch=first, outcome="warning").count()
    staged = _staged_rows(monkeypatch)
    again = run(path)
    assert staged == []  # nothing written to the staging table
    assert (again.rows, again.accepted, again.updated, again.unchanged) == (3, 0, 0, 3)
    after = {w.pk: (w.updated_at, w.last_batch_id, w.content_hash) for w in Worker.objects.all()}
    assert after == before and all(len(h) == 32 for _, _, h in after.values())
    assert all(w.history.count() == 1 for w in Worker.objects.all())
    # A warning of an unchanged row still names the worker it is.
    issues = ImportRowIssue.objects.filter(batch=again, outcome="warning")
    assert issues.count() == warned and all(i.worker_id for i in issues)
    assert run(path).unchanged == 3 and Worker.objects.count() == 3


def test_a_worker_changed_by_hand_is_changed_back_by_the_same_file(
    bengkalis, tmp_path, bengkalis_operator
):
    path = write_csv(tmp_path / "seed.csv", [RUSNI, BAHTIAR])
    run(path)
    rusni = Worker.objects.get(full_name="Rusni")
    services.update_worker(rusni, {"phone": "081299990000"}, bengkalis_operator, "telepon baru")
    again = run(path)
    assert (again.updated, again.unchanged) == (1, 1)
    rusni.refresh_from_db()
    assert rusni.phone == "081234567890"
    assert rusni.history.latest().history_change_reason == f"Impor batch #{again.pk}"


def test_a_missing_or_stale_hash_is_compared_field_by_field_then_remembered(
    bengkalis, tmp_path, monkeypatch
):
    path = write_csv(tmp_path / "seed.csv", [RUSNI, BAHTIAR, SAFRI])
    run(path)
    kept = dict(Worker.objects.values_list("pk", "content_hash"))
    Worker.objects.update(content_hash="", row_hash=None)  # as after the migrations adding them
    again = run(path)
    assert (again.accepted, again.updated, again.unchanged) == (0, 0, 3)
    assert dict(Worker.objects.values_list("pk", "content_hash")) == kept
    assert all(w.history.count() == 1 for w in Worker.objects.all())
    staged = _staged_rows(monkeypatch)
    assert run(path).unchanged == 3 and staged == []


def test_blanks_kept_from_the_stored_record_are_unchanged_by_hash_the_second_time(
    bengkalis, tmp_path, monkeypatch
):
    run(write_csv(tmp_path / "full.csv", [RUSNI]))
    blank_phone = write_csv(tmp_path / "blank.csv", [RUSNI[:-1] + [""]])
    assert run(blank_phone).unchanged == 1  # compared field by field: the phone is kept
    staged = _staged_rows(monkeypatch)
    assert run(blank_phone).unchanged == 1 and staged == []
    assert Worker.objects.get().phone == "081234567890"


_text = st.one_of(
    st.none(), st.text(alphabet=st.characters(exclude_categories=["Cs"]), max_size=12)
)
_VALUES = st.fixed_dictionaries(
    {
        "full_name": st.text(min_size=1, max_size=12),
        "name_key": st.text(max_size=12),
        "sex": st.sampled_from(["L", "P"]),
        "birth_date": st.dates(datetime.date(1900, 1, 1), datetime.date(2030, 12, 31)),
        "birth_place": _text,
        "phone": _text,
        "address": _text,
        "rt_rw": _text,
        "village_id": st.sampled_from(["14.03.01.2022", "14.03.02.2001"]),
        "occupation_id": st.sampled_from(["petani", "nelayan"]),
        "declared_income": st.one_of(st.none(), st.integers(0, 10**12)),
        "desil": st.one_of(st.none(), st.integers(1, 10)),
        "has_disability": st.booleans(),
        "is_female_head": st.booleans(),
    }
)
_SCHEMA = {
    "birth_date": pl.Date,
    "declared_income": pl.Int64,
    "desil": pl.Int64,
    "has_disability": pl.Boolean,
    "is_female_head": pl.Boolean,
}


@settings(max_examples=60, deadline=None)
@given(rows=st.lists(_VALUES, min_size=1, max_size=5))
def test_the_staged_rows_hash_is_the_stored_workers_hash(rows):
    """One definition, two forms: Polars over staged rows, Python over a saved worker."""
    frame = pl.DataFrame(
        rows, schema={name: _SCHEMA.get(name, pl.String) for name in content.HASHED_FIELDS}
    )
    assert content.content_hashes(frame).to_list() == [content.content_hash(r) for r in rows]
    changed = {**rows[0], "full_name": rows[0]["full_name"] + "x"}
    assert content.content_hash(changed) != content.content_hash(rows[0])


def _checked_rows(monkeypatch) -> list:
    """The row numbers each chunk sends through the checks."""
    checked = []
    original = services.check_chunk

    def counting(chunk, fields, ctx):
        checked.extend(chunk.get_column("_row").to_list())
        return original(chunk, fields, ctx)

    monkeypatch.setattr(services, "check_chunk", counting)
    return checked


def test_an_unchanged_raw_row_is_known_by_its_digest_and_not_checked_again(
    bengkalis, tmp_path, monkeypatch
):
    path = write_csv(tmp_path / "seed.csv", [RUSNI, BAHTIAR, SAFRI])
    first = run(path)
    warned = set(
        ImportRowIssue.objects.filter(batch=first, outcome="warning").values_list(
            "row_number", flat=True
        )
    )
    assert len(warned) < 3  # the seed has rows without a warning: they must skip the checks
    checked = _checked_rows(monkeypatch)
    again = run(path)
    assert (again.rows, again.accepted, again.updated, again.unchanged) == (3, 0, 0, 3)
    # Only the rows with a warning are checked again (and warned again); the others are known.
    assert set(checked) == warned
    assert (
        set(
            ImportRowIssue.objects.filter(batch=again, outcome="warning").values_list(
                "row_number", flat=True
            )
        )
        == warned
    )
    held = Worker.objects.exclude(row_hash=None).count()
    assert held == 3 - len(warned)


def test_a_rejected_or_repeated_row_is_reported_on_every_import(bengkalis, tmp_path):
    bad_date = [*RUSNI[:3], "31-02-1985", *RUSNI[4:]]
    again_bahtiar = [*BAHTIAR[:1], "Bahtiar Berubah", *BAHTIAR[2:]]
    path = write_csv(tmp_path / "mixed.csv", [BAHTIAR, bad_date, again_bahtiar, SAFRI])
    first = run(path)
    second = run(path)
    for batch in (first, second):
        assert (batch.rows, batch.rejected, batch.duplicates) == (4, 1, 1)
        issues = dict(
            ImportRowIssue.objects.filter(batch=batch)
            .exclude(outcome="warning")
            .values_list("row_number", "outcome")
        )
        assert issues == {3: "rejected", 4: "duplicate"}
    duplicate = ImportRowIssue.objects.get(batch=second, outcome="duplicate")
    assert "baris 2" in duplicate.message  # the first row, known by its digest, is named
    assert second.unchanged == 2 and Worker.objects.get(full_name="Bahtiar")


def test_a_change_of_what_the_checks_read_checks_every_row_again(bengkalis, tmp_path, monkeypatch):
    path = write_csv(tmp_path / "seed.csv", [RUSNI, BAHTIAR, SAFRI])
    run(path)
    checked = _checked_rows(monkeypatch)
    run(path)
    known_again = 3 - len(checked)
    assert known_again > 0
    Occupation.objects.filter(code="nelayan").update(synonyms="pencari ikan")
    checked.clear()
    assert run(path).unchanged == 3
    assert sorted(checked) == [2, 3, 4]  # another key: no digest is known


def test_a_worker_edited_by_hand_forgets_its_raw_digest(bengkalis, tmp_path, bengkalis_operator):
    path = write_csv(tmp_path / "seed.csv", [RUSNI, BAHTIAR, SAFRI])
    run(path)
    worker = Worker.objects.exclude(row_hash=None).first()
    worker.save()  # saved as it is: the digest still describes it
    worker.refresh_from_db()
    assert worker.row_hash is not None
    services.update_worker(worker, {"address": "Jl. Baru 1"}, bengkalis_operator, "pindah rumah")
    worker.refresh_from_db()
    assert worker.row_hash is None
    again = run(path)
    assert again.updated == 0 and again.unchanged == 3  # a blank address keeps the stored one
    worker.refresh_from_db()
    assert worker.address == "Jl. Baru 1" and worker.row_hash is not None


_cells = st.lists(st.one_of(st.none(), st.text(max_size=6)), min_size=1, max_size=4)


@settings(max_examples=100, deadline=None)
@given(a=_cells, b=_cells)
def test_two_raw_rows_share_a_digest_only_when_every_cell_is_the_same(a, b):
    """No cell runs into the next, and a missing cell is not an empty one."""
    width = max(len(a), len(b))
    a, b = a + [None] * (width - len(a)), b + [None] * (width - len(b))
    names = [f"c{i}" for i in range(width)]
    frame = pl.DataFrame([a, b], schema=dict.fromkeys(names, pl.String), orient="row")
    first, second = content.row_hashes(frame, names, b"k" * 32).to_list()
    assert (first == second) == (a == b)
    assert len(first) == 16
    other_key = content.row_hashes(frame, names, b"j" * 32).to_list()[0]
    assert other_key != first


def test_a_row_refused_before_is_refused_again_for_the_same_reasons(
    bengkalis, tmp_path, monkeypatch
):
    nameless = [RUSNI[0], "", *RUSNI[2:]]
    born_later = [*SAFRI[:3], "02-03-2099", *SAFRI[4:]]  # refused by a check that reads today
    path = write_csv(tmp_path / "refused.csv", [BAHTIAR, nameless, born_later])
    first = run(path)
    checked = _checked_rows(monkeypatch)
    second = run(path)

    def refused(batch):
        return {
            i.row_number: (i.codes, i.message, i.raw)
            for i in ImportRowIssue.objects.filter(batch=batch, outcome="rejected")
        }

    assert set(refused(first)) == {3, 4} and refused(second) == refused(first)
    assert (second.rows, second.rejected, second.unchanged) == (3, 2, 1)
    # PostgreSQL copies the nameless row's refusal; the dated one is checked every time.
    reused = connection.vendor == "postgresql"
    assert set(checked) == ({4} if reused else {3, 4})
    table = list(
        openpyxl.load_workbook(
            io.BytesIO(b"".join(sealed.unseal(services.rejects_workbook(second))))
        ).active.iter_rows(values_only=True)
    )
    assert [row[-3] for row in table[1:]] == [3, 4]


def test_a_list_with_no_rows_imported_again_changes_nothing(bengkalis, tmp_path):
    run(write_csv(tmp_path / "seed.csv", [RUSNI, BAHTIAR, SAFRI]))
    empty = run(write_csv(tmp_path / "empty.csv", []))
    assert (empty.status, empty.rows, empty.error) == ("done", 0, "")
    assert Worker.objects.count() == 3


@pytest.mark.parametrize("chunk_rows", [1, 2, 50_000])
def test_a_known_row_whose_nik_an_earlier_row_repeats_is_its_duplicate_however_chunked(
    bengkalis, tmp_path, chunk_rows
):
    """The rows left after the first pass are gathered into chunks of their own: a row known
    by its digest still meets, across chunks, the earlier row that repeats its NIK."""
    run(write_csv(tmp_path / "first.csv", [BAHTIAR, RUSNI]), chunk_rows=chunk_rows)
    renamed = [*BAHTIAR[:1], "Bahtiar Berubah", *BAHTIAR[2:]]
    bad_date = [*SAFRI[:3], "31-02-1985", *SAFRI[4:]]
    path = write_csv(tmp_path / "second.csv", [RUSNI, renamed, bad_date, BAHTIAR, SAFRI])
    again = run(path, chunk_rows=chunk_rows)
    counts = ("rows", "accepted", "updated", "unchanged", "rejected", "duplicates")
    assert {name: getattr(again, name) for name in counts} == {
        "rows": 5,
        "accepted": 1,  # Safri, row 6 (row 4 was refused)
        "updated": 1,  # Bahtiar renamed, row 3
        "unchanged": 1,  # Rusni, row 2
        "rejected": 1,
        "duplicates": 1,  # row 5: Bahtiar as imported before, known by its digest
    }
    duplicate = ImportRowIssue.objects.get(batch=again, outcome="duplicate")
    assert duplicate.row_number == 5 and "baris 3" in duplicate.message
    assert Worker.objects.filter(full_name="Bahtiar Berubah").count() == 1
    assert not Worker.objects.filter(full_name="Bahtiar").exists()
