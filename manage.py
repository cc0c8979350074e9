#!/usr/bin/env python
import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent
# Written by `make run` (bin/run-local): the settings of the local run, so a management command
# typed afterwards works on the same data in the same (local) mode. Production has no such file
# (var/ is never deployed), so there a missing secret still stops every command.
LOCAL_RUN_FILE = "local-run.env"


def _venv_python() -> None:
    """`python manage.py …` from a shell without the project's .venv: run it with .venv's Python."""
    venv = ROOT / ".venv"
    try:
        import django  # noqa: F401
    except ImportError:
        if (venv / "bin" / "python").exists() and Path(sys.prefix).resolve() != venv.resolve():
            os.execv(venv / "bin" / "python", [str(venv / "bin" / "python"), *sys.argv])  # noqa: S606
        raise


def _local_run_environment() -> None:
    """Variables of the last `make run`, for those not set in the environment (which wins)."""
    path = Path(os.environ.get("VAR_DIR") or ROOT / "var") / LOCAL_RUN_FILE
    if not path.is_file():
        return
    for line in path.read_text().splitlines():
        name, sep, value = line.partition("=")
        if sep and not line.startswith("#"):
            os.environ.setdefault(name.strip(), value.strip())


def main() -> None:
    _venv_python()
    if os.environ.get("DJANGO_SETTINGS_MODULE", "config.settings") == "config.settings":
        _local_run_environment()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    from django.core.management import execute_from_command_line

    execute_from_command_line(sys.argv)


if __name__ == "__main__":
    main()
