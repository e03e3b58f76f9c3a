"""pgrls over the deployed database, against the kit's allowlist of intentional findings (`make lint`).

    python -m scheduler_kit.pgrls_lint --allowlist lint/pgrls-allowlist.yaml     # DSN in $DATABASE_URL
    python -m scheduler_kit.pgrls_lint --supabase-profile                        # see below

`--supabase-profile` lints the kit as a Supabase project gets it: `make sql TARGET=supabase`'s migration applied to
a throwaway database of the Supabase-shaped local cluster (dropped afterwards), against the kit's allowlist and
lint/pgrls-supabase-platform.yaml (what the platform itself brings: its roles, the application's users table).
--allowlist may be given more than once; every allowlisted location must match a finding of the run.

The allowlist (docs/linting.md) is a YAML list; each entry names a pgrls rule, the locations it allows (exact, or
fnmatch patterns such as public.*.*_service) and the reason the finding is intended:

    - rule: SEC016
      locations: [service_role]
      reason: service_role has BYPASSRLS on purpose, as on Supabase

Exit status: 0 every finding is allowed and every allowlisted location still matches one; 1 a finding no entry
allows (new), or a location that matches no finding (stale: remove it); 2 pgrls could not run, or the allowlist is
malformed.
"""

from __future__ import annotations

import argparse
import fnmatch
import json
import os
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

import psycopg
import yaml

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_ALLOWLIST = ROOT / "lint" / "pgrls-allowlist.yaml"
SUPABASE_PLATFORM_ALLOWLIST = ROOT / "lint" / "pgrls-supabase-platform.yaml"
# The kit's schemas: the API tables and functions (public) and the private helpers (scheduler_private).
SCHEMAS = "public,scheduler_private"


class AllowlistError(ValueError):
    pass


@dataclass(frozen=True)
class Finding:
    rule: str
    location: str
    severity: str = ""
    message: str = ""


@dataclass(frozen=True)
class Allowance:
    """One (rule, location pattern) of an allowlist entry; `entry` is the entry's index in the file (0-based)."""
    rule: str
    pattern: str
    reason: str
    entry: int
    source: str = ""  # the allowlist file it comes from

    def allows(self, finding: Finding) -> bool:
        return finding.rule.upper() == self.rule.upper() and fnmatch.fnmatchcase(finding.location, self.pattern)


@dataclass
class Outcome:
    allowed: list[tuple[Finding, Allowance]] = field(default_factory=list)
    new: list[Finding] = field(default_factory=list)
    stale: list[Allowance] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.new and not self.stale


def parse_allowlist(data: object, source: str = "the allowlist") -> list[Allowance]:
    """The allowances of a parsed allowlist file; AllowlistError names the first malformed entry."""
    if data is None:
        return []
    if not isinstance(data, list):
        raise AllowlistError(f"{source}: expected a list of entries (- rule: ..., locations: [...], reason: ...)")
    allowances: list[Allowance] = []
    for index, entry in enumerate(data):
        where = f"{source}: entry {index + 1}"
        if not isinstance(entry, dict):
            raise AllowlistError(f"{where}: expected a mapping with rule, locations and reason")
        unknown = set(entry) - {"rule", "locations", "reason"}
        if unknown:
            raise AllowlistError(f"{where}: unknown key(s) {', '.join(sorted(map(str, unknown)))}")
        rule, locations, reason = entry.get("rule"), entry.get("locations"), entry.get("reason")
        if not isinstance(rule, str) or not rule.strip():
            raise AllowlistError(f"{where}: `rule` must name a pgrls rule, e.g. SEC016")
        if isinstance(locations, str):
            locations = [locations]
        if not isinstance(locations, list) or not locations or not all(isinstance(x, str) and x for x in locations):
            raise AllowlistError(f"{where} ({rule}): `locations` must list one or more locations or patterns")
        if not isinstance(reason, str) or not reason.strip():
            raise AllowlistError(f"{where} ({rule}): every entry needs a `reason` saying why the finding is intended")
        allowances += [Allowance(rule.strip(), location, reason.strip(), index, source) for location in locations]
    return allowances


def load_allowlist(path: Path) -> list[Allowance]:
    try:
        data = yaml.safe_load(path.read_text())
    except (OSError, yaml.YAMLError) as error:
        raise AllowlistError(f"{path}: {error}") from None
    return parse_allowlist(data, str(path))


def findings_of(report: dict) -> list[Finding]:
    """The findings of a `pgrls lint --format json` report."""
    return [Finding(str(v["rule_id"]), str(v.get("location", "")), str(v.get("severity", "")),
                    str(v.get("message", ""))) for v in report.get("violations", [])]


def match(findings: list[Finding], allowances: list[Allowance]) -> Outcome:
    """Each finding against the allowances: allowed by the first that allows it, else new. An allowance that allows
    no finding at all is stale (an exact location and a pattern are alike: each must still match something)."""
    outcome = Outcome()
    used: set[Allowance] = set()
    for finding in findings:
        allowing = [a for a in allowances if a.allows(finding)]
        if allowing:
            outcome.allowed.append((finding, allowing[0]))
            used.update(allowing)
        else:
            outcome.new.append(finding)
    outcome.stale = [a for a in allowances if a not in used]
    return outcome


