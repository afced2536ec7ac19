"""The `leadflow` command: Django's management commands under the project's name.

leadflow serve                      migrate, seed, web + one worker (embedded mode)
leadflow web | leadflow worker      scale-out mode, one of each per machine
leadflow token create USERNAME      print a new personal API token
leadflow migrate, seed, createsuperuser …
"""

import os
import sys


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "leadflow.settings")
    from django.core.management import execute_from_command_line

    execute_from_command_line(["leadflow", *sys.argv[1:]])


if __name__ == "__main__":
    main()
