"""A real headless Chromium for checking the kit's HTML pages: the DOM after rendering, or a screenshot. Found (or
installed, as root) by toolchain/chromium.sh; a test is skipped, saying how to get one, when there is none."""

from __future__ import annotations

import subprocess
import tempfile
from pathlib import Path

import pytest

from .toolchain import ROOT

# Headless, no sandbox (root in a container), nothing that talks to the network or a profile of the user's.
FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync")


def chromium() -> str:
    found = subprocess.run([str(ROOT / "toolchain/chromium.sh")], capture_output=True, text=True)
    if found.returncode != 0:
        pytest.skip(f"no headless Chromium: {found.stderr.strip()} (.ci/run installs it)")
    return found.stdout.strip().splitlines()[-1]


def _run(page: Path, *args: str) -> str:
    with tempfile.TemporaryDirectory(prefix="schedkit-chromium-") as profile:
        result = subprocess.run([chromium(), *FLAGS, f"--user-data-dir={profile}", *args, page.resolve().as_uri()],
                                capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, f"chromium failed on {page}: {result.stderr[-2000:]}"
    return result.stdout


def rendered_dom(page: Path) -> str:
    """The document as Chromium rendered it (--dump-dom)."""
    return _run(page, "--dump-dom")


def screenshot(page: Path, png: Path, size: str = "1400,900") -> Path:
    _run(page, f"--window-size={size}", f"--screenshot={png}")
    return png
