"""The duration histogram's buckets and the documented error bound of the 95th percentile it gives."""

from __future__ import annotations

import random

from scheduler_kit.duration_histogram import BOUNDS, INT_MAX, P95_RELATIVE_ERROR, bucket_of, bucket_range, representative


def test_buckets_cover_every_duration_once():
    assert BOUNDS[0] == 0 and list(BOUNDS) == sorted(set(BOUNDS)) and BOUNDS[-1] <= INT_MAX
    for k in range(1, len(BOUNDS) + 1):
        low, high = bucket_range(k)
        assert low <= high and bucket_of(low) == k and bucket_of(high) == k
        if k < len(BOUNDS):
            assert bucket_range(k + 1)[0] == high + 1


def test_every_value_is_within_the_documented_error_of_its_bucket_value():
    worst = max((bucket_range(k)[1] - bucket_range(k)[0]) / (bucket_range(k)[1] + bucket_range(k)[0])
                for k in range(2, len(BOUNDS) + 1))
    assert worst <= P95_RELATIVE_ERROR < worst + 1e-4  # the bound is tight, not generous
    rng = random.Random(7)
    for value in [0, 1, 2, 3, 17, 1000, 4999, INT_MAX] + [rng.randrange(INT_MAX) for _ in range(2000)]:
        estimate = representative(bucket_of(value))
        assert abs(estimate - value) <= P95_RELATIVE_ERROR * value


def test_small_durations_are_exact():
    assert all(representative(bucket_of(v)) == v for v in range(0, 16))
