"""`python -m bench.run [--only s2,s6] [--quick]`: every scenario, then one table.

PostgreSQL and Redis come from DATABASE_URL / REDIS_URL when set (used as they are: migrated,
never dropped or flushed); else a `fittingroom_bench` database on 127.0.0.1:5432, dropped and
recreated each run, and Redis db 15 on 127.0.0.1:6379, flushed at the start (the bench's own).
Scenarios needing a server that is not reachable are skipped and say so. The table also goes to
`$VAR_DIR/bench/last.md` (default `var/bench/last.md`). Exit code 0 even when targets are
missed: the table says so.
"""

from __future__ import annotations

import argparse
import importlib
import os
import platform
import re
import shutil
import sys
import tempfile
import time
import traceback
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlparse, urlunparse

from bench.common import ROOT, Context, Row, django_setup, error_row, format_table, markdown_table

DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/fittingroom_bench"
DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/15"
SCENARIOS = ROOT / "bench" / "scenarios"


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    modules = _scenarios(args.only)
    results = Path(os.environ.get("VAR_DIR") or ROOT / "var") / "bench" / "last.md"
    work_dir = Path(tempfile.mkdtemp(prefix="fittingroom-bench-"))
    try:
        ctx = Context(
            quick=args.quick,
            database_url=_database(),
            redis_url=_redis(),
            work_dir=work_dir,
        )
        header = _header(ctx)
        print("\n".join(header), flush=True)
        django_setup(ctx)
        _migrate(ctx)
        rows = [row for name in modules for row in _run_one(name, ctx)]
    finally:
        shutil.rmtree(work_dir, ignore_errors=True)
    print()
    print(format_table(rows))
    _write_markdown(results, header, rows)
    return 0


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m bench.run", description=__doc__)
    parser.add_argument("--only", default="", help="comma-separated scenarios, e.g. s2,s6")
    parser.add_argument("--quick", action="store_true", help="a few runs each: a smoke test")
    return parser


def _scenarios(only: str) -> list[str]:
    """Module names `s<N>_<name>`, by N; `only` keeps those named `s<N>` or in full."""
    found = sorted(
        (int(match[1]), path.stem)
        for path in SCENARIOS.glob("s*_*.py")
        if (match := re.match(r"s(\d+)_", path.stem))
    )
    wanted = {name.strip() for name in only.split(",") if name.strip()}
    names = [stem for _, stem in found]
    if wanted:
        unknown = wanted - {stem.split("_")[0] for stem in names} - set(names)
        if unknown:
            raise SystemExit(f"unknown scenarios: {', '.join(sorted(unknown))}")
        names = [stem for stem in names if stem in wanted or stem.split("_")[0] in wanted]
    return names


def _run_one(name: str, ctx: Context) -> list[Row]:
    label = name.split("_", 1)[0][1:] + " " + name.split("_", 1)[1].replace("_", " ")
    try:
        module = importlib.import_module(f"bench.scenarios.{name}")
    except Exception as error:
        return [error_row(label, error)]
    label = getattr(module, "SCENARIO", label)
    requires = getattr(module, "REQUIRES", ("postgres", "redis"))
    missing = [
        server
        for server, url in (("postgres", ctx.database_url), ("redis", ctx.redis_url))
        if server in requires and not url
    ]
    if missing:
        print(f"{name}: skipped, needs {' and '.join(missing)}", file=sys.stderr, flush=True)
        return [Row(label, "skipped", float("nan"), "", note=f"needs {' and '.join(missing)}")]
    print(f"{name}: running…", file=sys.stderr, flush=True)
    start = time.monotonic()
    try:
        rows = list(module.run(ctx))
    except Exception as error:
        traceback.print_exc()  # the row carries the message; the trace goes to stderr
        rows = [error_row(label, error)]
    print(f"{name}: {time.monotonic() - start:.1f} s", file=sys.stderr, flush=True)
    return rows


