"""Which hypothesis profile a test run uses: HYPOTHESIS_PROFILE when set, else `ci` when CI says true (true, 1 or
yes, as CI services set it), else `default`. CI=false, CI=0 or an empty CI is a developer's run."""

from __future__ import annotations

import os
from typing import Mapping

CI_TRUE = frozenset({"true", "1", "yes"})


def hypothesis_profile(environ: Mapping[str, str] = os.environ) -> str:
    explicit = environ.get("HYPOTHESIS_PROFILE", "").strip()
    if explicit:
        return explicit
    return "ci" if environ.get("CI", "").strip().lower() in CI_TRUE else "default"
