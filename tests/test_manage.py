"""`manage.py` in local mode: after `make run` the README's commands work as printed, reading the
local run's settings from var/local-run.env; without that file (production) a missing secret
still stops every command."""

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import ROOT

VENV_PYTHON = ROOT / ".venv" / "bin" / "python"
# Variables a developer's shell (or CI) may carry that would decide the mode for the command.
MODE_VARIABLES = ("DJANGO_DEBUG", "DJANGO_SECRET_KEY", "DJANGO_SETTINGS_MODULE", "PORT")


def manage(*args: str, var_dir: Path, python: str = str(VENV_PYTHON), **env: str):
    environment = {k: v for k, v in os.environ.items() if k not in MODE_VARIABLES}
    environment |= {"VAR_DIR": str(var_dir), **env}
    return subprocess.run(
        [python, "manage.py", *args],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
    )


def write_local_run(var_dir: Path, **values: str) -> None:
    var_dir.mkdir(parents=True, exist_ok=True)
    lines = ["# Written by make run (bin/run-local); read by manage.py."]
    lines += [f"{name}={value}" for name, value in values.items()]
    (var_dir / "local-run.env").write_text("\n".join(lines) + "\n")


def test_without_a_local_run_file_a_command_refuses_to_start_without_secrets(tmp_path):
    result = manage("check", var_dir=tmp_path)

    assert result.returncode != 0
    assert "Set the environment variable DJANGO_SECRET_KEY" in result.stderr


def test_after_make_run_a_command_runs_in_local_mode(tmp_path):
    write_local_run(tmp_path, DJANGO_DEBUG="1", PORT="8123")

    result = manage(
        "shell",
        "-c",
        "from django.conf import settings; print(settings.DEBUG, settings.PORT)",
        var_dir=tmp_path,
    )

    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1] == "True 8123"


def test_the_environment_wins_over_the_local_run_file(tmp_path):
    write_local_run(tmp_path, DJANGO_DEBUG="1")

    result = manage("check", var_dir=tmp_path, DJANGO_DEBUG="0")

    assert result.returncode != 0
    assert "DJANGO_SECRET_KEY" in result.stderr


def test_a_python_without_django_hands_the_command_to_the_projects_venv(tmp_path):
    bare = shutil.which("python3.11") or sys.base_exec_prefix + "/bin/python3"
    has_django = subprocess.run([bare, "-c", "import django"], capture_output=True).returncode == 0
    if has_django:
        pytest.skip(f"{bare} has Django installed: nothing to hand over")
    write_local_run(tmp_path, DJANGO_DEBUG="1")

    result = manage("check", var_dir=tmp_path, python=bare)

    assert result.returncode == 0, result.stderr
    assert "System check identified no issues" in result.stdout
