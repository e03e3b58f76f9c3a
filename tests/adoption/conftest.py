"""Fixtures of the adoption tests."""

from __future__ import annotations

import pytest

from tests.support.cluster import PROFILES, Cluster


@pytest.fixture(scope="module", params=PROFILES)
def profile_cluster(request) -> Cluster:
    """Each database profile in turn (postgres, supabase): a module's tests run once per profile."""
    return Cluster.start(request.param)
