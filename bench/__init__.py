"""Benchmarks: `make bench` (or `python -m bench.run`) runs bench/scenarios and prints one table."""
