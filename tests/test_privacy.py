"""Personal data at rest and in transit (issue #13): no plaintext NIK in any text column or any
kept file, sealed files that still download as they came (and are logged), retention, masked
KPJ numbers by role, no caching of personal pages, error texts without NIKs, NIK look-ups that
never travel in a URL."""

from __future__ import annotations

import datetime
import io
import json
import re
import tempfile
import zipfile
from pathlib import Path

import openpyxl
import pytest
from django.apps import apps
from django.core.management import call_command
from django.db import models
from django.urls import reverse
from django.utils import timezone

from jaring.accounts.models import PersonalDataAccess
from jaring.accounts.rules import RoleCode
from jaring.core import crypto, sealed
from jaring.core.fields import NikFreeTextField
from jaring.regions.models import Region
from jaring.registry import rules, services
from jaring.registry.models import ImportBatch, ImportRowIssue
from tests.conftest import BENGKALIS
from tests.test_access_matrix import ROUTES, _url, world  # noqa: F401  (the fixture)
from tests.test_registry_import import BAHTIAR, HEADER, RUSNI, SAFRI, write_csv

DIGIT_RUN = re.compile(rb"(?<![0-9])[0-9]{16}(?![0-9])")
TODAY = datetime.date(2026, 1, 1)


def valid_niks(data: bytes) -> set[str]:
    """16-digit runs that the registry's own rule accepts as a NIK."""
    found = set()
    for match in DIGIT_RUN.findall(data):
        nik = match.decode()
        if rules.normalise_nik(nik)[1] is None and rules.parse_nik(nik, TODAY)[1] is None:
            found.add(nik)
    return found


def niks_in_database() -> dict[str, set[str]]:
    """Every text column of every table Django knows (history and third-party tables included)."""
    found = {}
    for model in apps.get_models(include_auto_created=True):
        columns = [
            f.attname
            for f in model._meta.concrete_fields
            if isinstance(f, models.CharField | models.TextField | models.JSONField)
        ]
        if not columns:
            continue
        for row in model._default_manager.values_list(*columns).iterator():
            hits = valid_niks(json.dumps(row, default=str).encode())
            if hits:
                found.setdefault(model._meta.label, set()).update(hits)
    return found


def niks_in_files(root: Path) -> dict[str, set[str]]:
    """Every file under the media folder, its bytes and, for zip-based ones (xlsx), every member."""
    found = {}
    for path in root.rglob("*"):
        if not path.is_file():
            continue
        data = path.read_bytes()
        hits = valid_niks(data)
        if zipfile.is_zipfile(path):
            with zipfile.ZipFile(path) as archive:
                for name in archive.namelist():
                    hits |= valid_niks(archive.read(name))
        if hits:
            found[str(path)] = hits
    return found


def bad_rows(nik_region: str = "140301") -> list[list[str]]:
    """Rows the import refuses while their NIKs are valid: a duplicate, an unknown village."""
    return [
        RUSNI,
        RUSNI,  # the same NIK again: a duplicate row, kept as it came
        [
            f"{nik_region}0101900077",
            "Desa Hilang",
            "L",
            "01-01-1990",
            "Tak Ada",
            "",
            "",
            "",
            "",
            "",
        ],
    ]


@pytest.fixture
def bengkalis(riau_regions, occupations):
    return Region.objects.get(code=BENGKALIS)


def test_no_valid_nik_in_plaintext_in_any_column_or_kept_file(world, tmp_path, settings):  # noqa: F811
    """After the demo-like world (imports, BPJS submission, bills, claims with documents, a death
    list), a real import with rejected rows and a dry run: nothing holds a NIK in the clear."""
    own, _foreign, _users = world
    region = Region.objects.get(code=BENGKALIS)
    csv = write_csv(tmp_path / "bad.csv", [BAHTIAR, SAFRI, *bad_rows()])
    batch = services.run_import(services.create_batch(csv, region, "DTKS"))
    assert batch.rejected + batch.duplicates == 2
    dry = services.run_import(services.create_batch(csv, region, "DTKS", dry_run=True))
    assert dry.status == "done" and dry.stored_file == ""  # a check keeps no copy of the list
    assert valid_niks(csv.read_bytes())  # the list itself held valid NIKs

    assert niks_in_database() == {}
    media = Path(settings.MEDIA_ROOT)
    assert niks_in_files(media) == {}
    kept = [p for p in media.rglob("*") if p.is_file()]
    assert {p.parent.name for p in kept} >= {"imports", "bpjs"} and len(kept) >= 6
    for path in kept:  # every kept file is sealed and owner-only
        assert sealed.key_id_of(path) == settings.NIK_KEY_ID, path
        assert path.stat().st_mode & 0o777 == 0o600, path


