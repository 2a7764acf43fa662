"""Realistic log corpora the tests and the benchmarks generate (never checked in: they are large)."""
