#!/usr/bin/env python3
"""Starts a systemd service unit's ExecStart the way systemd would, where there is no systemd.

CI has no systemd, so the stack test runs each installed unit through this: it reads the unit
file the installer wrote — User/Group, WorkingDirectory, EnvironmentFile, Environment,
RuntimeDirectory — and then execs exactly the ExecStart command line as that user. What CI
tests is therefore the unit's own command, not a copy of it.
"""

import grp
import os
import pwd
import shlex
import shutil
import sys
from pathlib import Path


def read_unit(path: Path) -> dict[str, list[str]]:
    section, values = None, {}
    for raw in path.read_text().splitlines():
        line = raw.strip()
        if not line or line.startswith(("#", ";")):
            continue
        if line.startswith("["):
            section = line.strip("[]")
            continue
        if section == "Service" and "=" in line:
            key, value = line.split("=", 1)
            values.setdefault(key.strip(), []).append(value.strip())
    return values


def environment_file(path: str) -> dict[str, str]:
    optional = path.startswith("-")
    path = path.lstrip("-")
    if optional and not os.path.exists(path):
        return {}
    values = {}
    for raw in Path(path).read_text().splitlines():
        line = raw.strip()
        if line and not line.startswith("#") and "=" in line:
            key, value = line.split("=", 1)
            values[key.strip()] = value.strip().strip('"')
    return values


def main() -> None:
    unit = read_unit(Path(sys.argv[1]))
    user = pwd.getpwnam(unit["User"][0])
    group = grp.getgrnam(unit.get("Group", [user.pw_name])[0])
    env = {
        "PATH": "/usr/local/bin:/usr/bin:/bin",
        "HOME": user.pw_dir,
        "USER": user.pw_name,
        "LANG": "C.UTF-8",
    }
    for path in unit.get("EnvironmentFile", []):
        env.update(environment_file(path))
    for assignment in unit.get("Environment", []):
        for item in shlex.split(assignment):
            key, value = item.split("=", 1)
            env[key] = value
    mode = int(unit.get("RuntimeDirectoryMode", ["0755"])[0], 8)
    for name in unit.get("RuntimeDirectory", []):
        for entry in name.split():
            directory = Path(entry if entry.startswith("/") else f"/run/{entry}")
            shutil.rmtree(directory, ignore_errors=True)  # systemd makes it anew at each start
            directory.mkdir(parents=True, mode=mode)
            os.chown(directory, user.pw_uid, group.gr_gid)
            directory.chmod(mode)
    command = shlex.split(unit["ExecStart"][0].lstrip("@-+!"))
    os.chdir(unit.get("WorkingDirectory", [user.pw_dir])[0])
    umask = unit.get("UMask")
    if umask:
        os.umask(int(umask[0], 8))
    os.setgroups([])
    os.setgid(group.gr_gid)
    os.setuid(user.pw_uid)
    os.execvpe(command[0], command, env)  # noqa: S606 - the unit's own command line


if __name__ == "__main__":
    main()
