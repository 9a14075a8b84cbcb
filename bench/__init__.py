"""Benchmarks and reliability harnesses (run outside `make test`)."""
