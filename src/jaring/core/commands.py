"""What the operator commands share: how a command reports its result."""

import json


def write_summary(stdout, summary: dict, as_json: bool, key_width: int = 0) -> None:
    """A command's result: one JSON line for scripts (``--json``), else a ``key: value`` line
    each (keys right-aligned to ``key_width``)."""
    if as_json:
        stdout.write(json.dumps(summary))
        return
    for key, value in summary.items():
        stdout.write(f"{key:>{key_width}}: {value}")
