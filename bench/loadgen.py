"""A lean HTTP/1.1 load generator: separate processes, each an asyncio loop over keep-alive
connections sending pre-built requests, so the client spends as little CPU per request as a
Python client can (no HTTP library, no request building while measuring).

Every connection sends its next request as soon as the previous answer is read (closed loop);
latency is from write to the last body byte.
"""

from __future__ import annotations

import asyncio
import pickle
import subprocess
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


@dataclass
class LoadResult:
    requests: int = 0  # answered within the measured window
    seconds: float = 0.0
    latencies_ms: list[float] = field(default_factory=list)
    statuses: Counter = field(default_factory=Counter)
    errors: int = 0  # connection errors

    @property
    def rate(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0


def http_request(
    method: str, path: str, *, host: str, body: bytes = b"", headers: dict[str, str] | None = None
) -> bytes:
    lines = [f"{method} {path} HTTP/1.1", f"Host: {host}"]
    lines += [f"{name}: {value}" for name, value in (headers or {}).items()]
    if body or method in ("POST", "PUT", "PATCH"):
        lines.append(f"Content-Length: {len(body)}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + body


def run_load(
    *,
    port: int,
    requests: list[bytes],
    seconds: float,
    warmup: float,
    connections: int,
    processes: int,
) -> LoadResult:
    """Play `requests` round-robin (each process its own slice) for warmup + seconds; only
    answers that finish inside the measured window count."""
    start_at = time.time() + 1.0  # every process starts together
    children = []
    with tempfile.TemporaryDirectory(prefix="loadgen-") as folder:
        for i in range(processes):
            job = Path(folder) / f"job-{i}.pickle"
            job.write_bytes(
                pickle.dumps(
                    (
                        port,
                        requests[i::processes],
                        start_at,
                        warmup,
                        seconds,
                        max(1, connections // processes),
                    )
                )
            )
            children.append(
                (job, subprocess.Popen([sys.executable, "-m", "bench.loadgen", str(job)], cwd=ROOT))
            )
        total = LoadResult(seconds=seconds)
        for job, child in children:
            if child.wait(timeout=warmup + seconds + 60) != 0:
                raise RuntimeError(f"load generator exited with {child.returncode}")
            part = pickle.loads(job.with_suffix(".result").read_bytes())
            total.requests += part["requests"]
            total.latencies_ms += part["latencies_ms"]
            total.statuses.update(part["statuses"])
            total.errors += part["errors"]
    return total


def _main(job: Path) -> None:
    result = asyncio.run(_load(*pickle.loads(job.read_bytes())))
    # Plain data: run as __main__, this module's classes would not unpickle in the parent.
    job.with_suffix(".result").write_bytes(
        pickle.dumps(vars(result) | {"statuses": dict(result.statuses)})
    )


async def _load(port, requests, start_at, warmup, seconds, connections) -> LoadResult:
    await asyncio.sleep(max(0.0, start_at - time.time()))
    clock = time.perf_counter
    began = clock()
    measure_from, measure_to = began + warmup, began + warmup + seconds
    result = LoadResult(seconds=seconds)
    count = len(requests)
    cursor = [0]

    async def connection(offset: int) -> None:
        reader = writer = None
        while clock() < measure_to:
            try:
                if writer is None:
                    reader, writer = await asyncio.open_connection("127.0.0.1", port)
                index = cursor[0] = (cursor[0] + 1) % count
                sent = clock()
                writer.write(requests[(index + offset) % count])
                status, keep = await _read_response(reader)
                done = clock()
            except (OSError, asyncio.IncompleteReadError, ValueError):
                result.errors += 1
                writer = None
                await asyncio.sleep(0.05)
                continue
            if measure_from <= done <= measure_to:
                result.requests += 1
                result.statuses[status] += 1
                result.latencies_ms.append((done - sent) * 1000)
            if not keep:
                writer.close()
                writer = None
        if writer is not None:
            writer.close()

    await asyncio.gather(*(connection(i) for i in range(connections)))
    return result


async def _read_response(reader: asyncio.StreamReader) -> tuple[int, bool]:
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split(" ", 2)[1])
    length, keep = 0, True
    for line in lines[1:]:
        name, _, value = line.partition(":")
        name = name.strip().lower()
        if name == "content-length":
            length = int(value)
        elif name == "connection" and value.strip().lower() == "close":
            keep = False
        elif name == "transfer-encoding" and "chunked" in value.lower():
            await _read_chunked(reader)
            return status, keep
    if length:
        await reader.readexactly(length)
    return status, keep


async def _read_chunked(reader: asyncio.StreamReader) -> None:
    while True:
        size = int((await reader.readuntil(b"\r\n")).split(b";")[0], 16)
        await reader.readexactly(size + 2)
        if size == 0:
            return


if __name__ == "__main__":
    _main(Path(sys.argv[1]))
