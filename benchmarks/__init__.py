"""Benchmarks: call overhead, load time and memory of every call path, as ratios to the raw call."""
