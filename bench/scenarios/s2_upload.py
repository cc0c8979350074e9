"""2. Upload: a 12 MP phone photo (JPEG with EXIF orientation 6, and the same as HEIC) through
our normalisation (`fittingroom.images.processing.normalize_photo`, the work
`person_image_upload` does before it stores ~300 KB and inserts one row), against naive Pillow
(full decode, `exif_transpose`, Lanczos resize to the same size, save) and libvips `thumbnail`
(when pyvips imports).

Time: all variants in turn, in this process, warm. Memory: one upload in a fresh interpreter
per variant: peak resident memory (VmHWM) after the upload minus the same once everything is
imported: what the upload adds, native buffers included, which tracemalloc would miss.
"""

from __future__ import annotations

import io
import json
import logging
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import cv2
import numpy as np
import pillow_heif
from PIL import Image, ImageOps

from bench.common import ROOT, Context, Row, percentile
from fittingroom.images.processing import normalize_photo

REQUIRES: tuple[str, ...] = ()
SCENARIO = "2 upload"
MAX_SIDE, MAX_PIXELS = 1536, 50_000_000  # the defaults of UPLOAD_MAX_SIDE, UPLOAD_MAX_PIXELS
TIME_TARGET_MS, SPEEDUP_TARGET, MEMORY_TARGET_MB = 100.0, 2.0, 80.0
INPUTS, INPUTS_VERSION = ROOT / "var" / "bench" / "inputs", "v2"  # bump when they change
WIDTH, HEIGHT = 4000, 3000  # as the sensor stores it; orientation 6 shows it 3000 x 4000

Variant = Callable[[Path], bytes]


def ours(path: Path) -> bytes:
    with path.open("rb") as handle:
        return normalize_photo(handle, max_side=MAX_SIDE, max_pixels=MAX_PIXELS).jpeg


def naive_pillow(path: Path) -> bytes:
    with Image.open(path) as image:
        upright = ImageOps.exif_transpose(image).convert("RGB")
    scale = MAX_SIDE / max(upright.size)
    size = (round(upright.width * scale), round(upright.height * scale))
    out = io.BytesIO()
    upright.resize(size, Image.Resampling.LANCZOS).save(out, format="JPEG", quality=90)
    return out.getvalue()


def libvips(path: Path) -> bytes:
    import pyvips

    image = pyvips.Image.thumbnail(str(path), MAX_SIDE, height=MAX_SIDE, size="down")
    return image.write_to_buffer(".jpg", Q=90, keep="none")


def variants() -> dict[str, Variant]:
    found: dict[str, Variant] = {"ours": ours, "naive Pillow": naive_pillow}
    try:
        import pyvips  # noqa: F401
    except Exception:  # not installed, or libvips itself is missing
        return found
    found["libvips"] = libvips
    return found


def run(ctx: Context) -> list[Row]:
    pillow_heif.register_heif_opener()  # as the images app does at startup
    logging.getLogger("pyvips").setLevel(logging.CRITICAL)  # it logs every tile at INFO
    jpeg, heic = inputs()
    runs = (3, 2) if ctx.quick else (15, 5)  # a HEIC takes ~1 s to decode whatever we do
    rows = _rows("12 MP JPEG", jpeg, runs[0], time_target=True)
    return rows + _rows("12 MP HEIC", heic, runs[1], time_target=False)


def _rows(label: str, path: Path, runs: int, *, time_target: bool) -> list[Row]:
    size_mb = path.stat().st_size / 1e6
    samples, errors, cpu_ms = _timings(path, runs)
    memory = {name: _peak_mb(name, path) for name in samples}
    ours_ms, naive_ms = _median(samples["ours"]), _median(samples.get("naive Pillow"))
    target, met = None, None
    if time_target:
        target = f"≤ {TIME_TARGET_MS:.0f} ms and ≥ {SPEEDUP_TARGET:.0f}x naive"
        met = ours_ms <= TIME_TARGET_MS and naive_ms >= SPEEDUP_TARGET * ours_ms
    rows = [
        Row(
            SCENARIO,
            f"{label} ({size_mb:.1f} MB), ours",
            ours_ms,
            "ms",
            "naive Pillow",
            naive_ms,
            target=target,
            met=met,
            p50=percentile(samples["ours"], 50),
            p99=percentile(samples["ours"], 99),
            note=f"median of {runs}, variants in turn; CPU {cpu_ms:.0f} ms (all threads)",
        )
    ]
    if "libvips" in samples or "libvips" in errors:
        rows.append(
            Row(
                SCENARIO,
                f"{label}, ours vs libvips thumbnail",
                ours_ms,
                "ms",
                "libvips",
                _median(samples.get("libvips")),
                note=errors.get("libvips", ""),
            )
        )
    rows.append(
        Row(
            SCENARIO,
            f"{label}, peak memory per upload, ours",
            memory["ours"],
            "MB",
            "naive Pillow",
            memory.get("naive Pillow"),
            target=f"≤ {MEMORY_TARGET_MB:.0f} MB",
            met=memory["ours"] <= MEMORY_TARGET_MB,
            note="VmHWM delta, fresh process"
            + (f"; libvips {memory['libvips']:.0f} MB" if "libvips" in memory else ""),
        )
    )
    return rows


