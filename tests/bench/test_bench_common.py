"""The bench's shared pieces: ratios point the right way, percentiles interpolate, the table
prints rows without a baseline, and scenarios are picked by number."""

import math

import pytest

from bench.common import DASH, TIMES, Row, error_row, format_table, markdown_table, percentile
from bench.run import _scenarios


def test_the_ratio_says_how_many_times_better_when_lower_is_better():
    row = Row("2 upload", "ours", 50.0, "ms", "naive", 200.0)

    assert row.ratio == pytest.approx(4.0)


def test_the_ratio_says_how_many_times_better_when_higher_is_better():
    row = Row("1 proxy", "ours", 300.0, "req/s", "floor", 600.0, higher_is_better=True)

    assert row.ratio == pytest.approx(0.5)


def test_there_is_no_ratio_without_a_baseline_or_a_figure():
    assert Row("6", "render", 120.0, "ms").ratio is None
    assert Row("2", "heic vs libvips", 120.0, "ms", "libvips", math.nan).ratio is None
    assert error_row("3 in flight", RuntimeError("boom")).ratio is None


def test_a_zero_figure_against_a_baseline_is_infinitely_better():
    assert Row("5", "calls", 0.0, "calls/gen", "no cache", 1.0).ratio == math.inf


def test_percentiles_interpolate_between_ranks():
    samples = [float(n) for n in range(100, 0, -1)]  # unsorted on purpose

    assert percentile(samples, 50) == pytest.approx(50.5)
    assert percentile(samples, 99) == pytest.approx(99.01)
    assert percentile(samples, 0) == 1.0
    assert percentile(samples, 100) == 100.0
    assert percentile([7.0], 99) == 7.0


def test_a_percentile_needs_samples_and_a_q_within_range():
    with pytest.raises(ValueError):
        percentile([], 50)
    with pytest.raises(ValueError):
        percentile([1.0], 101)


def test_the_table_prints_a_row_without_a_baseline_and_a_missed_target():
    rows = [
        Row("6 local engine", "render", 412.0, "ms", target="≤ 300 ms", met=False, note="busy"),
        Row("2 upload", "ours", 80.0, "ms", "naive", 240.0, target="≤ 100 ms", met=True, p50=80.0),
    ]

    lines = format_table(rows).splitlines()

    header, _, missing, full, note = lines
    assert header.split()[:3] == ["scenario", "measure", "value"]
    assert "412 ms" in missing and "✗" in missing and DASH in missing
    assert "240 ms (naive)" in full and f"3.0{TIMES}" in full and "✓" in full
    assert note == "- 6 local engine / render: busy"
    # Columns line up: every cell of the value column starts where its header does.
    start = header.index("value")
    assert missing[start:].startswith("412 ms") and full[start:].startswith("80.0 ms")


def test_the_markdown_table_has_a_line_per_row_and_escapes_pipes():
    text = markdown_table([Row("5", "a|b", 0.004, "calls/gen", "no cache", 1.0)])

    lines = text.splitlines()
    assert len(lines) == 3
    assert "a\\|b" in lines[2] and "0.004 calls/gen" in lines[2]


def test_scenarios_are_picked_by_number_in_order():
    picked = _scenarios("s6,s2")

    assert picked == ["s2_upload", "s6_local_engine"]
    with pytest.raises(SystemExit):
        _scenarios("s99")
