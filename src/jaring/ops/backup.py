"""Backups: a consistent database dump and the uploaded files, encrypted, rotated; and restore.

One backup is one file ``jaring-backup-YYYYMMDDTHHMMSSZ.tar.age``: a tar archive holding

- ``db.dump``    PostgreSQL's custom-format dump (pg_dump), or ``db.sqlite3`` for SQLite;
- ``media.tar``  the uploaded files (MEDIA_ROOT): registry lists, claim documents;
- ``manifest.json`` Jaring's version, the applied migrations, the row count of every table
  *in the same snapshot as the dump*, the fingerprints (never the keys) of the NIK keys, and
  the SHA-256 of the two parts;

encrypted with age (https://age-encryption.org) to the public keys in
``JARING_BACKUP_RECIPIENTS``. The server holds only public keys: it writes backups it cannot
read, so whoever takes the server cannot read old backups either. The private key and the NIK
keys live off the server (docs/DEPLOY.md).

Consistency on PostgreSQL: one REPEATABLE READ transaction exports its snapshot, counts the
rows in it, and pg_dump dumps exactly that snapshot (``--snapshot``). The files are archived
after the snapshot, so every file the database names is in the archive (a file uploaded a
moment later may be there too, unnamed: harmless).
"""

from __future__ import annotations

import datetime
import hashlib
import hmac
import io
import json
import os
import shutil
import sqlite3
import subprocess  # nosec B404 - fixed programs (pg_dump, pg_restore, age), argument lists
import tarfile
import tempfile
from dataclasses import dataclass, field
from importlib.metadata import version
from pathlib import Path

from django.apps import apps
from django.conf import settings
from django.db import connection, transaction
from django.db.migrations.recorder import MigrationRecorder

from jaring.core.crypto import file_sha256

FORMAT = 1
PREFIX = "jaring-backup-"
SUFFIX = ".tar.age"
STAMP = "%Y%m%dT%H%M%SZ"


class BackupError(Exception):
    pass


# ---------------------------------------------------------------------------------------- keys


def key_fingerprint(value: str) -> str:
    """Names a key without revealing it: HMAC of a fixed label under the key."""
    return hmac.new(value.encode(), b"jaring.key-fingerprint", hashlib.sha256).hexdigest()[:16]


def key_fingerprints() -> dict[str, str]:
    return {
        "nik_encryption": key_fingerprint(settings.NIK_ENCRYPTION_KEY),
        "nik_index": key_fingerprint(settings.NIK_INDEX_KEY),
    }


# ------------------------------------------------------------------------------------- helpers


def _run(command: list[str], **kwargs) -> subprocess.CompletedProcess:
    try:
        return subprocess.run(  # noqa: S603  # nosec B603 - fixed programs, argument lists
            command, check=True, capture_output=True, **kwargs
        )
    except FileNotFoundError as exc:
        raise BackupError(f"{command[0]} is not installed (apt-get install {command[0]})") from exc
    except subprocess.CalledProcessError as exc:
        detail = (exc.stderr or b"").decode(errors="replace").strip()
        raise BackupError(f"{command[0]} failed: {detail}") from exc


def _pg_env() -> dict[str, str]:
    db = settings.DATABASES["default"]
    env = dict(os.environ)
    for setting, variable in (
        ("HOST", "PGHOST"),
        ("PORT", "PGPORT"),
        ("USER", "PGUSER"),
        ("PASSWORD", "PGPASSWORD"),
        ("NAME", "PGDATABASE"),
    ):
        if db.get(setting):
            env[variable] = str(db[setting])
    return env


def _tables() -> list[str]:
    """Every table Django manages (models of all installed apps, history tables included)."""
    names = {
        model._meta.db_table
        for model in apps.get_models(include_auto_created=True)
        if model._meta.managed and not model._meta.proxy
    }
    existing = set(connection.introspection.table_names())
    return sorted(names & existing)


def count_rows() -> dict[str, int]:
    quote = connection.ops.quote_name
    counts = {}
    with connection.cursor() as cursor:
        for table in _tables():
            cursor.execute(f"SELECT COUNT(*) FROM {quote(table)}")  # noqa: S608  # nosec B608
            counts[table] = cursor.fetchone()[0]
    return counts


def _migrations() -> dict[str, str]:
    latest: dict[str, str] = {}
    for app, name in MigrationRecorder.Migration.objects.values_list("app", "name").order_by("id"):
        latest[app] = name
    return latest


# -------------------------------------------------------------------------------------- backup


@dataclass
class BackupResult:
    path: Path
    size: int
    counts: dict[str, int]
    removed: list[Path] = field(default_factory=list)


