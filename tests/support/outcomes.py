"""How far an observed outcome lets an actor in, and what an upgrade may never take away between two steps (used by
tests/slow/test_deploy_stops.py; pure, so tests/fast/test_upgrade_losses.py shows the check can fail)."""

from __future__ import annotations

# How far an outcome lets an actor in: a stop may never rank above the finished deployment's outcome.
RANK = {"absent": 0, "denied": 0, "refused": 0, "rejected": 0, "policy": 1, "zero": 1, "invalid": 2, "some": 2,
        "rows": 3}


def losses(seen: dict, before: dict, final: dict) -> list[str]:
    """What `seen` takes away that both the release upgraded from and the finished upgrade grant: an upgrade of a
    running service must never leave it, even between two steps, with less than both ends allow."""
    found = []
    for obj, held in seen["acl"].items():
        missing = (before["acl"].get(obj, set()) & final["acl"][obj]) - held
        if missing:
            found.append(f"{obj}: {', '.join(f'{g} {p}' for g, p in sorted(missing))} taken away")
    for label, outcome in seen["sessions"].items():
        if RANK[outcome] < min(RANK[before["sessions"][label]], RANK[final["sessions"][label]]):
            found.append(f"session {label}: {outcome} (before {before['sessions'][label]}, "
                         f"finally {final['sessions'][label]})")
    return found
