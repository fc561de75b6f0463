"""Files with personal data, sealed at rest under the NIK key ring (``core.crypto``).

Uploaded and CLI-imported lists, rejects workbooks, BPJS submission workbooks and statements,
and claim documents are kept only in this form under ``MEDIA_ROOT``: owner-only (0600) and
encrypted with AES-256-GCM under the current key id, in 1 MiB chunks so a large list never
sits in memory.

Layout: ``JRSF``, the format byte ``0x02``, the key id (one byte), an 8-byte random prefix; then
chunks, each ``nonce = prefix + chunk number (4 bytes)`` and sealed with the header, the prefix
and a last-chunk flag as associated data — a chunk cannot be moved, dropped or the file cut
short without the tag failing. ``jaring rotate_nik_keys`` re-seals files under an old key id
and seals files kept in plaintext by earlier releases (``ops.keys``; until then they are read
as they are); readers decrypt to a private temporary file only while they need a path.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterable, Iterator
from pathlib import Path

from django.conf import settings

from jaring.core import crypto

MAGIC = b"JRSF"
HEADER_BYTES = len(MAGIC) + 2
PREFIX_BYTES = 8
CHUNK_BYTES = 1 << 20
TAG_BYTES = 16
FILE_DATA = b"jaring.file"
PRIVATE = 0o600


def private_file(path: Path):
    """Open ``path`` for writing, created owner-only (0600) whatever the umask."""
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, PRIVATE)
    os.chmod(path, PRIVATE)  # an existing file keeps its mode on O_CREAT
    return os.fdopen(descriptor, "wb")


def _chunks(source) -> Iterator[bytes]:
    while block := source.read(CHUNK_BYTES):
        yield block


def _associated(header: bytes, prefix: bytes, last: bool) -> bytes:
    return FILE_DATA + header + prefix + bytes([last])


def seal_stream(blocks: Iterable[bytes], target: Path) -> None:
    """Write ``blocks`` (plaintext, any sizes) to ``target`` sealed, atomically, 0600."""
    header = MAGIC + crypto.FORMAT_KEYED + bytes([settings.NIK_KEY_ID])
    prefix = os.urandom(PREFIX_BYTES)
    cipher = crypto._cipher(settings.NIK_ENCRYPTION_KEY)
    partial = target.with_name(f".{target.name}.partial")
    with private_file(partial) as out:
        out.write(header + prefix)
        number, buffer = 0, b""
        for block in blocks:
            buffer += block
            while len(buffer) > CHUNK_BYTES:  # the last chunk is never empty unless the file is
                nonce = prefix + number.to_bytes(4, "big")
                chunk, buffer = buffer[:CHUNK_BYTES], buffer[CHUNK_BYTES:]
                out.write(cipher.encrypt(nonce, chunk, _associated(header, prefix, False)))
                number += 1
        nonce = prefix + number.to_bytes(4, "big")
        out.write(cipher.encrypt(nonce, buffer, _associated(header, prefix, True)))
    os.replace(partial, target)


def seal_file(source: Path, target: Path) -> None:
    with source.open("rb") as handle:
        seal_stream(_chunks(handle), target)


def key_id_of(path: Path) -> int | None:
    """The key id a sealed file is under, or None for a file that is not sealed."""
    with path.open("rb") as handle:
        header = handle.read(HEADER_BYTES)
    if len(header) == HEADER_BYTES and header.startswith(MAGIC):
        return header[-1]
    return None


def unseal(path: Path) -> Iterator[bytes]:
    """The plaintext of a sealed file, chunk by chunk (a tampered or cut file raises). A file
    kept by a release before sealing is read as it is, until ``reseal`` seals it."""
    with path.open("rb") as handle:
        header = handle.read(HEADER_BYTES)
        if not header.startswith(MAGIC):  # plaintext from before sealing
            yield header
            yield from _chunks(handle)
            return
        if header[len(MAGIC) : len(MAGIC) + 1] != crypto.FORMAT_KEYED:
            raise ValueError(f"{path.name}: unknown sealed file format")
        prefix = handle.read(PREFIX_BYTES)
        key = crypto.keyring().get(header[-1])
        if key is None:
            raise ValueError(f"NIK key id {header[-1]} is not configured (JARING_NIK_OLD_KEYS)")
        cipher = crypto._cipher(key)
        number, current = 0, handle.read(CHUNK_BYTES + TAG_BYTES)
        while True:
            following = handle.read(CHUNK_BYTES + TAG_BYTES)
            last = not following
            nonce = prefix + number.to_bytes(4, "big")
            yield cipher.decrypt(nonce, current, _associated(header, prefix, last))
            if last:
                return
            number, current = number + 1, following


@contextlib.contextmanager
def plain_copy(path: Path, suffix: str = "") -> Iterator[Path]:
    """A private temporary plaintext copy of a sealed file for readers that need a path;
    removed on leaving the block."""
    descriptor, name = tempfile.mkstemp(suffix=suffix or path.suffix, prefix="jaring-")
    plain = Path(name)
    try:
        with os.fdopen(descriptor, "wb") as out:
            for block in unseal(path):
                out.write(block)
        yield plain
    finally:
        plain.unlink(missing_ok=True)


def reseal(path: Path) -> bool:
    """Seal a file under the current key id (key rotation; a plaintext file of an earlier
    release is sealed the first time). False when it already is."""
    if key_id_of(path) == settings.NIK_KEY_ID:
        return False
    seal_stream(unseal(path), path)
    return True


def kept_files() -> Iterator[Path]:
    """Every file kept under MEDIA_ROOT (what key rotation walks)."""
    root = Path(settings.MEDIA_ROOT)
    if not root.is_dir():
        return
    for path in sorted(root.rglob("*")):
        if path.is_file() and not path.name.startswith("."):
            yield path


def sealed_response(path: Path, filename: str, content_type: str):
    """A download of a sealed file, decrypted as it streams (the caller has logged the access)."""
    from django.http import StreamingHttpResponse

    response = StreamingHttpResponse(unseal(path), content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def unseal_to(path: Path, target: Path) -> None:
    """Write a sealed file's plaintext to ``target`` (owner-only), e.g. for the operator's CLI."""
    with private_file(target) as out:
        for block in unseal(path):
            out.write(block)


@contextlib.contextmanager
def sealed_output(target: Path, suffix: str = "") -> Iterator[Path]:
    """A private temporary path for a writer that needs one (xlsxwriter); what it holds on
    leaving the block is sealed into ``target``, and the plaintext is removed either way."""
    descriptor, name = tempfile.mkstemp(suffix=suffix or target.suffix, prefix="jaring-")
    os.close(descriptor)
    plain = Path(name)
    try:
        yield plain
        seal_file(plain, target)
    finally:
        plain.unlink(missing_ok=True)
