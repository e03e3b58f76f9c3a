"""The scheduler kit's mandatory policies as pure functions: each takes what the engine shows of a resource or
the stack and returns its violations (messages naming the resource, what is wrong and the fix). __main__.py wires
them into a CrossGuard PolicyPack; the kit's fast tests call them directly (this module imports no Pulumi)."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any, Iterable

HERE = Path(__file__).resolve().parent
# The history: the audit trail (execution history) and the job definitions its statistics belong to.
HISTORY_TABLES = {"table-job_schedules": "public.job_schedules", "table-scheduled_jobs": "public.scheduled_jobs"}
UNPROTECTED_STACKS = ("local",)  # the kit's own throwaway stack
STRONG_SSLMODES = ("require", "verify-ca", "verify-full")
# The jobs file's limits (scheduler_kit/jobs_file.py and jobs.schema.json; a fast test keeps them equal).
MAX_JOBS = 1000
MAX_CONFIG_BYTES = 64 * 1024
MAX_CONFIG_DEPTH = 20


def resource_kind(resource_type: str) -> str:
    """The kit's dynamic resources are `pulumi-python:dynamic/schedkit:<Kind>`; other types give ''."""
    prefix, _, kind = resource_type.rpartition(":")
    return kind if prefix.endswith("/schedkit") else ""


def stack_of(urn: str) -> str:
    return urn.split("::")[0].split(":")[-1]


def history_protection(urn: str, name: str, props: dict, protect: bool) -> list[str]:
    """On every stack but local, the history tables are protected and retained on delete (drop_on_delete false: the
    kit's Table provider then leaves the table and its rows even when the resource is deleted)."""
    stack = stack_of(urn)
    if name not in HISTORY_TABLES or stack in UNPROTECTED_STACKS:
        return []
    missing = [what for what, ok in (("protected", protect), ("retained on delete", props.get("drop_on_delete") is False))
               if not ok]
    if not missing:
        return []
    return [f"{name} ({HISTORY_TABLES[name]}) on stack {stack!r} is not {' and not '.join(missing)}: a destroy or a "
            f"rename would drop the audit trail. Fix: `pulumi config rm scheduler-kit:protectHistory --stack {stack}` "
            "(it defaults to true on every stack but local)"]


def tls(stack: str, config: dict) -> list[str]:
    """A supabase target connects with sslmode require or stronger (the kit's default there is require)."""
    target = config.get("scheduler-kit:target", "postgres")
    sslmode = config.get("scheduler-kit:sslmode", "require" if target == "supabase" else "prefer")
    if target != "supabase" or sslmode in STRONG_SSLMODES:
        return []
    return [f"stack {stack!r} targets supabase with scheduler-kit:sslmode {sslmode!r}: the password and the data would "
            f"cross the network without verified TLS. Fix: `pulumi config set scheduler-kit:sslmode require --stack "
            f"{stack}` (or verify-full with the project's CA)"]


def config_from_stack_outputs(outputs: dict) -> dict:
    """The target and sslmode as the program exports them (`target`, and `database`: "user@host:port/db
    (sslmode=...)"): what a state analysis has when the engine sends no configuration."""
    found = {}
    if isinstance(outputs.get("target"), str):
        found["scheduler-kit:target"] = outputs["target"]
    match = re.search(r"\(sslmode=([a-z-]+)\)", str(outputs.get("database", "")))
    if match:
        found["scheduler-kit:sslmode"] = match.group(1)
    return found


def load_allowance(path: Path = HERE / "allowed_grants.json") -> dict:
    return json.loads(path.read_text(encoding="utf-8"))["grants"]


def privileges_within_allowance(name: str, props: dict, allowance: dict) -> list[str]:
    """A Privileges resource gives each grantee at most what the pinned allowance lists for that object."""
    return [problem for grantee, granted in sorted((props.get("grants") or {}).items())
            for problem in grant_within_allowance(name, {
                "grantee": grantee, "object_type": props.get("object_type"), "object": props.get("object"),
                "privileges": (granted or {}).get("privileges"), "column_privileges": (granted or {}).get("columns")},
                allowance)]


