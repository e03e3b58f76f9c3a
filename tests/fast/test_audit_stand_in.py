"""Which stand-ins for authenticator the next audit may drop: never one whose audit may still be running."""

import json
from datetime import datetime, timedelta, timezone

import pytest

from tests.support.audit_stand_in import StandInRow

NOW = datetime(2026, 12, 1, 10, 0, tzinfo=timezone.utc)


def record(created: datetime, budget: float) -> str:
    return json.dumps({"created_at": created.isoformat(), "budget_s": budget, "host": "ci", "pid": 1})


def row(valid_until=None, comment=None, has_session=False):
    return StandInRow("schedkit_audit_0123abcd", valid_until, comment, has_session, NOW)


@pytest.mark.parametrize("stand_in, why", [
    (row(NOW - timedelta(seconds=1), record(NOW - timedelta(minutes=30), 600)), "expired at"),
    # Not expired yet (a long margin), but older than its audit's budget and unused: its run is over.
    (row(NOW + timedelta(minutes=5), record(NOW - timedelta(minutes=20), 600)), "older than its audit's budget of 600 s"),
    (row(None, None), "made before stand-ins expired"),
])
def test_stale(stand_in, why):
    assert why in stand_in.stale_because()


@pytest.mark.parametrize("stand_in", [
    row(NOW + timedelta(minutes=25), record(NOW - timedelta(minutes=5), 1200)),  # a running audit between tests
    row(NOW - timedelta(seconds=1), record(NOW - timedelta(hours=1), 600), has_session=True),  # still connected
    row(None, None, has_session=True),
    row(NOW + timedelta(minutes=5), "not a record"),  # not ours to judge before it expires
])
def test_kept(stand_in):
    assert stand_in.stale_because() is None