def _dump_database(work: Path) -> tuple[Path, dict[str, int]]:
    if connection.vendor == "postgresql":
        target = work / "db.dump"
        with transaction.atomic():
            with connection.cursor() as cursor:
                cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
                cursor.execute("SELECT pg_export_snapshot()")
                snapshot = cursor.fetchone()[0]
            counts = count_rows()
            _run(
                [
                    "pg_dump",
                    "--format=custom",
                    "--no-owner",
                    "--no-privileges",
                    f"--snapshot={snapshot}",
                    f"--file={target}",
                ],
                env=_pg_env(),
            )
        return target, counts
    if connection.vendor == "sqlite":
        target = work / "db.sqlite3"
        connection.ensure_connection()
        copy = sqlite3.connect(target)
        with copy:
            connection.connection.backup(copy)  # SQLite's online backup API: one snapshot
        copy.close()
        snapshot = sqlite3.connect(target)
        try:
            counts = {
                table: snapshot.execute(f'SELECT COUNT(*) FROM "{table}"').fetchone()[0]  # noqa: S608  # nosec B608
                for table in _tables()
            }
        finally:
            snapshot.close()
        return target, counts
    raise BackupError(f"backups support PostgreSQL and SQLite, not {connection.vendor}")


def _archive_media(work: Path) -> Path:
    target = work / "media.tar"
    media = Path(settings.MEDIA_ROOT)
    with tarfile.open(target, "w") as archive:
        if media.is_dir():
            for path in sorted(media.rglob("*")):
                if path.is_file() and not path.is_symlink():
                    archive.add(path, arcname=str(path.relative_to(media)), recursive=False)
    return target


def _recipients() -> Path:
    if not settings.JARING_BACKUP_RECIPIENTS:
        raise BackupError(
            "JARING_BACKUP_RECIPIENTS is not set: name a file of age public keys (age1…)."
        )
    path = Path(settings.JARING_BACKUP_RECIPIENTS)
    if not path.is_file() or "age1" not in path.read_text():
        raise BackupError(f"{path} holds no age public key (age1…).")
    return path


def create_backup(
    directory: Path | None = None, keep: str | None = None, now: datetime.datetime | None = None
) -> BackupResult:
    directory = Path(directory or settings.JARING_BACKUP_DIR)
    recipients = _recipients()
    directory.mkdir(parents=True, exist_ok=True)
    now = now or datetime.datetime.now(datetime.UTC)
    name = f"{PREFIX}{now.strftime(STAMP)}{SUFFIX}"
    final = directory / name
    partial = directory / f".{name}.partial"
    with tempfile.TemporaryDirectory(prefix="jaring-backup-", dir=directory) as scratch:
        work = Path(scratch)
        dump, counts = _dump_database(work)
        media = _archive_media(work)
        manifest = {
            "format": FORMAT,
            "created_at": now.isoformat(),
            "jaring_version": version("jaring"),
            "database": connection.vendor,
            "migrations": _migrations(),
            "counts": counts,
            "keys": key_fingerprints(),
            "files": {dump.name: file_sha256(dump), media.name: file_sha256(media)},
        }
        buffer = io.BytesIO()
        with tarfile.open(fileobj=buffer, mode="w") as archive:
            data = json.dumps(manifest, indent=2, sort_keys=True).encode()
            info = tarfile.TarInfo("manifest.json")
            info.size, info.mtime = len(data), int(now.timestamp())
            archive.addfile(info, io.BytesIO(data))
            archive.add(dump, arcname=dump.name)
            archive.add(media, arcname=media.name)
        _run(
            ["age", "--encrypt", "-R", str(recipients), "-o", str(partial)], input=buffer.getvalue()
        )
    partial.chmod(0o600)
    partial.rename(final)  # a half-written backup never carries the final name
    removed = rotate(directory, keep or settings.JARING_BACKUP_KEEP)
    return BackupResult(final, final.stat().st_size, counts, removed)


# ------------------------------------------------------------------------------------ rotation


def parse_keep(spec: str) -> dict[str, int]:
    """``7d,4w,12m`` → keep the newest backup of each of the last 7 days, 4 ISO weeks and
    12 months (grandfather-father-son). A backup kept by any rule stays."""
    keep = {"d": 0, "w": 0, "m": 0}
    for part in filter(None, (p.strip() for p in spec.split(","))):
        number, unit = part[:-1], part[-1]
        if unit not in keep or not number.isdigit():
            raise BackupError(f"bad retention {part!r}: use e.g. 7d,4w,12m")
        keep[unit] = int(number)
    return keep


def backups_in(directory: Path) -> list[tuple[datetime.datetime, Path]]:
    found = []
    for path in Path(directory).glob(f"{PREFIX}*{SUFFIX}"):
        stamp = path.name[len(PREFIX) : -len(SUFFIX)]
        try:
            moment = datetime.datetime.strptime(stamp, STAMP).replace(tzinfo=datetime.UTC)
        except ValueError:
            continue
        found.append((moment, path))
    return sorted(found, reverse=True)


def to_keep(moments: list[datetime.datetime], spec: str) -> set[datetime.datetime]:
    keep = parse_keep(spec)
    buckets = {
        "d": lambda m: m.date(),
        "w": lambda m: m.isocalendar()[:2],
        "m": lambda m: (m.year, m.month),
    }
    kept: set[datetime.datetime] = set()
    for unit, limit in keep.items():
        seen: list = []
        for moment in sorted(moments, reverse=True):
            bucket = buckets[unit](moment)
            if bucket in seen:
                continue
            if len(seen) == limit:
                break
            seen.append(bucket)
            kept.add(moment)
    if moments:
        kept.add(max(moments))  # never delete the newest backup
    return kept


