"""`make pgtap`: the kit's guarantees as one pgTAP file, for `supabase test db` and `pg_prove`.

    python -m scheduler_kit.pgtap [-o supabase/tests/scheduler_kit.test.sql] [--check]

Generated from what the Python suite checks against: the plan (scheduler_kit/model.py: RLS, the policies of
policies/, every grant, each function's security mode and search_path) and the access matrix
(tests/access_matrix.yaml, read as data: the product never imports the tests). Each matrix cell becomes one
assertion run as its actor, with the role and claims PostgREST would set. The fixed SQL is in
scheduler_kit/sql/pgtap/ (preamble.sql, statements.sql, assertions.sql); this module only fills it in.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Optional

from psycopg import sql

from .access.cells import MATRIX_PATH, TARGETS, read_matrix
from .config import settings_from_mapping
from .db import literal, render, sql_text
from .model import API_ROLES, AUTHENTICATOR, Planned, full_plan, object_acls
from .policies import load_policies
from .providers.function import Function, FunctionInputs
from .providers.row_security import RowSecurity

ROOT = Path(__file__).resolve().parent.parent
OUTPUT = ROOT / "supabase" / "tests" / "scheduler_kit.test.sql"
# Whose privileges are checked exactly: the API roles and PostgREST's login role (which must hold nothing itself).
CHECKED_ROLES = (*API_ROLES, AUTHENTICATOR)
ADMIN_SUB, REGULAR_SUB, NUMERIC_ADMIN_ID = "kit_pgtap_admin", "kit_pgtap_regular", "12345"


@dataclass(frozen=True)
class Session:
    """One token shape of an actor as the database sees it: the role PostgREST switches to and its claims."""
    shape: str
    role: str
    claims: dict


def _user(sub, role: str = "authenticated") -> dict:
    claims = {"role": role}
    if sub is not None:
        claims["sub"] = sub
    return claims


# The matrix's actors in SQL (the token shapes of tests/policy/harness.py ACTOR_TOKENS, after PostgREST verified
# them). Actors with no SQL form are in NO_SQL_FORM, with the reason the file states.
SESSIONS: dict[str, tuple[Session, ...]] = {
    "service": (Session("service key", "service_role", {"role": "service_role"}),),
    "admin": (Session("admin user", "authenticated", _user(ADMIN_SUB)),),
    "regular": (Session("regular user", "authenticated", _user(REGULAR_SUB)),),
    "unknown_sub": (Session("sub in no users row", "authenticated", _user("kit_pgtap_deleted_user")),),
    "odd_sub": (Session("sub missing", "authenticated", _user(None)),
                Session("sub empty", "authenticated", _user("")),
                Session("sub numeric", "authenticated", _user(int(NUMERIC_ADMIN_ID))),
                Session("sub an object", "authenticated", _user({"id": ADMIN_SUB})),
                Session("sub a list", "authenticated", _user([ADMIN_SUB]))),
    "anon": (Session("no token", "anon", {"role": "anon"}),
             Session("token without role", "anon", _user(ADMIN_SUB, role="anon"))),
    # role "none": PostgREST's set_config('role', 'none') is RESET ROLE; the request runs as authenticator itself.
    "login_role": (Session("role none", AUTHENTICATOR, {"role": "none", "sub": ADMIN_SUB}),),
}
NO_SQL_FORM = {
    "bad_token": "a token PostgREST refuses (expired, wrong key, alg none, ...) is refused before any SQL runs: "
                 "there is nothing to run here (tests/fast/test_gateway.py and the policy suite cover it)",
    "refused_role": "a role authenticator may not become is refused by SET ROLE, which checks the session user; "
                    "this file runs as the project's owner, who may become more, so it asserts the memberships "
                    "instead (authenticator may not become postgres or pg_read_all_data)",
}
REFUSED_ROLES = ("postgres", "pg_read_all_data")

HEADER = """-- GENERATED FILE: do not edit. `make pgtap` writes it (python -m scheduler_kit.pgtap) from the kit's plan
-- (scheduler_kit/model.py, policies/) and its access matrix (tests/access_matrix.yaml); change those and generate
-- it again (a fast test fails while this file is stale).
--
-- The scheduler kit's guarantees as a pgTAP suite: RLS enabled and forced, exactly the kit's policies with their
-- commands and roles, the exact privileges of every API role on every table, column, function and schema, each
-- function's security mode and search_path, and every cell of the access matrix run as its actor with the role
-- and claims PostgREST would set. It seeds its own rows and runs in one transaction that is rolled back.
--
-- Run it: copy it into a Supabase project's supabase/tests/ and `supabase test db`; or
-- `pg_prove -d <url> supabase/tests/scheduler_kit.test.sql` on any database the kit deployed. The target
-- (postgres or supabase) comes from the database (a Supabase project has supabase_admin) or from
-- `pg_prove --set kit_target=supabase`. Needs pgTAP (CREATE EXTENSION pgtap, done below when missing).
--
-- Not here, because they have no SQL form:
{no_sql_form}
"""


def _split_sections(text: str, marker: str) -> dict[str, str]:
    """Sections of a template file headed by lines matching `marker` (the comment block before the first is dropped)."""
    sections: dict[str, str] = {}
    name = None
    for line in text.splitlines():
        match = re.match(marker, line)
        if match:
            name = match.group(1).strip()
            sections[name] = ""
        elif name is not None:
            sections[name] += line + "\n"
    return {k: v.strip() for k, v in sections.items()}


_ASSERTIONS = _split_sections(sql_text("pgtap/assertions.sql"), r"^-- ([a-z_]+)$")


def _assertion(name: str, **values) -> str:
    return render(_ASSERTIONS[name], **{k: v if isinstance(v, sql.Composable) else literal(v)
                                        for k, v in values.items()})


def _statements() -> dict[tuple[str, ...], tuple[str, str]]:
    """(kind, operation[, object]) -> (statement template, measure)."""
    forms = {}
    for header, body in _split_sections(sql_text("pgtap/statements.sql"),
                                          r"^-- ((?:table|function) [A-Z]+(?: [a-z_]+)? [a-z_]+)$").items():
        words = header.split()
        forms[tuple(words[:-1])] = (body, words[-1])
    return forms


def _plan(target: str) -> list[Planned]:
    return full_plan(settings_from_mapping({"host": "unused", "target": target}, with_password=False))


def declared_security(function: FunctionInputs) -> tuple[bool, str]:
    """(SECURITY DEFINER?, the proconfig entry of its search_path) as its definition declares them."""
    definer = bool(re.search(r"^\s*SECURITY\s+DEFINER\b", function.definition, re.I | re.M))
    path = re.search(r"^\s*SET\s+search_path\s*=\s*(.*?)\s*$", function.definition, re.I | re.M).group(1)
    # As PostgreSQL stores it in proconfig: '' as "", a list joined by ", ".
    return definer, "search_path=" + ('""' if path == "''" else ", ".join(p.strip() for p in path.split(",")))


class Suite:
    """Assertions in order; each is a SQL expression, and one on a single target skips on the other."""

    def __init__(self) -> None:
        self.lines: list[str] = []

    def comment(self, text: str) -> None:
        self.lines.append("\n" + "\n".join(f"-- {line}" for line in text.splitlines()))

    def add(self, expression: str, target: Optional[str] = None) -> None:
        if target is not None:
            expression = render(_ASSERTIONS["only_on_target"], target=literal(target), assertion=sql.SQL(expression),
                                why=literal(f"target {target} only"))
        self.lines.append(f"SELECT {expression};")

    @property
    def count(self) -> int:
        return sum(line.startswith("SELECT ") for line in self.lines)


def _by_target(items_of: dict[str, list]) -> list[tuple[object, Optional[str]]]:
    """Items of both targets' plans: those the same on both once, unguarded; the rest guarded by their target."""
    both = [i for i in items_of["postgres"] if i in items_of["supabase"]]
    out = [(i, None) for i in both]
    for target in TARGETS:
        out += [(i, target) for i in items_of[target] if i not in both]
    return out