# --- the stack ----------------------------------------------------------------------------
def _database() -> str:
    """The bench database's URL, created and empty when it is the default; "" if unreachable."""
    import psycopg

    given = os.environ.get("DATABASE_URL", "")
    url = given or DEFAULT_DATABASE_URL
    try:
        if not given:
            name = urlparse(url).path.lstrip("/")
            server = urlunparse(urlparse(url)._replace(path="/postgres"))
            with psycopg.connect(server, autocommit=True, connect_timeout=3) as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
                conn.execute(f'CREATE DATABASE "{name}"')
        with psycopg.connect(url, connect_timeout=3) as conn:
            conn.execute("SELECT 1")
    except psycopg.Error as error:
        print(f"PostgreSQL not reachable at {_safe(url)}: {error}".strip(), file=sys.stderr)
        return ""
    return url


def _migrate(ctx: Context) -> None:
    """Migrate the bench database; one that cannot be migrated counts as unreachable."""
    if not ctx.database_url:
        return
    from django.core.management import call_command
    from django.db import DatabaseError, connections

    try:
        call_command("migrate", verbosity=0)
    except DatabaseError as error:
        print(f"PostgreSQL: migrate failed: {error}".strip(), file=sys.stderr)
        ctx.database_url = ""
    finally:
        connections.close_all()


def _redis() -> str:
    import redis

    given = os.environ.get("REDIS_URL", "")
    url = given or DEFAULT_REDIS_URL
    try:
        client = redis.Redis.from_url(url, socket_connect_timeout=3)
        client.ping()
        if not given:
            client.flushdb()  # db 15 is the bench's own
    except redis.RedisError as error:
        print(f"Redis not reachable at {_safe(url)}: {error}", file=sys.stderr)
        return ""
    return url


def _safe(url: str) -> str:
    """The URL without its password, for messages."""
    parts = urlparse(url)
    if parts.password:
        parts = parts._replace(netloc=parts.netloc.replace(f":{parts.password}@", ":***@"))
    return urlunparse(parts)


# --- the header: where and when ------------------------------------------------------------
def _header(ctx: Context) -> list[str]:
    cpu = _first(Path("/proc/cpuinfo"), r"model name\s*:\s*(.+)") or platform.processor()
    mem_kb = _first(Path("/proc/meminfo"), r"MemTotal:\s*(\d+) kB")
    ram = f"{int(mem_kb) / 1024**2:.1f} GiB" if mem_kb else "?"
    load = " ".join(f"{value:.2f}" for value in os.getloadavg())
    return [
        f"fittingroom bench · {datetime.now(UTC):%Y-%m-%d %H:%M} UTC"
        + (" · quick" if ctx.quick else ""),
        f"machine: {os.cpu_count()} CPUs ({cpu}), {ram} RAM, load average {load}",
        f"Python {platform.python_version()} · PostgreSQL {_postgres_version(ctx)} · "
        f"Redis {_redis_version(ctx)} · {_image_libraries()}",
    ]


def _first(path: Path, pattern: str) -> str | None:
    try:
        match = re.search(pattern, path.read_text())
    except OSError:
        return None
    return match[1].strip() if match else None


def _postgres_version(ctx: Context) -> str:
    if not ctx.database_url:
        return "not reachable"
    import psycopg

    try:
        with psycopg.connect(ctx.database_url, connect_timeout=3) as conn:
            return conn.execute("SHOW server_version").fetchone()[0].split()[0]
    except psycopg.Error:
        return "?"


def _redis_version(ctx: Context) -> str:
    if not ctx.redis_url:
        return "not reachable"
    import redis

    try:
        return redis.Redis.from_url(ctx.redis_url).info("server")["redis_version"]
    except redis.RedisError:
        return "?"


def _image_libraries() -> str:
    import PIL

    found = [f"Pillow {PIL.__version__}"]
    try:
        import pyvips

        found.append(f"libvips {pyvips.version(0)}.{pyvips.version(1)}.{pyvips.version(2)}")
    except Exception:  # not installed, or its shared library is missing
        found.append("no libvips")
    return ", ".join(found)


def _write_markdown(path: Path, header: list[str], rows: list[Row]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    lines = [f"{line}  " for line in header]
    path.write_text("\n".join([*lines, "", markdown_table(rows), ""]))
    print(f"\nwritten to {path}")


if __name__ == "__main__":
    sys.exit(main())
