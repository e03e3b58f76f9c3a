"""The fixed log-scale duration histogram the statistics rollups keep, and the error bound of its 95th percentile.

Bucket k (1-based, as PostgreSQL's width_bucket numbers them) holds the integer durations [BOUNDS[k-1], BOUNDS[k] - 1]
(the last one up to 2**31 - 1). The bounds are ceil(2**(i/8)): eight buckets per doubling. A bucket [a, b] is
represented by 2ab/(a+b), which is within (b-a)/(b+a) of every value in it; percentile_cont interpolates between two
values, so the estimate is within the same relative error of the exact percentile_cont(0.95).
"""

from __future__ import annotations

import math

INT_MAX = 2**31 - 1
STEPS_PER_DOUBLING = 8
BOUNDS: tuple[int, ...] = tuple(sorted({0, *(math.ceil(2 ** (i / STEPS_PER_DOUBLING)) for i in range(0, 31 * STEPS_PER_DOUBLING))}))
# (2**(1/8) - 1) / (2**(1/8) + 1): the largest relative error of a bucket's representative, rounded up.
P95_RELATIVE_ERROR = 0.0433


def bucket_of(duration_ms: int) -> int:
    """As scheduler_private.duration_bucket: 1-based index of the bucket holding the duration."""
    low, high = 0, len(BOUNDS)
    while low < high:  # number of bounds <= duration
        mid = (low + high) // 2
        if BOUNDS[mid] <= duration_ms:
            low = mid + 1
        else:
            high = mid
    return low


def bucket_range(bucket: int) -> tuple[int, int]:
    low = BOUNDS[bucket - 1]
    high = BOUNDS[bucket] - 1 if bucket < len(BOUNDS) else INT_MAX
    return low, high


def representative(bucket: int) -> float:
    low, high = bucket_range(bucket)
    return 0.0 if high == 0 else 2.0 * low * high / (low + high)


def bounds_literal() -> str:
    return "{" + ",".join(str(b) for b in BOUNDS) + "}"