def _split_signature(signature: str) -> tuple[str, str, list[str]]:
    qualified, _, args = signature.partition("(")
    schema, _, name = qualified.rpartition(".")
    return schema, name, [a.strip() for a in args.rstrip(")").split(",") if a.strip()]


def _catalog(suite: Suite) -> None:
    plans = {t: _plan(t) for t in TARGETS}

    suite.comment("Row level security: enabled and forced on every table the plan puts under it.")
    tables = {t: [p.inputs.table for p in plans[t] if p.kind is RowSecurity and p.inputs.force] for t in TARGETS}
    for table, target in _by_target(tables):
        suite.add(_assertion("rls_forced", table=table, description=f"{table}: row level security enabled and forced"),
                  target)

    suite.comment("Exactly the policies of policies/, with their commands and roles; each admin check in a sub-select.")
    policies = load_policies()
    for table in dict.fromkeys(p.table for p in policies):
        schema, name = table.split(".")
        mine = [p for p in policies if p.table == table]
        suite.add(_assertion("policies_are", schema=schema, table=name, names=sorted(p.name for p in mine),
                             description=f"{table} has exactly the policies {', '.join(sorted(p.name for p in mine))}"))
        for p in mine:
            suite.add(_assertion("policy_cmd_is", schema=schema, table=name, policy=p.name, command=p.command,
                                 description=f"policy {p.name} is for {p.command}"))
            suite.add(_assertion("policy_roles_are", schema=schema, table=name, policy=p.name, roles=sorted(p.roles),
                                 description=f"policy {p.name} applies to {', '.join(sorted(p.roles))}"))
            if "is_admin" in f"{p.using or ''}{p.with_check or ''}":
                suite.add(_assertion("admin_check_wrapped", schema=schema, table=name, policy=p.name,
                                     description=f"policy {p.name}: the admin check is wrapped in a sub-select "
                                                 "(one InitPlan per statement)"))

    suite.comment("Exact privileges of every API role and of authenticator (its own, or through PUBLIC), by object.")
    acls = {t: object_acls(plans[t]) for t in TARGETS}
    checks: dict[str, list[tuple[str, str]]] = {t: [] for t in TARGETS}
    for target in TARGETS:
        for (object_type, obj), by_grantee in acls[target].items():
            public = by_grantee.get("PUBLIC", {"privileges": [], "columns": {}})
            for role in CHECKED_ROLES:
                own = by_grantee.get(role, {"privileges": [], "columns": {}})
                # authenticator is NOINHERIT: only its own grants and PUBLIC's count for it, as for every role here.
                effective = sorted(set(own["privileges"]) | set(public["privileges"]))
                if object_type == "table":
                    schema, name = obj.split(".")
                    checks[target].append(_assertion(
                        "table_privs_are", schema=schema, table=name, role=role, privileges=effective,
                        description=f"{role} holds exactly {effective or 'nothing'} on table {obj}"))
                elif object_type == "function":
                    schema, name, args = _split_signature(obj)
                    checks[target].append(_assertion(
                        "function_privs_are", schema=schema, function=name, arguments=args, role=role,
                        privileges=effective, description=f"{role} holds exactly {effective or 'nothing'} on {obj}"))
                else:
                    checks[target].append(_assertion(
                        "schema_privs_are", schema=obj, role=role, privileges=effective,
                        description=f"{role} holds exactly {effective or 'nothing'} on schema {obj}"))
            if object_type == "table":
                for role in ("PUBLIC", *CHECKED_ROLES):
                    columns = by_grantee.get(role, {"columns": {}})["columns"]
                    grants = sorted(f"{c}:{p}" for p, cs in columns.items() for c in cs)
                    checks[target].append(_assertion(
                        "column_grants_are", qualified=obj, role=role, grants=grants,
                        description=f"{role}'s column grants on {obj} are exactly {grants or 'none'}"))
    for expression, target in _by_target(checks):
        suite.add(expression, target)

    suite.comment("Each function's security mode and its pinned search_path, as its definition declares them.")
    modes: dict[str, list[str]] = {t: [] for t in TARGETS}
    for target in TARGETS:
        for item in plans[target]:
            if item.kind is not Function:
                continue
            definer, setting = declared_security(item.inputs)
            signature = item.inputs.signature
            modes[target].append(_assertion("security_mode", signature=signature, definer=definer,
                                            description=f"{signature} is SECURITY {'DEFINER' if definer else 'INVOKER'}"))
            modes[target].append(_assertion("search_path", signature=signature, setting=[setting],
                                            description=f"{signature} pins {setting}"))
    for expression, target in _by_target(modes):
        suite.add(expression, target)