def rotate(directory: Path, spec: str) -> list[Path]:
    present = backups_in(directory)
    kept = to_keep([moment for moment, _ in present], spec)
    removed = []
    for moment, path in present:
        if moment not in kept:
            path.unlink()
            removed.append(path)
    return removed


# ------------------------------------------------------------------------------------- restore


@dataclass
class RestoreResult:
    manifest: dict
    counts: dict[str, int]
    mismatched: dict[str, tuple[int, int]]
    niks_checked: int
    niks_failed: int
    media_files: int


def _safe_extract(archive: tarfile.TarFile, target: Path) -> int:
    members = [m for m in archive.getmembers() if m.isfile()]
    archive.extractall(target, members=members, filter="data")  # refuses ../ and links
    return len(members)


def open_backup(path: Path, identity: Path, work: Path) -> dict:
    """Decrypts and unpacks a backup into ``work``; checks the parts against the manifest."""
    decrypted = _run(["age", "--decrypt", "-i", str(identity), str(path)]).stdout
    with tarfile.open(fileobj=io.BytesIO(decrypted), mode="r") as archive:
        _safe_extract(archive, work)
    manifest = json.loads((work / "manifest.json").read_text())
    if manifest.get("format") != FORMAT:
        raise BackupError(f"unknown backup format {manifest.get('format')!r}")
    for name, digest in manifest["files"].items():
        if file_sha256(work / name) != digest:
            raise BackupError(f"{name} does not match its checksum: the backup is damaged")
    return manifest


def database_is_empty() -> bool:
    return not connection.introspection.table_names()


def restore_backup(
    path: Path, identity: Path, allow_other_keys: bool = False, sample: int = 2000
) -> RestoreResult:
    if not database_is_empty():
        raise BackupError(
            "the target database is not empty: restore only into a new, empty database"
        )
    media_root = Path(settings.MEDIA_ROOT)
    if media_root.is_dir() and any(media_root.iterdir()):
        raise BackupError(f"{media_root} is not empty: restore into an empty media folder")
    with tempfile.TemporaryDirectory(prefix="jaring-restore-") as scratch:
        work = Path(scratch)
        manifest = open_backup(Path(path), Path(identity), work)
        if manifest["keys"] != key_fingerprints() and not allow_other_keys:
            raise BackupError(
                "the NIK keys in this environment are not the ones the backup was made with "
                "(fingerprints differ): set JARING_NIK_ENCRYPTION_KEY and JARING_NIK_INDEX_KEY "
                "from the key copy kept off the server"
            )
        if manifest["database"] != connection.vendor:
            raise BackupError(
                f"this backup is of {manifest['database']}, the target is {connection.vendor}"
            )
        if connection.vendor == "postgresql":
            connection.close()
            _run(
                [
                    "pg_restore",
                    "--no-owner",
                    "--no-privileges",
                    "--exit-on-error",
                    "--single-transaction",
                    f"--dbname={_pg_env()['PGDATABASE']}",
                    str(work / "db.dump"),
                ],
                env=_pg_env(),
            )
        else:
            connection.close()
            target = Path(settings.DATABASES["default"]["NAME"])
            for suffix in ("-wal", "-shm"):
                Path(f"{target}{suffix}").unlink(missing_ok=True)
            shutil.copyfile(work / "db.sqlite3", target)
        media_root.mkdir(parents=True, exist_ok=True)
        with tarfile.open(work / "media.tar") as archive:
            media_files = _safe_extract(archive, media_root)
    counts = count_rows()
    mismatched = {
        table: (expected, counts.get(table, -1))
        for table, expected in manifest["counts"].items()
        if counts.get(table, -1) != expected
    }
    checked, failed = verify_niks(sample)
    return RestoreResult(manifest, counts, mismatched, checked, failed, media_files)


def verify_niks(sample: int = 2000) -> tuple[int, int]:
    """Opens up to ``sample`` stored NIKs and checks each against its blind index.

    A NIK that does not decrypt, or whose index under the current key differs, is a failure:
    the wrong keys were given, or the data was damaged.
    """
    from jaring.core.crypto import decrypt_nik, nik_index
    from jaring.registry.models import Worker

    checked = failed = 0
    rows = Worker.objects.order_by("pk").values_list("nik_cipher", "nik_index")
    step = max(1, Worker.objects.count() // max(1, sample))
    for position, (cipher, index) in enumerate(rows.iterator(chunk_size=2000)):
        if position % step:
            continue
        checked += 1
        try:
            if nik_index(decrypt_nik(cipher)) != index:
                failed += 1
        except Exception:  # noqa: BLE001 - a wrong key or damaged ciphertext both count
            failed += 1
        if checked >= sample:
            break
    return checked, failed
