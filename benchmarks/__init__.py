"""Benchmarks on real speech: each module runs as ``python -m benchmarks.<name>``.

Every benchmark prints its figures and their ratio to a baseline measured in the same
run; none of them asserts on time (``benchmarks/README.md`` describes each).
"""
