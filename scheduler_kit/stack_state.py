"""What an interrupted deploy leaves in a file backend, recognised before the next make target runs, and what a
failed `make up` tells the user.

    python -m scheduler_kit.stack_state preflight STACK        # before every make target that runs pulumi on STACK
    python -m scheduler_kit.stack_state explain EVENTS STACK   # after a failed `make up`, from its --event-log

- A lock held by a `pulumi` process that no longer runs on this machine (killed, Ctrl-C twice, a cancelled CI job):
  one line naming it and the command that frees it (Pulumi itself only says "locked by 1 lock(s)").
- An empty `<stack>.json.attrs` (a SIGKILL while the file backend wrote it: `failed to load checkpoint: EOF`, a known
  file-backend problem): the attributes file holds only the blob's metadata, and a missing one reads as none, so the
  empty file is removed and the line says so.
- A language host or dynamic provider of a killed CLI still running in this checkout: it may still commit the step
  it was applying; the line says to wait for it or stop it, and which process it is.
Only file backends (file://) are looked at; any other backend is left to Pulumi.
"""

from __future__ import annotations

import json
import os
import socket
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterable, Optional
from urllib.parse import unquote, urlparse

ROOT = Path(__file__).resolve().parents[1]
MUTATIONS = {"create", "update", "replace", "create-replacement", "delete", "delete-replaced"}
ORPHAN_MARKERS = ("pulumi-language-python", "pulumi-resource-pulumi-python", "pulumi.dynamic")


@dataclass(frozen=True)
class Lock:
    path: Path
    pid: int
    hostname: str
    timestamp: str


def backend_dir(url: Optional[str]) -> Optional[Path]:
    if not url or not url.startswith("file://"):
        return None
    return Path(unquote(urlparse(url).path)) / ".pulumi"


def project_name(root: Path = ROOT) -> str:
    for line in (root / "Pulumi.yaml").read_text().splitlines():
        if line.startswith("name:"):
            return line.split(":", 1)[1].strip()
    raise ValueError(f"{root / 'Pulumi.yaml'} has no `name:`")


def locks(backend: Path, project: str, stack: str) -> list[Lock]:
    found = []
    for path in sorted((backend / "locks" / "organization" / project / stack).glob("*.json")):
        try:
            content = json.loads(path.read_text() or "{}")
        except (OSError, ValueError):
            content = {}
        found.append(Lock(path, int(content.get("pid") or 0), str(content.get("hostname", "")),
                          str(content.get("timestamp", ""))))
    return found


def pulumi_runs(pid: int) -> bool:
    """Whether `pid` is a running pulumi CLI on this machine (a reused pid running something else is not)."""
    try:
        return Path(f"/proc/{pid}/comm").read_text().strip() == "pulumi"
    except OSError:
        return False


def stale_locks(backend: Path, project: str, stack: str, hostname: str = socket.gethostname(),
                runs: Callable[[int], bool] = pulumi_runs) -> list[Lock]:
    return [lock for lock in locks(backend, project, stack) if lock.hostname == hostname and not runs(lock.pid)]


def empty_attributes(backend: Path, project: str, stack: str) -> list[Path]:
    folder = backend / "stacks" / project
    return [p for p in (folder / f"{stack}.json.attrs", folder / f"{stack}.json.bak.attrs")
            if p.exists() and p.stat().st_size == 0]


def _processes() -> Iterable[tuple[int, str, str]]:
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
            yield int(entry.name), cmdline, os.readlink(entry / "cwd")
        except OSError:
            continue


def orphans(root: Path = ROOT, processes: Callable[[], Iterable[tuple[int, str, str]]] = _processes) -> list[tuple[int, str]]:
    """Language hosts and providers working in this checkout while no pulumi CLI runs here: a killed CLI's."""
    running = list(processes())
    here = [(pid, cmd, cwd) for pid, cmd, cwd in running if Path(cwd) == root]
    if any(cmd.split(" ", 1)[0].endswith("/pulumi") or cmd.split(" ", 1)[0] == "pulumi" for _, cmd, _ in here):
        return []
    return [(pid, cmd) for pid, cmd, _ in here if any(marker in cmd for marker in ORPHAN_MARKERS)]


def preflight(stack: str, backend: Optional[Path], root: Path = ROOT, out=sys.stderr, **checks) -> int:
    """0 when the stack can be used; prints one line per finding. Repairs the empty attributes file itself."""
    if backend is None:
        return 0
    project = project_name(root)
    status = 0
    for path in empty_attributes(backend, project, stack):
        path.unlink()
        print(f"stack {stack}: removed {path}, which an interrupted pulumi left empty (it made every command fail "
              "with `failed to load checkpoint: EOF`); the checkpoint itself is intact", file=out)
    for lock in stale_locks(backend, project, stack, **checks):
        print(f"stack {stack} is locked by pulumi process {lock.pid} (since {lock.timestamp}), which no longer runs "
              f"on this machine: free it with `. toolchain/env.sh && pulumi cancel --yes --stack {stack}`, "
              "then run the make target again", file=out)
        status = 1
    for pid, command in orphans(root):
        print(f"a process of an interrupted deploy still runs in this checkout (pid {pid}: {command[:80]}); it may "
              f"still commit the step it was applying: wait for it to exit, or stop it with `kill {pid}`, then run "
              "the make target again", file=out)
        status = 1
    return status


def explain(events: Path, stack: str) -> list[str]:
    """The last lines of a failed up: what was applied, what failed, and how to finish."""
    applied, failed = [], []
    try:
        lines = events.read_text().splitlines()
    except OSError:
        lines = []
    for line in lines:
        try:
            event = json.loads(line)
        except ValueError:
            continue
        for key, into in (("resOutputsEvent", applied), ("resOpFailedEvent", failed)):
            metadata = (event.get(key) or {}).get("metadata") or {}
            if metadata.get("op") in MUTATIONS and metadata.get("type", "").startswith("pulumi-python:dynamic"):
                into.append(f"{metadata['op']} {metadata['urn'].rsplit('::', 1)[-1]}")
    summary = [f"The deploy of stack {stack} stopped before the end."]
    summary.append(f"Applied and recorded in the state: {len(applied)} change(s)"
                   + (f", the last: {applied[-1]}." if applied else "."))
    if failed:
        summary.append(f"Not applied: {', '.join(failed)} (rolled back: each object is one transaction), and every "
                       "step after it.")
    else:
        summary.append("Not applied: every step after that one.")
    summary.append("Every object is private from its first statement, so nothing is open in between. Fix the "
                   f"error above, then `make up STACK={stack}` finishes it (`make preview STACK={stack}` shows what "
                   "is left).")
    return summary


def main(argv: list[str]) -> int:
    if len(argv) >= 2 and argv[0] == "preflight":
        return preflight(argv[1], backend_dir(os.environ.get("PULUMI_BACKEND_URL")))
    if len(argv) >= 3 and argv[0] == "explain":
        print("\n".join(explain(Path(argv[1]), argv[2])), file=sys.stderr)
        return 0
    print(__doc__.split("\n\n")[1], file=sys.stderr)
    return 2


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