def _timings(path: Path, runs: int) -> tuple[dict[str, list[float]], dict[str, str], float]:
    """Milliseconds per variant, taking turns so that load from elsewhere hits all alike; the
    errors of variants that cannot read this format; our median CPU time (all threads)."""
    samples: dict[str, list[float]] = {}
    errors: dict[str, str] = {}
    candidates = variants()
    for name, variant in candidates.items():
        try:
            variant(path)  # warm-up, and a check that the variant handles this format
        except Exception as error:
            first_line = str(error).strip().splitlines()[0][:100]
            errors[name] = f"{name} failed: {type(error).__name__}: {first_line}"
        else:
            samples[name] = []
    if "ours" in errors:
        raise RuntimeError(errors["ours"])
    cpu: list[float] = []
    for _ in range(runs):
        for name in samples:
            start, start_cpu = time.perf_counter(), time.process_time()
            candidates[name](path)
            samples[name].append((time.perf_counter() - start) * 1000)
            if name == "ours":
                cpu.append((time.process_time() - start_cpu) * 1000)
    return samples, errors, statistics.median(cpu)


def _median(samples: list[float] | None) -> float:
    return statistics.median(samples) if samples else float("nan")


def _peak_mb(name: str, path: Path) -> float:
    out = subprocess.run(
        [sys.executable, "-m", "bench.scenarios.s2_upload", name, str(path)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    return json.loads(out.stdout.strip().splitlines()[-1])["peak_mb"]


# --- the inputs: deterministic, photo-like ------------------------------------------------
def photo_pixels(seed: int = 12) -> np.ndarray:
    """A 4000 x 3000 RGB array with what makes a photo compress like one: smooth light,
    shapes at several scales and sensor noise (~4 MB at JPEG quality 92)."""
    rng = np.random.default_rng(seed)

    def blobs(rows: int, columns: int, amplitude: float) -> np.ndarray:
        small = (rng.random((rows, columns, 3), dtype=np.float32) - 0.5) * amplitude
        return cv2.resize(small, (WIDTH, HEIGHT), interpolation=cv2.INTER_CUBIC)

    pixels = blobs(6, 8, 80)
    pixels += blobs(60, 80, 60)
    pixels += blobs(600, 800, 30)
    pixels += 60 + 90 * np.linspace(0, 1, HEIGHT, dtype=np.float32)[:, None, None]
    pixels += np.linspace(0, 40, WIDTH, dtype=np.float32)[None, :, None] * np.array(
        [1.0, 0.8, 0.6], np.float32
    )
    pixels += 5 * rng.standard_normal((HEIGHT, WIDTH, 1), dtype=np.float32)
    return np.clip(pixels, 0, 255, out=pixels).astype(np.uint8)


def inputs() -> tuple[Path, Path]:
    """The JPEG and the HEIC, made once (they are deterministic) and kept under var/bench."""
    folder = INPUTS
    jpeg, heic = folder / f"phone-{INPUTS_VERSION}.jpg", folder / f"phone-{INPUTS_VERSION}.heic"
    if not (jpeg.exists() and heic.exists()):
        folder.mkdir(parents=True, exist_ok=True)
        partial = Path(tempfile.mkdtemp(dir=folder))
        write_inputs(partial / jpeg.name, partial / heic.name)
        (partial / jpeg.name).replace(jpeg)  # whole files only, should two runs race
        (partial / heic.name).replace(heic)
        partial.rmdir()
    return jpeg, heic


def write_inputs(jpeg: Path, heic: Path) -> None:
    pillow_heif.register_heif_opener()
    image = Image.fromarray(photo_pixels())
    exif = Image.Exif()
    exif[0x0112] = 6  # the phone was held upright: rotate 90° clockwise to show
    exif[0x010F] = "BenchPhone"
    image.save(jpeg, format="JPEG", quality=92, exif=exif)
    # As phones write HEIC: 512 px tiles, the turn in HEIF's irot box and the EXIF tag beside
    # it (pillow-heif writes the box from the EXIF tag in `info`). The fastest x265 preset
    # keeps the bench short.
    image.info["exif"] = exif.tobytes()
    pillow_heif.options.GRID_TILE_SIZE = 512
    try:
        image.save(heic, format="HEIF", quality=50, exif=exif, enc_params={"preset": "ultrafast"})
    finally:
        pillow_heif.options.GRID_TILE_SIZE = 0


# --- the child process that measures one upload's memory -----------------------------------
def _peak_rss_kib() -> int:
    """This process's peak resident memory. VmHWM, not ru_maxrss: Linux carries ru_maxrss
    over from the parent across fork and exec, so a child of a big parent would read 0."""
    status = Path("/proc/self/status").read_text()
    return int(status.split("VmHWM:")[1].split()[0])


def _measure_child(name: str, path: Path) -> None:
    pillow_heif.register_heif_opener()
    logging.getLogger("pyvips").setLevel(logging.CRITICAL)
    variant = variants()[name]
    before = _peak_rss_kib()
    variant(path)
    print(json.dumps({"peak_mb": (_peak_rss_kib() - before) / 1024}))


if __name__ == "__main__":
    _measure_child(sys.argv[1], Path(sys.argv[2]))
