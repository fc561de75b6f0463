"""NIK key rotation: ciphertexts carry a key id; `jaring rotate_nik_keys` re-seals under a new
key and re-indexes under a new index key, in batches, resumably — on real imported rows."""

import base64
import json
import secrets
from io import StringIO
from pathlib import Path

import pytest
from django.core.cache import cache
from django.core.management import call_command

from jaring.core import crypto

NIK = "1403014101850001"


def new_key() -> str:
    return base64.urlsafe_b64encode(secrets.token_bytes(32)).decode()


@pytest.fixture
def workers(riau_regions, occupations, tmp_path):
    from jaring.regions.models import Region
    from jaring.registry import services
    from jaring.registry.models import Worker
    from jaring.registry.synthetic import write_csv

    path = tmp_path / "workers.csv"
    write_csv(path, "14.03", rows=30, bad_share=0, seed=7)
    batch = services.run_import(services.create_batch(path, Region.objects.get(code="14.03")))
    assert batch.accepted == 30
    return {pk: crypto.decrypt_nik(c) for pk, c in Worker.objects.values_list("pk", "nik_cipher")}


def test_ciphertexts_carry_their_key_id(settings):
    blob = crypto.encrypt_nik(NIK)
    assert blob[:2] == b"\x02\x01" and crypto.key_id_of(blob) == 1
    old = settings.NIK_ENCRYPTION_KEY
    settings.NIK_KEY_ID, settings.NIK_ENCRYPTION_KEY = 2, new_key()
    with pytest.raises(ValueError, match="key id 1 is not configured"):
        crypto.decrypt_nik(blob)
    settings.NIK_OLD_ENCRYPTION_KEYS = {1: old}
    assert crypto.decrypt_nik(blob) == NIK
    assert crypto.key_id_of(crypto.encrypt_nik(NIK)) == 2
    tampered = b"\x02\x02" + bytes(blob)[2:]  # claiming another key id breaks authentication
    with pytest.raises(Exception):  # noqa: B017 - cryptography's InvalidTag
        crypto.decrypt_nik(tampered)


def test_legacy_ciphertexts_without_key_id_still_open(settings):
    import os

    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    nonce = os.urandom(12)
    key = base64.urlsafe_b64decode(settings.NIK_ENCRYPTION_KEY)
    legacy = b"\x01" + nonce + AESGCM(key).encrypt(nonce, NIK.encode(), b"jaring.nik")
    assert crypto.key_id_of(legacy) == 1 and crypto.decrypt_nik(legacy) == NIK


@pytest.mark.django_db
def test_rotation_reseals_and_reindexes_in_resumable_batches(workers, settings):
    from jaring.registry.models import Worker

    cache.clear()
    old_key, old_index_key = settings.NIK_ENCRYPTION_KEY, settings.NIK_INDEX_KEY
    first = Worker.objects.order_by("pk").first()
    history_before = first.history.count()
    settings.NIK_KEY_ID, settings.NIK_ENCRYPTION_KEY = 2, new_key()
    settings.NIK_OLD_ENCRYPTION_KEYS = {1: old_key}
    settings.NIK_INDEX_KEY = new_key()

    status = StringIO()
    call_command("rotate_nik_keys", "--status", stdout=status)
    assert json.loads(status.getvalue())["registry.Worker"] == 30

    # Interrupted after two batches of 8 ...
    out = StringIO()
    call_command("rotate_nik_keys", "--batch-size", "8", "--max-batches", "2", "--json", stdout=out)
    partial = json.loads(out.getvalue())
    assert partial == {
        "checked": 16,
        "resealed": 16,
        "reindexed": 16,
        "history_rows": partial["history_rows"],
        "files_resealed": 0,  # the files come after the rows
        "finished": False,
    }
    ids = [
        crypto.key_id_of(c)
        for c in Worker.objects.order_by("pk").values_list("nik_cipher", flat=True)
    ]
    assert ids == [2] * 16 + [1] * 14
    # ... and resumed: only the rest is read.
    out = StringIO()
    call_command("rotate_nik_keys", "--batch-size", "8", "--json", stdout=out)
    rest = json.loads(out.getvalue())
    assert rest["finished"] and rest["resealed"] == 14 and rest["reindexed"] == 14

    status = StringIO()
    call_command("rotate_nik_keys", "--status", stdout=status)
    assert set(json.loads(status.getvalue()).values()) == {0}
    # The old key can go: everything opens under the new key alone, and is found by the new index.
    settings.NIK_OLD_ENCRYPTION_KEYS = {}
    for pk, cipher, index in Worker.objects.values_list("pk", "nik_cipher", "nik_index"):
        nik = crypto.decrypt_nik(cipher)
        assert nik == workers[pk] and index == crypto.nik_index(nik)
    assert first.history.count() == history_before  # rows updated in place, no new history
    assert set(first.history.values_list("nik_index", flat=True)) == {
        crypto.nik_index(workers[first.pk])
    }

    # A full run again finds nothing to do (idempotent), even from scratch.
    out = StringIO()
    call_command("rotate_nik_keys", "--restart", "--json", stdout=out)
    again = json.loads(out.getvalue())
    assert (again["resealed"], again["reindexed"], again["checked"]) == (0, 0, 30)
    assert old_index_key != settings.NIK_INDEX_KEY


