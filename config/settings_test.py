"""The test suite's settings: the real ones, with test data kept apart from `make run`'s."""

import os
from pathlib import Path

os.environ.setdefault("VAR_DIR", str(Path(__file__).resolve().parent.parent / "var" / "test"))
os.environ.setdefault("DJANGO_DEBUG", "1")

from config.settings import *  # noqa: F403

# A queue of its own, so the suite can purge it without touching a `make run` worker's queue.
CELERY_TASK_DEFAULT_QUEUE = "fittingroom-test"
