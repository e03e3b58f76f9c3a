"""Command line for jobs.yaml, for people and for CI.

    python -m scheduler_kit.jobs_cli validate [FILE]            # problems, or each schedule in words + next runs
    python -m scheduler_kit.jobs_cli summary [FILE] [--stack S] [--json] [--exit-code]
                                                                # what a deploy would do to the jobs
    python -m scheduler_kit.jobs_cli import [--stack S | --dsn DSN] [-o FILE|-] [--force] [--strict]
                                                                # jobs.yaml from the job rows a database holds

The summary compares the file with the jobs the stack's state records as deployed: each Job resource as its last
successful create or update left it (a failed deploy leaves a job's state as it was). The stack outputs are not
used: the engine writes them even when resource operations fail.

Exit status of validate: 0 valid, 1 invalid file, 2 usage.
Exit status of summary: 0 printed (with --exit-code: 0 no job changes, 1 some, as `git diff --exit-code`),
2 usage, 3 the file is invalid or the deployed jobs cannot be read (unknown stack, unreadable state).
Exit status of import: 0 written, 1 written but (with --strict) some value was changed or some row left out,
2 usage, 3 nothing written (the output exists and --force was not given, the database or stack cannot be read).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path
from datetime import datetime, timezone
from typing import Any, Optional

from .config import ConfigError, ConnectionSettings, settings_from_mapping
from .db import DatabaseUnreachable
from .jobs_file import JobDefinition, JobsFileError, describe_schedule, load_jobs

FIELDS = ("display_name", "description", "cron", "enabled", "service", "endpoint", "config")
# The Job resources' type token ends with this (scheduler_kit/providers/job.py, class Job).
JOB_TYPE_SUFFIX = ":Job"
# The first line of the Markdown: lets CI find its own pull-request comment and update it.
MARKER = "<!-- scheduler-kit:jobs-summary -->"
EXIT_CHANGES, EXIT_ERROR = 1, 3


class DeployedJobsError(RuntimeError):
    """The deployed jobs of a stack cannot be read; the message says why and what to do."""


def job_changes(deployed: dict[str, dict], jobs: list[JobDefinition]) -> dict[str, Any]:
    """What reconciling `jobs` into a stack that has `deployed` does: added, changed (field: old, new), removed."""
    wanted = {job.name: job.as_dict() for job in jobs}
    changed = {}
    for name in sorted(set(wanted) & set(deployed)):
        fields = {f: {"old": deployed[name].get(f), "new": wanted[name].get(f)}
                  for f in FIELDS if deployed[name].get(f) != wanted[name].get(f)}
        if fields:
            changed[name] = fields
    return {
        "added": {name: wanted[name] for name in sorted(set(wanted) - set(deployed))},
        "changed": changed,
        "removed": {name: deployed[name] for name in sorted(set(deployed) - set(wanted))},
    }


def has_changes(changes: dict[str, Any]) -> bool:
    return any(changes[kind] for kind in ("added", "changed", "removed"))


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
    """Markdown describing what reconciling `jobs` into a stack whose deployed jobs are `deployed` will do."""
    changes = job_changes(deployed, jobs)
    added, changed, removed = changes["added"], changes["changed"], changes["removed"]
    lines = [MARKER, f"### jobs.yaml: what a deploy to `{stack}` changes", ""]
    if not has_changes(changes):
        return "\n".join(lines + ["No job changes.", ""])
    lines.append(f"{len(added)} added, {len(changed)} changed, {len(removed)} removed.")
    if added:
        lines += ["", f"**Added ({len(added)})**", "", "| job | schedule | service | endpoint | enabled |",
                  "| --- | --- | --- | --- | --- |"]
        for name, job in added.items():
            lines.append(f"| `{name}` | {_schedule(job['cron'])} | `{job['service']}` | `{job['endpoint']}` |"
                         f" {'yes' if job['enabled'] else 'no'} |")
    if changed:
        lines += ["", f"**Changed ({len(changed)})**", ""]
        for name, fields in changed.items():
            lines.append(f"- `{name}`")
            for field, values in fields.items():
                lines.append(f"  - {field}: {_value(field, values['old'])} → {_value(field, values['new'])}")
                if field in ("cron", "enabled"):
                    lines.append(f"    (overrides any change an admin made to {field} at run time)")
    if removed:
        lines += ["", f"**Removed ({len(removed)})**: retired, not deleted: disabled, history and statistics kept.", ""]
        lines += [f"- `{name}`: was {_schedule(job['cron'])}" for name, job in removed.items()]
    return "\n".join(lines + [""])


def summary_json(deployed: dict[str, dict], jobs: list[JobDefinition], stack: str) -> str:
    changes = job_changes(deployed, jobs)
    return json.dumps({"stack": stack, "changes": has_changes(changes), **changes}, indent=2, ensure_ascii=False,
                      sort_keys=True)


def _pulumi(*args: str) -> subprocess.CompletedProcess:
    try:
        return subprocess.run(["pulumi", *args, "--non-interactive"], capture_output=True, text=True)
    except FileNotFoundError:
        raise DeployedJobsError("the pulumi command is not on PATH; run `. toolchain/env.sh` first "
                                "(or use `make jobs-summary`)") from None


def stack_names() -> Optional[list[str]]:
    """The backend's stacks; None when they cannot be listed. `stack ls` reads every stack's checkpoint, and one being
    written by a deploy elsewhere (the file backend does not write atomically) can fail it with "EOF": tried 3 times."""
    for attempt in range(3):
        if attempt:
            time.sleep(0.5 * attempt)
        result = _pulumi("stack", "ls", "--json")
        if result.returncode == 0:
            return sorted(entry["name"] for entry in json.loads(result.stdout or "[]"))
    return None


def jobs_from_state(deployment: dict[str, Any]) -> dict[str, dict]:
    """The jobs a `pulumi stack export` document records: each Job resource's fields as last deployed."""
    names = set(JobDefinition.__dataclass_fields__)
    jobs = {}
    for resource in (deployment.get("deployment") or {}).get("resources") or []:
        if not resource.get("type", "").endswith(JOB_TYPE_SUFFIX) or resource.get("delete"):
            continue
        outputs = resource.get("outputs") or {}
        if "name" in outputs:
            jobs[outputs["name"]] = {k: v for k, v in outputs.items() if k in names}
    return jobs