def test_raw_rows_are_sealed_and_open_for_the_rejects_workbook(bengkalis, tmp_path):
    batch = services.run_import(
        services.create_batch(write_csv(tmp_path / "b.csv", bad_rows()), bengkalis)
    )
    issue = ImportRowIssue.objects.get(batch=batch, outcome="duplicate")
    assert RUSNI[0].encode() not in bytes(issue.raw_cipher)
    assert issue.raw["NIK"] == RUSNI[0]  # the row as it came, decrypted for its readers


def test_the_rejects_download_shows_the_rows_as_they_came_and_is_logged(
    bengkalis, bengkalis_operator, tmp_path, client
):
    batch = services.run_import(
        services.create_batch(write_csv(tmp_path / "b.csv", bad_rows()), bengkalis, user=None)
    )
    client.force_login(bengkalis_operator)
    response = client.get(reverse("registry:import_rejects", args=[batch.pk]))
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    book = openpyxl.load_workbook(io.BytesIO(b"".join(response.streaming_content)))
    rows = list(book.active.iter_rows(values_only=True))
    assert sorted(r[0] for r in rows[1:]) == sorted([RUSNI[0], bad_rows()[2][0]])
    assert PersonalDataAccess.objects.filter(
        user=bengkalis_operator, object_type="import_rejects", object_id=str(batch.pk)
    ).exists()


def test_no_plaintext_copy_of_a_list_is_left_behind(bengkalis, tmp_path, monkeypatch):
    """The import reads a private plaintext copy (and a UTF-8 copy of an Excel CSV): both go."""
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(scratch))
    path = tmp_path / "excel.csv"
    lines = [";".join(HEADER), ";".join([*RUSNI[:1], "Rusni Amélia", *RUSNI[2:]])]
    path.write_bytes("\r\n".join(lines).encode("cp1252"))
    batch = services.run_import(services.create_batch(path, bengkalis))
    assert batch.status == "done" and batch.accepted == 1
    assert list(scratch.iterdir()) == []


def test_no_plaintext_copy_is_left_when_the_header_is_refused_or_never_read(tmp_path, monkeypatch):
    """An Excel (Windows-1252) CSV is read through a UTF-8 copy of the whole list: a refused
    header, or a caller that refuses the columns and never reads a row, removes it too."""
    import gc

    from jaring.core.spreadsheets import FileRefused, open_sheet
    from jaring.registry.worker_sheet import WORKER_LIST

    scratch = tmp_path / "scratch"
    scratch.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(scratch))
    wrong = tmp_path / "wrong.csv"
    wrong.write_bytes(f"Nomor;Nama Lengkap\r\n{RUSNI[0]};Rusni Amélia".encode("cp1252"))
    with pytest.raises(FileRefused):
        open_sheet(wrong, WORKER_LIST)
    assert list(scratch.iterdir()) == []

    right = tmp_path / "right.csv"
    row = ";".join([*RUSNI[:1], "Rusni Amélia", *RUSNI[2:]])
    right.write_bytes("\r\n".join([";".join(HEADER), row]).encode("cp1252"))
    sheet = open_sheet(right, WORKER_LIST)
    assert len(list(scratch.iterdir())) == 1  # the copy exists while it may be read
    del sheet
    gc.collect()
    assert list(scratch.iterdir()) == []


