"""The web stack's settings under the bench: ours, plus the bare baseline views in the URLs."""

from config.settings import *  # noqa: F403

ROOT_URLCONF = "bench.urls"
