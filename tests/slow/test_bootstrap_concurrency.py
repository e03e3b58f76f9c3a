"""Two checkouts bootstrapping at once against one empty cache (issue 17, item 4): both succeed, the toolchain is
built once, and no build writes over another's output.

Building the real Pulumi CLI takes many minutes on 2 cores, so `go` here is a stub on PATH: it records when each
build starts and ends (and whether another was running), and writes its output slowly, in two halves. Everything
else is the real toolchain/bootstrap.sh, run from two copies of the checkout with SCHEDKIT_CACHE_DIR pointing at
the same empty directory."""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
from pathlib import Path

from tests.support.toolchain import ROOT

STUB_GO = r"""#!/bin/bash
# Stub of `go` for the bootstrap test: `go build -o OUT PKG` and `go mod download -json MOD`.
state="$STUB_STATE"
if [ "$1" = build ]; then
  while [ $# -gt 0 ]; do [ "$1" = -o ] && out="$2"; shift; done
  if mkdir "$state/building" 2>/dev/null; then echo "start $out" >> "$state/log"; else echo "overlap $out" >> "$state/log"; fi
  printf '#!/bin/sh\n' > "$out"; sleep 0.5
  printf 'echo v3.274.1\n' >> "$out"; chmod +x "$out"
  echo "end $out" >> "$state/log"; rmdir "$state/building" 2>/dev/null
  exit 0
fi
if [ "$1 $2" = "mod download" ]; then
  printf '{"Dir": "%s"}\n' "$state/sdk"; exit 0
fi
echo "stub go: unexpected $*" >&2; exit 2
"""


def checkout(base: Path, name: str) -> Path:
    """A copy of what bootstrap.sh reads, and a virtualenv without pip that is already up to date."""
    root = base / name
    shutil.copytree(ROOT / "toolchain", root / "toolchain")
    shutil.copy(ROOT / "requirements.txt", root)
    shutil.copy(ROOT / "requirements-lint.txt", root)
    (root / "policy-pack").mkdir()
    shutil.copy(ROOT / "policy-pack/requirements.txt", root / "policy-pack")
    # The project's venv is keyed by requirements.txt and requirements-lint.txt together, the pack's by its own.
    for venv, requirements in ((".venv", ("requirements.txt", "requirements-lint.txt")),
                               ("policy-pack/.venv", ("policy-pack/requirements.txt",))):
        subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(root / venv)], check=True)
        digest = hashlib.sha256(b"".join((root / r).read_bytes() for r in requirements)).hexdigest()[:16]
        (root / venv / ".requirements.sha").write_text(digest + "\n")
    return root


def test_two_bootstraps_at_once_build_the_toolchain_once_and_both_succeed(tmp_path):
    state, stub_bin, cache = tmp_path / "state", tmp_path / "stub-bin", tmp_path / "cache"
    for d in (state / "sdk/python/cmd", state / "sdk/python/dist", stub_bin, cache):
        d.mkdir(parents=True)
    for helper in ("cmd/pulumi-language-python-exec", "dist/pulumi-resource-pulumi-python"):
        (state / "sdk/python" / helper).write_text("#!/bin/sh\n")
    (stub_bin / "go").write_text(STUB_GO)
    (stub_bin / "go").chmod(0o755)
    roots = [checkout(tmp_path, name) for name in ("a", "b")]
    env = {"PATH": f"{stub_bin}:/usr/bin:/bin", "HOME": str(tmp_path), "STUB_STATE": str(state),
           "SCHEDKIT_CACHE_DIR": str(cache)}
    runs = [subprocess.Popen(["bash", str(root / "toolchain/bootstrap.sh")], env=env, stdout=subprocess.PIPE,
                             stderr=subprocess.STDOUT, text=True) for root in roots]
    outputs = [run.communicate(timeout=120)[0] for run in runs]
    assert [run.returncode for run in runs] == [0, 0], outputs
    log = (state / "log").read_text().split("\n")
    assert not [line for line in log if line.startswith("overlap")], log
    built = sorted(Path(line.split(" ", 1)[1]).name for line in log if line.startswith("start"))
    # Each tool built once, into a temporary name of its own, then moved into place.
    assert built == ["actionlint", "pulumi", "pulumi-language-python"], log
    assert any("waiting for it" in out for out in outputs), outputs
    (toolchain,) = cache.glob("toolchain-*/bin")
    for tool in ("pulumi", "pulumi-language-python"):
        assert (toolchain / tool).read_text() == "#!/bin/sh\necho v3.274.1\n"
        assert os.access(toolchain / tool, os.X_OK)
    # actionlint in the same cache, under a key of its own (its pin and module), so bumping it rebuilds it alone.
    (lint_bin,) = cache.glob("actionlint-v*-*/bin")
    assert (lint_bin / "actionlint").read_text() == "#!/bin/sh\necho v3.274.1\n"
    for root in roots:
        assert (root / ".local/toolchain-bin").read_text().strip() == str(toolchain)
        assert (root / ".local/lint-bin").read_text().strip() == str(lint_bin)
