"""Benchmarks (make bench): numbers to report, never timed unit tests."""