def load_cells(path: Path = MATRIX_PATH) -> list[dict]:
    """Every cell of the matrix: {kind, object, operation, column, actor, expected: {target: outcome}}."""
    document = read_matrix(path)
    # The targets share the tables and functions; the admin lookup table is each target's own.
    every = [("table", document["tables"], TARGETS), ("function", document["functions"], TARGETS),
             *[("table", {"users": document["admin_lookup"][t]}, (t,)) for t in TARGETS]]
    cells: dict[tuple, dict] = {}
    for kind, section, targets in every:
        for obj, rows in section.items():
            for operation, outcomes in rows.items():
                op, _, column = operation.partition(" ")
                for actor, outcome in zip(document["actors"], outcomes):
                    key = (kind, obj, op, column or None, actor)
                    cell = cells.setdefault(key, {"kind": kind, "object": obj, "operation": op,
                                                  "column": column or None, "actor": actor, "expected": {}})
                    for target in targets:
                        cell["expected"][target] = outcome
    return list(cells.values())


def _matrix(suite: Suite, actors: list[str]) -> None:
    forms = _statements()
    for actor in actors:
        if actor in NO_SQL_FORM:
            continue
        if actor not in SESSIONS:
            raise ValueError(f"{MATRIX_PATH}: actor {actor!r} has no SQL form in scheduler_kit/pgtap.py SESSIONS; "
                             "add its role and claims there (or its reason to NO_SQL_FORM)")
    for actor in actors:
        if actor in NO_SQL_FORM:
            continue
        sessions = SESSIONS[actor]
        suite.comment(f"Actor {actor}: " + "; ".join(f"{s.shape}: SET LOCAL ROLE {s.role}, claims "
                                                    f"{json.dumps(s.claims, separators=(',', ':'))}" for s in sessions))
        for cell in (c for c in load_cells() if c["actor"] == actor):
            kind, obj, op, column = cell["kind"], cell["object"], cell["operation"], cell["column"]
            template, measure = forms.get((kind, op, obj)) or forms[(kind, op)]
            statement = render(template, table=f"public.{obj}", **({"column": column} if column else {}))
            # History pages hold at most 1,000 rows: they are read for the file's own jobs (kit_history_jobs).
            total_of = None if op == "INSERT" or obj == "purge_job_execution_history" else (
                "seeded_history" if obj.startswith("get_job_execution_history") else
                "scheduled_jobs" if kind == "function" else obj)
            expected = cell["expected"]
            expected_sql = literal(expected["postgres"]) if expected["postgres"] == expected["supabase"] else \
                sql.SQL(render(_ASSERTIONS["expected_by_target"], postgres=literal(expected["postgres"]),
                               supabase=literal(expected["supabase"])))
            shown = expected["postgres"] if expected["postgres"] == expected["supabase"] else \
                f"{expected['postgres']} on postgres, {expected['supabase']} on supabase"
            for s in sessions:
                values = dict(role=s.role, claims=json.dumps(s.claims, separators=(",", ":")), statement=statement,
                              measure=measure, total_of=total_of, expected=expected_sql,
                              description=f"{actor} ({s.shape}): {obj} {op}{' ' + column if column else ''}: {shown}")
                if s.role == AUTHENTICATOR:  # the session user must be able to become it to stand in for PostgREST
                    suite.add(_assertion("cell_if_session_may_become", **values,
                                         skip_reason=f"the session user may not SET ROLE {AUTHENTICATOR}"))
                else:
                    suite.add(_assertion("cell", **values))
    if "refused_role" in actors:
        suite.comment("Actor refused_role: the memberships that make PostgREST's role switch fail.")
        for role in REFUSED_ROLES:
            suite.add(_assertion("may_not_become", role=role,
                                 description=f"refused_role: authenticator may not become {role}"))


