"""The kit's plan for a target, as the tests read it: no database, no password (settings from placeholders)."""

from __future__ import annotations

from scheduler_kit.config import settings_from_mapping
from scheduler_kit.model import Planned, full_plan


def kit_plan(target: str = "postgres") -> list[Planned]:
    return full_plan(settings_from_mapping({"host": "unused", "target": target}, with_password=False))