def _pulumi_of_stack(stack: str, what: str, *args: str):
    """`pulumi <args>` about `stack`; DeployedJobsError naming the stacks when it is unknown, else pulumi's reason."""
    result = _pulumi(*args)
    if result.returncode != 0:
        known = stack_names()
        if known is not None and stack not in known:
            raise DeployedJobsError(
                f"no stack named {stack!r}; the stacks are: {', '.join(known) or '(none)'} "
                "(create one with `pulumi stack init`, see docs/targeting-databases.md)")
        reason = (result.stderr.strip().splitlines() or [f"pulumi {' '.join(args[:2])} failed"])[-1]
        raise DeployedJobsError(f"cannot read {what} of stack {stack!r}: {reason}")
    return result


def deployed_jobs(stack: str) -> dict[str, dict]:
    """The jobs deployed to `stack` according to its state; DeployedJobsError when that cannot be read.

    A stack that exists but was never deployed has none. An unknown stack is an error listing the stacks: a
    mistyped name must not read as "everything is new", nor create anything.
    """
    result = _pulumi_of_stack(stack, "the deployed jobs", "stack", "export", "--stack", stack)
    try:
        return jobs_from_state(json.loads(result.stdout or "{}"))
    except (ValueError, AttributeError) as error:
        raise DeployedJobsError(f"cannot read the deployed jobs of stack {stack!r}: its state is not "
                                f"readable ({error})") from None


def stack_connection(stack: str) -> ConnectionSettings:
    """The database settings of `stack`, password included (decrypted by pulumi, held in memory only)."""
    result = _pulumi_of_stack(stack, "the settings", "config", "--json", "--show-secrets", "--stack", stack)
    prefix = "scheduler-kit:"
    values = {key[len(prefix):]: entry.get("value") for key, entry in json.loads(result.stdout or "{}").items()
              if key.startswith(prefix) and isinstance(entry, dict)}
    return settings_from_mapping(values, stack).connection


def dsn_connection(dsn: str) -> ConnectionSettings:
    """Settings from a libpq URL or keyword string (a password may also come from PGPASSWORD or ~/.pgpass)."""
    from psycopg.conninfo import conninfo_to_dict

    try:
        params = conninfo_to_dict(dsn)
    except Exception:  # psycopg's ProgrammingError echoes the string, password included
        raise ConfigError("--dsn is not a libpq connection string or URL "
                          "(e.g. postgresql://user@host:5432/dbname?sslmode=require)") from None
    return settings_from_mapping({
        "host": params.get("host") or "localhost", "port": params.get("port"), "database": params.get("dbname"),
        "user": params.get("user"), "password": params.get("password"), "sslmode": params.get("sslmode"),
    }).connection


