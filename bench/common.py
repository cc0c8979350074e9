"""What every scenario shares: the row it reports, the context it runs in, and the table.

A scenario module `bench/scenarios/s<N>_<name>.py` defines `run(ctx: Context) -> list[Row]`.
It may set `REQUIRES = ("postgres", "redis")` (or a subset); a module without it is taken to
need both, and is skipped when they are not reachable.
"""

from __future__ import annotations

import math
import os
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


@dataclass
class Row:
    scenario: str  # e.g. "2 upload"
    name: str  # what was measured, e.g. "12 MP JPEG, ours"
    value: float
    unit: str  # "ms", "req/s", "MB", "calls/gen", ...
    baseline_name: str | None = None
    baseline_value: float | None = None
    higher_is_better: bool = False
    target: str | None = None  # human text, e.g. "≤ 100 ms and ≥ 2x naive"
    met: bool | None = None  # None when no target applies
    p50: float | None = None
    p99: float | None = None
    note: str = ""

    @property
    def ratio(self) -> float | None:
        """How many times better than the baseline (> 1 is better, whichever way is better)."""
        if self.baseline_value is None or math.isnan(self.value + self.baseline_value):
            return None
        better, worse = (
            (self.value, self.baseline_value)
            if self.higher_is_better
            else (self.baseline_value, self.value)
        )
        if worse == 0:
            return math.inf if better > 0 else None
        return better / worse


@dataclass
class Context:
    quick: bool
    database_url: str  # "" when PostgreSQL is not reachable
    redis_url: str  # "" when Redis is not reachable
    work_dir: Path  # a temp dir for media/var, removed after the run


def percentile(samples: list[float], q: float) -> float:
    """The q-th percentile (0 to 100) with linear interpolation between closest ranks."""
    if not samples:
        raise ValueError("percentile of no samples")
    if not 0 <= q <= 100:
        raise ValueError("q must be within 0..100")
    ordered = sorted(samples)
    position = (len(ordered) - 1) * q / 100
    low, high = math.floor(position), math.ceil(position)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def timed_ms(action: Callable[[], object], runs: int, *, warmup: int = 1) -> list[float]:
    """Wall-clock milliseconds of `runs` calls of `action`, after `warmup` untimed ones."""
    for _ in range(warmup):
        action()
    samples = []
    for _ in range(runs):
        start = time.perf_counter()
        action()
        samples.append((time.perf_counter() - start) * 1000)
    return samples


def error_row(scenario: str, error: BaseException) -> Row:
    """What a scenario that raised reports: a failed row carrying the error."""
    return Row(
        scenario=scenario,
        name="scenario crashed",
        value=math.nan,
        unit="",
        met=False,
        note=f"{type(error).__name__}: {error}"[:300],
    )


def django_env(ctx: Context) -> dict[str, str]:
    """Environment for our settings (in this process or a spawned one) on the bench's stack."""
    env = {
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "VAR_DIR": str(ctx.work_dir / "var"),
        "DATABASE_URL": ctx.database_url,
        "REDIS_URL": ctx.redis_url,
        "DJANGO_SECRET_KEY": "bench-secret-key-not-for-production",
        "SHOPIFY_API_KEY": "bench-client-id",
        "SHOPIFY_API_SECRET": "bench-client-secret",
        "PUBLIC_BASE_URL": "http://127.0.0.1:8000",
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "TOKEN_ENCRYPTION_KEY": os.environ.get(
            "TOKEN_ENCRYPTION_KEY", "bench-token-key-not-for-production"
        ),
        "SECURE_SSL_REDIRECT": "0",  # plain HTTP on loopback
    }
    return env


def django_setup(ctx: Context) -> None:
    """Set up Django in this process with `django_env(ctx)` (DEBUG off: no query log)."""
    import django
    from django.conf import settings

    if settings.configured:
        return
    os.environ.update(django_env(ctx))
    os.environ.pop("DJANGO_DEBUG", None)
    django.setup()


# --- the table ----------------------------------------------------------------------------
DASH, TIMES = "\u2013", "\u00d7"  # what the table prints for "none" and for "times"
COLUMNS = ("scenario", "measure", "value", "baseline", "ratio", "p50", "p99", "target", "met")


def _number(value: float | None) -> str:
    if value is None:
        return DASH
    if math.isnan(value):
        return "n/a"
    if value == 0 or abs(value) >= 100:
        return f"{value:,.0f}"
    if abs(value) >= 10:
        return f"{value:.1f}"
    if abs(value) >= 0.1:
        return f"{value:.2f}"
    return f"{value:.3g}"


def _ratio(ratio: float | None) -> str:
    if ratio is None:
        return DASH
    if math.isinf(ratio):
        return "∞"
    return (f"{ratio:.1f}" if ratio >= 1 else f"{ratio:.2g}") + TIMES


def _cells(row: Row) -> list[str]:
    unit = f" {row.unit}" if row.unit else ""
    if row.baseline_value is None:
        baseline = DASH
    elif math.isnan(row.baseline_value):
        baseline = "n/a"
    else:
        baseline = f"{_number(row.baseline_value)}{unit}"
        if row.baseline_name:
            baseline += f" ({row.baseline_name})"
    ratio = row.ratio
    met = {None: "", True: "✓", False: "✗"}[row.met]
    return [
        row.scenario,
        row.name,
        _number(row.value) + ("" if math.isnan(row.value) else unit),
        baseline,
        _ratio(ratio),
        _number(row.p50),
        _number(row.p99),
        row.target or "",
        met,
    ]


def format_table(rows: Iterable[Row]) -> str:
    """A plain-text table, one line per row; notes follow, numbered, under the table."""
    rows = list(rows)
    lines = [list(COLUMNS), *(_cells(row) for row in rows)]
    widths = [max(len(line[i]) for line in lines) for i in range(len(COLUMNS))]
    out = [
        "  ".join(cell.ljust(width) for cell, width in zip(line, widths, strict=True)).rstrip()
        for line in lines
    ]
    out.insert(1, "  ".join("-" * width for width in widths))
    out += _notes(rows)
    return "\n".join(out)


def markdown_table(rows: Iterable[Row]) -> str:
    rows = list(rows)
    out = ["| " + " | ".join(COLUMNS) + " |", "|" + "---|" * len(COLUMNS)]
    out += ["| " + " | ".join(c.replace("|", "\\|") for c in _cells(row)) + " |" for row in rows]
    notes = _notes(rows)
    return "\n".join(out + (["", *notes] if notes else []))


def _notes(rows: list[Row]) -> list[str]:
    return [f"- {row.scenario} / {row.name}: {row.note}" for row in rows if row.note]