@pytest.mark.django_db
def test_rotation_covers_raw_rows_and_sealed_files(riau_regions, occupations, tmp_path, settings):
    """What is sealed besides NIKs — rejected rows as they came, the kept list, the rejects and
    BPJS workbooks — moves to the new key too, and still opens once the old key is gone."""
    from jaring.core import sealed
    from jaring.regions.models import Region
    from jaring.registry import services
    from jaring.registry.models import ImportRowIssue
    from jaring.registry.synthetic import write_csv

    path = tmp_path / "workers.csv"
    write_csv(path, "14.03", rows=40, bad_share=0.2, seed=3)
    batch = services.run_import(services.create_batch(path, Region.objects.get(code="14.03")))
    services.rejects_workbook(batch)  # written when first downloaded
    raw_before = {i.pk: i.raw for i in ImportRowIssue.objects.exclude(raw_cipher=None)}
    files = {p: b"".join(sealed.unseal(p)) for p in sealed.kept_files()}
    assert raw_before and len(files) == 2  # the kept list and its rejects workbook
    assert Path(batch.stored_file) in files and services.rejects_path(batch) in files

    cache.clear()
    old_key = settings.NIK_ENCRYPTION_KEY
    settings.NIK_KEY_ID, settings.NIK_ENCRYPTION_KEY = 2, new_key()
    settings.NIK_OLD_ENCRYPTION_KEYS = {1: old_key}
    status = StringIO()
    call_command("rotate_nik_keys", "--status", stdout=status)
    stale = json.loads(status.getvalue())
    assert stale["registry.ImportRowIssue"] == len(raw_before) and stale["files"] == 2
    out = StringIO()
    call_command("rotate_nik_keys", "--json", stdout=out)
    assert json.loads(out.getvalue())["files_resealed"] == 2

    settings.NIK_OLD_ENCRYPTION_KEYS = {}
    for issue in ImportRowIssue.objects.exclude(raw_cipher=None):
        assert crypto.key_id_of(issue.raw_cipher) == 2 and issue.raw == raw_before[issue.pk]
    for file, content in files.items():
        assert sealed.key_id_of(file) == 2 and b"".join(sealed.unseal(file)) == content
        assert file.stat().st_mode & 0o777 == 0o600


@pytest.mark.django_db
def test_rotation_seals_files_kept_in_plaintext_by_an_earlier_release(settings, tmp_path):
    from jaring.core import sealed

    old = Path(settings.MEDIA_ROOT) / "imports" / "lama.csv"
    old.parent.mkdir(parents=True, exist_ok=True)
    old.write_bytes(f"NIK;Nama\n{NIK};Rusni\n".encode())
    assert b"".join(sealed.unseal(old)).startswith(b"NIK;Nama")  # read as it is meanwhile
    status = StringIO()
    call_command("rotate_nik_keys", "--status", stdout=status)
    assert json.loads(status.getvalue())["files"] == 1
    call_command("rotate_nik_keys", stdout=StringIO())
    assert sealed.key_id_of(old) == settings.NIK_KEY_ID and NIK.encode() not in old.read_bytes()
    assert b"".join(sealed.unseal(old)) == f"NIK;Nama\n{NIK};Rusni\n".encode()