def import_command(args: argparse.Namespace) -> int:
    from .job_rows import JobRowsError, read_job_rows
    from .jobs_import import NOTE, import_jobs

    to_stdout = args.output == "-"
    output = Path(args.output)
    if not to_stdout and output.exists() and not args.force:
        print(f"jobs import: {output} exists and was not overwritten; give --force to replace it (make jobs-import "
              "FORCE=1), -o OTHER.yaml to write elsewhere, or -o - for standard output", file=sys.stderr)
        return EXIT_ERROR
    try:
        settings = dsn_connection(args.dsn) if args.dsn else stack_connection(args.stack)
        rows = read_job_rows(settings)
    except (ConfigError, DatabaseUnreachable, DeployedJobsError, JobRowsError) as error:
        print(f"jobs import: {error}", file=sys.stderr)
        return EXIT_ERROR
    result = import_jobs(rows, settings.redacted())
    if to_stdout:
        sys.stdout.write(result.text)
    else:
        partial = output.with_name(f".{output.name}.partial")
        try:
            partial.write_text(result.text, encoding="utf-8")
            partial.replace(output)  # whole or not at all
        except OSError as error:
            partial.unlink(missing_ok=True)
            print(f"jobs import: cannot write {output}: {error.strerror}; nothing written", file=sys.stderr)
            return EXIT_ERROR
    where = "standard output" if to_stdout else str(output)
    print(f"jobs import: wrote {where} from {settings.redacted()}: {len(result.jobs)} job(s), "
          f"{len(result.changed)} value(s) changed, {len(result.left_out)} row(s) left out, "
          f"{len(result.retired)} retired row(s) not listed", file=sys.stderr)
    for name, note in result.changed:
        print(f"  changed: job {name}: {note.field}: {note.note}", file=sys.stderr)
    for row in result.left_out:
        print(f"  left out: row {row.label!r}: {row.reason}; fix: {row.fix}", file=sys.stderr)
    if result.faithful:
        return 0
    print(f"  each is marked `{NOTE}` in the file: review them before the first deploy", file=sys.stderr)
    return EXIT_CHANGES if args.strict else 0


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
    summary = sub.add_parser("summary", help="what a deploy would change in the jobs, against a deployed stack")
    summary.add_argument("file", nargs="?", default="jobs.yaml")
    summary.add_argument("--stack", default="local")
    summary.add_argument("--json", action="store_true", help="JSON instead of Markdown")
    summary.add_argument("--exit-code", action="store_true", help="exit 1 when a deploy would change any job")
    importer = sub.add_parser("import", help="write jobs.yaml from the job rows a database holds")
    source = importer.add_mutually_exclusive_group()
    source.add_argument("--stack", default="local", help="read the database of this stack (default: local)")
    source.add_argument("--dsn", help="read this database instead (libpq URL; prefer PGPASSWORD for the password)")
    importer.add_argument("-o", "--output", default="jobs.yaml", help="the file to write, - for standard output")
    importer.add_argument("--force", action="store_true", help="replace the output file if it exists")
    importer.add_argument("--strict", action="store_true",
                          help="exit 1 when a value had to be changed or a row left out (the file is still written)")
    args = parser.parse_args(argv)
    if args.command == "import":
        return import_command(args)
    invalid_status = 1 if args.command == "validate" else EXIT_ERROR
    try:
        jobs = load_jobs(args.file)
    except JobsFileError as error:
        print(f"{args.file} is not valid ({len(error.problems)} problem(s)):", file=sys.stderr)
        for problem in error.problems:
            print(f"  {problem}", file=sys.stderr)
        return invalid_status
    if args.command == "validate":
        print(f"{args.file}: {len(jobs)} job(s), valid")
        print(validate_report(jobs))
        return 0
    try:
        deployed = deployed_jobs(args.stack)
    except DeployedJobsError as error:
        print(f"jobs summary: {error}", file=sys.stderr)
        return EXIT_ERROR
    print(summary_json(deployed, jobs, args.stack) if args.json else summarize(deployed, jobs, args.stack))
    if args.exit_code and has_changes(job_changes(deployed, jobs)):
        return EXIT_CHANGES
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