def test_a_sealed_file_cut_short_or_changed_does_not_open(tmp_path):
    plain = tmp_path / "list.csv"
    plain.write_bytes(b"x" * (sealed.CHUNK_BYTES * 2 + 5))
    target = tmp_path / "sealed.csv"
    sealed.seal_file(plain, target)
    data = target.read_bytes()
    for broken in (data[: -(sealed.CHUNK_BYTES // 2)], data[:-1] + bytes([data[-1] ^ 1])):
        target.write_bytes(broken)
        with pytest.raises(Exception):  # noqa: B017 - cryptography's InvalidTag
            b"".join(sealed.unseal(target))


def test_retention_purges_kept_lists_workbooks_and_raw_rows(bengkalis, tmp_path, settings):
    def imported(name):
        path = write_csv(tmp_path / name, bad_rows())
        return services.run_import(services.create_batch(path, bengkalis))

    old, recent = imported("a.csv"), imported("b.csv")
    days = settings.JARING_PERSONAL_DATA_RETENTION_DAYS
    ImportBatch.objects.filter(pk=old.pk).update(
        finished_at=timezone.now() - datetime.timedelta(days=days + 1)
    )
    old_files = [Path(old.stored_file), services.rejects_workbook(old)]
    assert all(p.is_file() for p in old_files)
    out = io.StringIO()
    call_command("purge_personal_files", "--json", stdout=out)
    summary = json.loads(out.getvalue())
    assert summary["import_files"] == 2 and summary["raw_rows"] == 2
    assert not any(p.is_file() for p in old_files)
    old.refresh_from_db()
    assert old.stored_file == "" and old.rejected + old.duplicates == 2  # counts stay
    assert not ImportRowIssue.objects.filter(batch=old).exclude(raw_cipher=None).exists()
    assert Path(recent.stored_file).is_file() and services.has_rejects(recent)
    assert ImportRowIssue.objects.filter(batch=recent).exclude(raw_cipher=None).count() == 2
    out = io.StringIO()
    call_command("purge_personal_files", "--json", stdout=out)  # again: nothing left to do
    assert json.loads(out.getvalue())["import_files"] == 0


def test_retention_purges_replied_submission_workbooks_only(bengkalis, settings):
    from jaring.enrolment.models import Submission

    days = settings.JARING_PERSONAL_DATA_RETENTION_DAYS
    long_ago = timezone.now() - datetime.timedelta(days=days + 1)
    kept = {}
    for name, replied in [("replied", long_ago), ("waiting", None), ("recent", timezone.now())]:
        path = Path(settings.MEDIA_ROOT) / "bpjs" / f"{name}.xlsx"
        path.parent.mkdir(parents=True, exist_ok=True)
        sealed.seal_stream([b"PK"], path)
        kept[name] = Submission.objects.create(
            region=bengkalis, file_path=str(path), replied_at=replied
        )
    out = io.StringIO()
    call_command("purge_personal_files", "--json", stdout=out)
    assert json.loads(out.getvalue())["submission_files"] == 1
    paths = {name: Path(s.file_path) for name, s in kept.items()}
    assert not paths["replied"].exists() and paths["waiting"].exists() and paths["recent"].exists()
    assert Submission.objects.get(pk=kept["replied"].pk).file_path == ""


def test_a_stored_import_error_holds_no_nik(bengkalis, tmp_path, monkeypatch):
    """An import that dies on an exception quoting a row keeps the reason, not the NIK."""

    def stage_and_fail(batch, unique, found):
        raise ValueError(f"baris rusak: {';'.join(RUSNI)}")

    monkeypatch.setattr(services, "_stage", stage_and_fail)
    batch = services.run_import(
        services.create_batch(write_csv(tmp_path / "a.csv", [RUSNI]), bengkalis)
    )
    stored = ImportBatch.objects.get(pk=batch.pk).error
    assert batch.status == "failed" and "baris rusak: 1403" in stored
    assert RUSNI[0] not in stored and not valid_niks(stored.encode())


def test_a_nul_byte_after_8_kb_stores_no_nik(bengkalis, tmp_path):
    """Past the sniffed 8 KB head, a NUL byte in an unclosed quote makes the CSV reader fail
    with an error that quotes the text that follows — the next row and its NIK."""
    lines = [";".join(HEADER)]
    while sum(len(line) + 1 for line in lines) < 9000:
        lines.append(";".join(RUSNI))
    lines += [f'{BAHTIAR[0]};"Bah\x00tiar;L', ";".join(SAFRI)]
    path = tmp_path / "nul.csv"
    path.write_bytes(("\n".join(lines) + "\n").encode())
    batch = services.run_import(services.create_batch(path, bengkalis))
    stored = ImportBatch.objects.get(pk=batch.pk).error
    assert batch.status == "failed" and "1403*" in stored  # the reader quoted the row ...
    assert SAFRI[0] not in stored and not valid_niks(stored.encode())  # ... masked
    assert "\x00" not in stored  # (PostgreSQL could not even store it)


def test_error_columns_mask_niks_however_they_are_written(bengkalis, tmp_path):
    batch = services.create_batch(write_csv(tmp_path / "a.csv", [RUSNI]), bengkalis)
    ImportBatch.objects.filter(pk=batch.pk).update(error=f"gagal pada {RUSNI[0]}")
    batch.refresh_from_db()
    assert RUSNI[0] not in batch.error and batch.error.startswith("gagal pada 1403")
    batch.error = f"x {BAHTIAR[0]} y"
    batch.save()
    batch.refresh_from_db()
    assert BAHTIAR[0] not in batch.error
    assert isinstance(ImportBatch._meta.get_field("error"), NikFreeTextField)


def test_a_failed_background_task_stores_no_nik(db):
    from django_tasks_db.models import DBTaskResult

    result = DBTaskResult.objects.create(task_path="x.y", args_kwargs={"args": [], "kwargs": {}})
    try:
        raise ValueError(f"baris {RUSNI[0]} rusak")
    except ValueError as exc:
        result.set_failed(exc)
    result.refresh_from_db()
    assert result.traceback and RUSNI[0] not in result.traceback


def test_the_invoice_workbook_masks_kpj_by_role_and_is_logged(world, client):  # noqa: F811
    own, _foreign, users = world
    invoice = own["invoice"]
    url = reverse("finance:invoice", args=[invoice.pk])
    full = invoice.lines.first().enrolment.kpj_number
    for role, shows_full in [(RoleCode.AUDITOR, False), (RoleCode.OPERATOR, True)]:
        user = users[role]
        client.force_login(user)
        response = client.get(url, {"format": "xlsx"})
        assert response.status_code == 200 and "no-store" in response["Cache-Control"]
        rows = list(
            openpyxl.load_workbook(io.BytesIO(response.content)).active.iter_rows(values_only=True)
        )
        kpjs = {r[0] for r in rows[1:-1]}
        assert kpjs == ({full} if shows_full else {"*******" + full[-4:]}), role
        assert PersonalDataAccess.objects.filter(
            user=user, action="export", object_type="invoice_lines", object_id=str(invoice.pk)
        ).exists()


def test_every_response_with_personal_data_is_not_cached(world, client, make_user):  # noqa: F811
    """Every page and export of the access matrix, as a user allowed everything:
    a response that logged a personal-data read or shows a worker's name or NIK says no-store."""
    own, _foreign, _users = world
    client.force_login(make_user("semua.hak", is_superuser=True))
    worker = own["worker"]
    secrets = {worker.full_name, crypto.decrypt_nik(worker.nik_cipher)}
    personal, failures = [], []
    for name, route in ROUTES.items():
        if route.kind not in {"list", "object"}:
            continue
        logged = PersonalDataAccess.objects.count()
        response = client.get(_url(name, own[route.object_kind] if route.object_kind else None))
        body = b"" if response.streaming else response.content
        shows = PersonalDataAccess.objects.count() > logged or any(
            s.encode() in body for s in secrets
        )
        if shows:
            personal.append(name)
            if "no-store" not in response.get("Cache-Control", ""):
                failures.append(name)
    assert failures == []
    assert {"registry:worker", "registry:import_rejects", "claims:detail"} <= set(personal)
    # A page declared personal without a log row of its own: staff names and addresses.
    assert "no-store" in client.get(reverse("access_log"))["Cache-Control"]
    public = client.get(reverse("reports:public"))
    assert "no-store" not in public.get("Cache-Control", "")  # aggregates stay cacheable
