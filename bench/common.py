"""Shared by the benchmarks: a throwaway database deployed by the kit, tokens, and side-by-side timing."""

from __future__ import annotations

import contextlib
import statistics
import time
from typing import Callable, Iterator

from tests.support.cluster import Cluster
from tests.support.deploy import deployed_database


@contextlib.contextmanager
def bench_database(extra_config: dict[str, str] | None = None) -> Iterator:
    with deployed_database(Cluster.start(), "schedkit_bench", extra_config) as stack:
        yield stack


def side_by_side(measures: dict[str, Callable[[], float]], repetitions: int) -> dict[str, float]:
    """Median seconds of each measure, run interleaved (a, b, a, b, ...) so that machine noise hits all alike."""
    samples: dict[str, list[float]] = {name: [] for name in measures}
    for _ in range(repetitions):
        for name, measure in measures.items():
            samples[name].append(measure())
    return {name: statistics.median(values) for name, values in samples.items()}


def timed(action: Callable[[], object]) -> float:
    start = time.perf_counter()
    action()
    return time.perf_counter() - start


def verdict(ratio: float, target: float) -> str:
    return f"{ratio:5.2f}  (target <= {target:.2f}: {'met' if ratio <= target else 'NOT MET'})"
