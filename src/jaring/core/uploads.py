"""An uploaded file on disk, for the readers (spreadsheets, sealing) that need a path."""

import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


@contextmanager
def upload_on_disk(upload) -> Iterator[Path]:
    """The upload written to a private temporary folder under its own base name (its suffix
    tells the readers its type; imports record the name), removed when the block ends."""
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / (Path(upload.name).name or "upload")
        with path.open("wb") as handle:
            for chunk in upload.chunks():
                handle.write(chunk)
        yield path