def grant_within_allowance(name: str, props: dict, allowance: dict) -> list[str]:
    """One grantee's privileges on one object within what the pinned allowance lists for it (also the props of a
    retired Grant resource, which a state analysis of a stack deployed before the Privileges kind still meets)."""
    grantee, object_type, obj = props.get("grantee"), props.get("object_type"), props.get("object")
    ceiling = allowance.get(object_type, {}).get(obj, {}).get(grantee)
    where = f"{name}: {object_type} {obj} to {grantee}"
    fix = ("Fix: narrow the grant in scheduler_kit/model.py, or, if the wider grant is intended, update the pinned "
           "policy-pack/allowed_grants.json (`make policy-allowance`) in a reviewed change")
    privileges = list(props.get("privileges") or [])
    columns = dict(props.get("column_privileges") or {})
    if ceiling is None:
        if privileges or columns:
            return [f"{where}: the allowance lists no grant of {object_type} {obj} to {grantee}, and this grants "
                    f"{', '.join(privileges + [f'{p} ({c})' for p, cs in columns.items() for c in cs])}. {fix}"]
        return []
    out = [f"{where}: grants {privilege}, which the allowance does not allow (allowed: "
           f"{', '.join(ceiling['privileges']) or 'nothing'}). {fix}"
           for privilege in privileges if privilege not in ceiling["privileges"]]
    for privilege, cols in columns.items():
        if privilege in ceiling["privileges"]:
            continue
        allowed = ceiling["columns"].get(privilege, [])
        for column in cols:
            if column not in allowed:
                out.append(f"{where}: grants {privilege} ({column}), which the allowance does not allow (allowed: "
                           f"{privilege} on {', '.join(allowed) or 'no column'}). {fix}")
    return out


def _unwrapped_admin_checks(expression: str) -> int:
    """How many `is_admin(` calls are not inside a parenthesised `(select ...)`."""
    lowered, opens, count = expression.lower(), [], 0
    for index, char in enumerate(lowered):
        if char == "(":
            opens.append(index)
        elif char == ")" and opens:
            opens.pop()
        elif lowered.startswith("is_admin(", index) and not any(
                lowered[o + 1:].lstrip().startswith("select") for o in opens):
            count += 1
    return count


def admin_checks_wrapped(name: str, props: dict) -> list[str]:
    """Every admin check in a policy runs once per statement: wrapped in a sub-select, PostgreSQL evaluates it as an
    InitPlan; bare, it runs the lookup for every row (104 times slower in the kit's benchmark)."""
    out = []
    for clause in ("using", "with_check"):
        expression = props.get(clause) or ""
        if _unwrapped_admin_checks(expression):
            out.append(f"{name}: policy {props.get('name')} {clause.upper()} calls is_admin() outside a sub-select "
                       f"({expression!r}). Fix: wrap it in policies/*.yaml, e.g. "
                       "`(select current_user = 'service_role' or scheduler_private.is_admin())`")
    return out


def _depth(value: Any, level: int = 0) -> int:
    """The deepest node's level, the config itself being level 0 (as the jobs file's validation counts)."""
    children = value.values() if isinstance(value, dict) else value if isinstance(value, list) else ()
    return max([level, *(_depth(child, level + 1) for child in children)])


def job_limits(name: str, props: dict) -> list[str]:
    config = props.get("config") or {}
    out = []
    size = len(json.dumps(config, ensure_ascii=False).encode("utf-8", "surrogatepass"))
    if size > MAX_CONFIG_BYTES:
        out.append(f"{name}: config is {size} bytes as JSON, more than the jobs file's limit of {MAX_CONFIG_BYTES}. "
                   "Fix: keep large data out of the job definition in jobs.yaml")
    depth = _depth(config)
    if depth > MAX_CONFIG_DEPTH:
        out.append(f"{name}: config nests {depth} levels deep, more than the jobs file's limit of {MAX_CONFIG_DEPTH}. "
                   "Fix: flatten the configuration in jobs.yaml")
    return out


def job_count(jobs: Iterable[str]) -> list[str]:
    names = list(jobs)
    if len(names) <= MAX_JOBS:
        return []
    return [f"the stack defines {len(names)} jobs, more than the jobs file's limit of {MAX_JOBS}. Fix: split jobs.yaml "
            "across stacks or retire jobs"]
