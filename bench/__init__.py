"""Benchmarks: each stage's figure beside a baseline measured in the same run."""
