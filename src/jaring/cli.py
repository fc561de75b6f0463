"""The ``jaring`` console script: Django's management commands without manage.py."""

import os
import sys


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "jaring.settings")
    from django.core.management import execute_from_command_line

    arguments = sys.argv[1:]
    if arguments and not arguments[0].startswith("-"):
        # `jaring import-workers` reads better than `import_workers`; both work.
        arguments[0] = arguments[0].replace("-", "_")
    execute_from_command_line([sys.argv[0], *arguments])


if __name__ == "__main__":
    main()
