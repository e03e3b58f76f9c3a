"""Which hypothesis profile a run uses: HYPOTHESIS_PROFILE, else `ci` when CI is true (CI=true, 1 or yes; CI=false or
an empty CI is a developer's run), else `default`."""

from __future__ import annotations

import os


def hypothesis_profile() -> str:
    explicit = os.environ.get("HYPOTHESIS_PROFILE")
    if explicit:
        return explicit
    return "ci" if os.environ.get("CI", "").strip().lower() in ("true", "1", "yes") else "default"
