#!/usr/bin/env python3
"""Known vulnerabilities in the pinned versions: pip-audit over the lock files.

Fails (exit 1) when a pinned version has a published advisory. When the advisory service
cannot be reached (an offline Pemda network, a closed CI), says so plainly and exits 0: an
audit that could not run is reported, not mistaken for a clean one or for a failure.

    python deploy/ci/audit.py requirements.lock [requirements-test.lock ...]
"""

import os
import re
import subprocess
import sys
import urllib.request
from pathlib import Path

# pip-audit's default source: PyPI's per-release JSON, which carries the advisories.
SERVICE = "https://pypi.org/pypi/{name}/{version}/json"


def reachable(lock_file: str) -> tuple[str, str | None]:
    """Asks the service about the first pinned package, exactly as pip-audit will."""
    pin = re.search(r"^([A-Za-z0-9_.-]+)==([^ \\]+)", Path(lock_file).read_text(), re.M)
    url = SERVICE.format(name=pin.group(1), version=pin.group(2))
    try:
        with urllib.request.urlopen(url, timeout=15) as response:  # noqa: S310 - fixed host
            response.read(1)
        return url, None
    except Exception as exc:  # noqa: BLE001 - any failure means we cannot audit now
        return url, f"{type(exc).__name__}: {exc}"


def main(lock_files: list[str]) -> int:
    url, problem = reachable(lock_files[0])
    if problem:
        print(f"pip-audit: NOT RUN — the advisory service cannot be reached ({url}: {problem}).")
        print("pip-audit: the pinned versions were not checked for known vulnerabilities.")
        return 0
    pip_audit = Path(sys.executable).with_name("pip-audit")
    command = [str(pip_audit), "--progress-spinner", "off", "--disable-pip", "--strict"]
    for lock in lock_files:
        command += ["-r", lock]
    print("pip-audit:", " ".join(command[1:]))
    result = subprocess.run(command, env={**os.environ, "PIP_DISABLE_PIP_VERSION_CHECK": "1"})  # noqa: S603
    if result.returncode == 0:
        print("pip-audit: no known vulnerabilities in the pinned versions.")
    return result.returncode


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:] or ["requirements.lock"]))
