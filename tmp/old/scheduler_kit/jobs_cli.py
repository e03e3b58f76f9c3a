"""Command line for jobs.yaml, for people and for CI.

    python -m scheduler_kit.jobs_cli validate [FILE]            # problems, or each schedule in words + next runs
    python -m scheduler_kit.jobs_cli summary [FILE] [--stack S] # Markdown: what a deploy would do to the jobs

Exit status: 0 valid / summary printed, 1 invalid file, 2 usage.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from datetime import datetime, timezone
from typing import Any, Optional

from .jobs_file import JobDefinition, JobsFileError, describe_schedule, load_jobs

FIELDS = ("display_name", "description", "cron", "enabled", "service", "endpoint", "config")


def _schedule(cron: str) -> str:
    words, _ = describe_schedule(cron, count=0)
    return f"`{cron}` ({words}, UTC)"


def _value(field: str, value: Any) -> str:
    if field == "cron":
        return _schedule(value)
    if field == "config":
        return f"`{json.dumps(value, sort_keys=True, ensure_ascii=False)}`"
    return "—" if value is None else f"`{value}`"


def summarize(deployed: dict[str, dict], jobs: list[JobDefinition], stack: str) -> str:
    """Markdown describing what reconciling `jobs` into a stack whose last deploy had `deployed` will do."""
    wanted = {job.name: job.as_dict() for job in jobs}
    added = sorted(set(wanted) - set(deployed))
    removed = sorted(set(deployed) - set(wanted))
    changed = {
        name: [f for f in FIELDS if deployed[name].get(f) != wanted[name].get(f)]
        for name in sorted(set(wanted) & set(deployed))
    }
    changed = {name: fields for name, fields in changed.items() if fields}
    lines = [f"### jobs.yaml: what a deploy to `{stack}` changes", ""]
    if not (added or removed or changed):
        return "\n".join(lines + ["No job changes.", ""])
    lines.append(f"{len(added)} added, {len(changed)} changed, {len(removed)} removed.")
    if added:
        lines += ["", f"**Added ({len(added)})**", "", "| job | schedule | service | endpoint | enabled |",
                  "| --- | --- | --- | --- | --- |"]
        for name in added:
            job = wanted[name]
            lines.append(f"| `{name}` | {_schedule(job['cron'])} | `{job['service']}` | `{job['endpoint']}` |"
                         f" {'yes' if job['enabled'] else 'no'} |")
    if changed:
        lines += ["", f"**Changed ({len(changed)})**", ""]
        for name, fields in changed.items():
            lines.append(f"- `{name}`")
            for field in fields:
                lines.append(f"  - {field}: {_value(field, deployed[name].get(field))} → {_value(field, wanted[name].get(field))}")
                if field in ("cron", "enabled"):
                    lines.append(f"    (overrides any change an admin made to {field} at run time)")
    if removed:
        lines += ["", f"**Removed ({len(removed)})**: retired, not deleted: disabled, history and statistics kept.", ""]
        lines += [f"- `{name}`: was {_schedule(deployed[name]['cron'])}" for name in removed]
    return "\n".join(lines + [""])


def deployed_jobs(stack: str) -> dict[str, dict]:
    """The jobs recorded by the stack's last deploy (its `jobs` output); empty for a stack never deployed."""
    result = subprocess.run(["pulumi", "stack", "output", "jobs", "--json", "--stack", stack],
                            capture_output=True, text=True)
    if result.returncode != 0 or not result.stdout.strip():
        return {}
    return json.loads(result.stdout) or {}


def validate_report(jobs: list[JobDefinition], now: Optional[datetime] = None) -> str:
    lines = []
    for job in jobs:
        words, runs = describe_schedule(job.cron, 3, now or datetime.now(timezone.utc))
        state = "" if job.enabled else " [disabled]"
        lines.append(f"{job.name}{state}: {job.cron} = {words} (UTC); next: "
                     + ", ".join(r.strftime("%Y-%m-%d %H:%M") for r in runs))
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m scheduler_kit.jobs_cli", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    validate = sub.add_parser("validate", help="check jobs.yaml")
    validate.add_argument("file", nargs="?", default="jobs.yaml")
    summary = sub.add_parser("summary", help="Markdown summary of the changes against a deployed stack")
    summary.add_argument("file", nargs="?", default="jobs.yaml")
    summary.add_argument("--stack", default="local")
    args = parser.parse_args(argv)
    try:
        jobs = load_jobs(args.file)
    except JobsFileError as error:
        print(f"{args.file} is not valid ({len(error.problems)} problem(s)):", file=sys.stderr)
        for problem in error.problems:
            print(f"  {problem}", file=sys.stderr)
        return 1
    if args.command == "validate":
        print(f"{args.file}: {len(jobs)} job(s), valid")
        print(validate_report(jobs))
    else:
        print(summarize(deployed_jobs(args.stack), jobs, args.stack))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