def report(outcome: Outcome, allowlist: str) -> str:
    lines = []
    for finding in outcome.new:
        lines.append(f"pgrls: new finding {finding.rule} ({finding.severity}) at {finding.location}: {finding.message}")
    if outcome.new:
        lines.append(f"  fix it in the kit's SQL or policies, or add it to {allowlist} with the reason it is intended")
    for allowance in outcome.stale:
        lines.append(f"pgrls: stale allowlist location {allowance.rule} {allowance.pattern} (entry "
                     f"{allowance.entry + 1} of {allowance.source or allowlist}) matches no finding: remove it")
    by_rule: dict[str, int] = {}
    for finding, _ in outcome.allowed:
        by_rule[finding.rule] = by_rule.get(finding.rule, 0) + 1
    allowed = ", ".join(f"{rule} {count}" for rule, count in sorted(by_rule.items())) or "none"
    lines.append(f"pgrls: {len(outcome.allowed) + len(outcome.new)} finding(s): {len(outcome.allowed)} allowlisted "
                 f"({allowed}), {len(outcome.new)} new; {len(outcome.stale)} stale allowlist location(s)")
    return "\n".join(lines)


def check_deployed(dsn: str) -> None:
    """RuntimeError unless the database answers and holds the kit (else every allowlist entry would read as stale)."""
    try:
        with psycopg.connect(dsn, connect_timeout=10) as conn:
            deployed = conn.execute("SELECT to_regclass('public.job_schedules') IS NOT NULL").fetchone()[0]
    except psycopg.Error as error:
        raise RuntimeError(f"the database does not answer ({str(error).strip()}); run make up first") from None
    if not deployed:
        raise RuntimeError("the kit is not deployed in this database (no public.job_schedules); run make up first")


def run_pgrls(dsn: str, schemas: str = SCHEMAS) -> dict:
    """`pgrls lint --format json` on the database (its URL in the environment, not on the command line)."""
    env = {**os.environ, "DATABASE_URL": dsn}
    done = subprocess.run([sys.executable, "-m", "pgrls", "lint", "--schemas", schemas, "--format", "json",
                           "--fail-on", "info"], env=env, capture_output=True, text=True, cwd=ROOT, check=False)
    if done.returncode not in (0, 1):
        raise RuntimeError(f"pgrls lint exited {done.returncode}: {(done.stderr or done.stdout).strip()[:2000]}")
    try:
        return json.loads(done.stdout)
    except json.JSONDecodeError:
        raise RuntimeError(f"pgrls lint printed no JSON report: {done.stdout[:500]!r} {done.stderr[:500]!r}") from None


def lint_supabase_profile() -> dict:
    """The pgrls report of the kit's migration for target supabase, applied to a throwaway database of the
    Supabase-shaped local cluster (started if it is not running), which is dropped whatever happens."""
    from .export_sql import build
    from .local_cluster import Cluster

    cluster = Cluster.start("supabase")
    database = cluster.create_database("schedkit_lint")
    try:
        with psycopg.connect(cluster.dsn_for(database), autocommit=True) as conn:  # as the project's postgres
            conn.execute(build("supabase", protect_history=False))
        return run_pgrls(cluster.dsn_for(database))
    finally:
        cluster.drop_database(database)


def _shown(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(ROOT))
    except ValueError:
        return str(path)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m scheduler_kit.pgrls_lint", description=__doc__.splitlines()[0])
    parser.add_argument("--allowlist", type=Path, action="append",
                        help=f"default: {_shown(DEFAULT_ALLOWLIST)} (with --supabase-profile, also "
                             f"{_shown(SUPABASE_PLATFORM_ALLOWLIST)})")
    parser.add_argument("--schemas", default=SCHEMAS)
    parser.add_argument("--report", type=Path, help="a pgrls JSON report to read instead of running pgrls")
    parser.add_argument("--supabase-profile", action="store_true",
                        help="lint the migration for target supabase on the Supabase-shaped local cluster")
    args = parser.parse_args(argv)
    allowlists = args.allowlist or [DEFAULT_ALLOWLIST, *([SUPABASE_PLATFORM_ALLOWLIST] if args.supabase_profile else [])]
    try:
        allowances = [a for path in allowlists for a in load_allowlist(path)]
    except AllowlistError as error:
        print(f"pgrls: {error}", file=sys.stderr)
        return 2
    try:
        if args.report:
            data = json.loads(args.report.read_text())
        elif args.supabase_profile:
            data = lint_supabase_profile()
        else:
            dsn = os.environ.get("DATABASE_URL", "")
            if not dsn:
                print("pgrls: no database: set DATABASE_URL (make lint sets it from make db-url)", file=sys.stderr)
                return 2
            check_deployed(dsn)
            data = run_pgrls(dsn, args.schemas)
    except (RuntimeError, OSError, json.JSONDecodeError) as error:
        print(f"pgrls: could not lint the database: {error}", file=sys.stderr)
        return 2
    except psycopg.Error as error:  # the throwaway database of --supabase-profile
        print(f"pgrls: could not lint the database: {str(error).strip()}", file=sys.stderr)
        return 2
    outcome = match(findings_of(data), allowances)
    print(report(outcome, " or ".join(_shown(path) for path in allowlists)))
    return 0 if outcome.ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