def generate() -> str:
    actors = read_matrix(MATRIX_PATH)["actors"]
    suite = Suite()
    _catalog(suite)
    suite.comment("The access matrix (tests/access_matrix.yaml), one assertion per cell and token shape.")
    _matrix(suite, actors)
    no_sql = "\n".join(f"-- - {actor}: {why}" for actor, why in NO_SQL_FORM.items() if actor in actors)
    preamble = render(sql_text("pgtap/preamble.sql"), admin_sub=literal(ADMIN_SUB), regular_sub=literal(REGULAR_SUB),
                      numeric_admin_id=literal(NUMERIC_ADMIN_ID))
    return "".join([HEADER.format(no_sql_form=no_sql), "\n", preamble, "\n\n", f"SELECT plan({suite.count});\n",
                    "\n".join(suite.lines), "\n\nSELECT * FROM finish();\nROLLBACK;\n"])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-o", "--output", type=Path, default=OUTPUT)
    parser.add_argument("--check", action="store_true", help="exit 1 when the file differs from what it would be")
    args = parser.parse_args(argv)
    text = generate()
    if args.check:
        current = args.output.read_text(encoding="utf-8") if args.output.is_file() else ""
        if current != text:
            print(f"{args.output} is stale; run `make pgtap` and commit it", file=sys.stderr)
            return 1
        return 0
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(text, encoding="utf-8")
    print(f"wrote {args.output} ({text.count(chr(10))} lines)", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
