"""Moved to scheduler_kit/local_cluster.py (`make review` deploys into it too); re-exported for the tests."""

from scheduler_kit.local_cluster import PROFILES, Cluster, selected_profile  # noqa: F401
