"""`make mutants`: deliberate weakenings of the kit, each run against the tests that must catch it.

    python -m tests.mutants.run [CATALOGUE.yaml ...] [--only NAME ...]

Default catalogues: tests/mutants/catalogue.yaml (the model, the grants, the admin check, the trigger) and
tests/mutants/gateway_mutants.yaml (the PostgREST gateway). A catalogue is YAML:

    mutants:
      - name: select-policy-true            # unique, required
        description: what mistake it is     # required
        sql: ALTER POLICY ...                # kind `sql`: SQL run after the unmutated model
      - name: empty-sub-is-admin
        description: ...
        replace:                             # kind `replace`: [old, new] pairs applied to the generated model
          - ["old text", "new text"]         #   (`make sql`'s text); `old` must occur
      - name: gateway-exp-ignored
        description: ...
        source: scheduler_kit/gateway.py     # kind `source`: the pairs apply to a copy of this kit file instead
        replace:                             #   (the database gets the unmutated model)
          - ["old text", "new text"]
        tests: [tests/fast/test_gateway.py]  # optional: pytest paths or node ids to run; default [tests/policy]
      - name: anon-member-of-authenticated
        description: ...
        sql: GRANT authenticated TO anon;    # a cluster-wide change (roles are shared by every database) ...
        revert: REVOKE authenticated FROM anon;  # ... is undone by `revert` once the mutant's tests are over

A `source` mutant changes what the pytest process imports (the gateway, SQL templates it reads); the database still
gets the unmutated model, which comes from the runner's own copy (mutate the model with `replace` or `sql`).
`sql` may be combined with `replace` (model) or with `source`. An `old` text that does not occur stops the run
before any test: the catalogue has to follow the code.

Each mutant gets a fresh database with its model (a `source`-only mutant shares one unmutated database; every test
rolls back), then one pytest run (`-x`, HYPOTHESIS_PROFILE=mutants, POLICY_TEST_DSN pointing at it, its actors
logging in as authenticator through POLICY_TEST_AUTHENTICATOR_DSN) whose JUnit XML gives the verdict:
- KILLED: a named test's assertion failed (an `assert`, an AssertionError, pytest.raises or pytest.fail unmet);
  the runner prints that test.
- SURVIVED: every selected test passed.
- ERROR: anything else: a fixture or collection error, an exception that is not an assertion, a pytest-timeout or
  the runner's own timeout (MUTANT_TIMEOUT seconds, default 900), a hypothesis health check or flaky failure, no
  tests run. An error is not a kill: it proves nothing about the access rules.
The unmutated kit runs first, once per distinct test selection, and must pass. Exit status 1 unless every mutant is
KILLED. Mutants run one after another: the machine this was written for has two cores.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from pathlib import Path
from typing import Optional

import psycopg
import yaml

from scheduler_kit.export_sql import build
from tests.support.cluster import Cluster
from tests.support.toolchain import ROOT

CATALOGUE = Path(__file__).with_name("catalogue.yaml")
CATALOGUES = [CATALOGUE, Path(__file__).with_name("gateway_mutants.yaml")]
DEFAULT_TESTS = ("tests/policy",)
KEYS = {"name", "description", "sql", "replace", "source", "tests", "revert"}
KIT_PACKAGE = "scheduler_kit"


class CatalogueError(SystemExit):
    pass


@dataclass(frozen=True)
class Mutant:
    name: str
    description: str
    sql: str = ""
    replace: tuple = ()
    source: Optional[str] = None
    tests: tuple = DEFAULT_TESTS
    revert: str = ""  # SQL undoing a cluster-wide change after the mutant's tests
    where: str = ""  # catalogue file and entry, for messages

    @property
    def kind(self) -> str:
        return "source" if self.source else ("replace" if self.replace else "sql")

    @property
    def needs_own_database(self) -> bool:
        return bool(self.sql) or (bool(self.replace) and not self.source)


def load_catalogue(path: Path) -> list[Mutant]:
    document = yaml.safe_load(path.read_text())
    entries = document.get("mutants") if isinstance(document, dict) else None
    if not isinstance(entries, list):
        raise CatalogueError(f"{path}: expected a top-level `mutants:` list; fix: see the format in {__file__}")
    mutants = []
    for index, entry in enumerate(entries):
        where = f"{path}: mutant {index + 1}" + (f" ({entry.get('name')})" if isinstance(entry, dict) else "")
        if not isinstance(entry, dict):
            raise CatalogueError(f"{where}: expected a mapping with name, description, ...")
        unknown = set(entry) - KEYS
        if unknown:
            raise CatalogueError(f"{where}: unknown keys {sorted(unknown)}; fix: use only {sorted(KEYS)}")
        for key in ("name", "description"):
            if not isinstance(entry.get(key), str) or not entry[key].strip():
                raise CatalogueError(f"{where}: `{key}` is required")
        pairs = entry.get("replace", [])
        if not isinstance(pairs, list) or not all(isinstance(p, list) and len(p) == 2 and all(isinstance(s, str) for s in p)
                                                  for p in pairs):
            raise CatalogueError(f"{where}: `replace` must be a list of [old, new] string pairs")
        if entry.get("source") is not None:
            source = entry["source"]
            if not isinstance(source, str) or not source.startswith(KIT_PACKAGE + "/") or not (ROOT / source).is_file():
                raise CatalogueError(f"{where}: `source` must name a file of the kit, e.g. scheduler_kit/gateway.py")
            if not pairs:
                raise CatalogueError(f"{where}: a `source` mutant needs `replace` pairs")
        tests = entry.get("tests", list(DEFAULT_TESTS))
        if not isinstance(tests, list) or not tests or not all(isinstance(t, str) for t in tests):
            raise CatalogueError(f"{where}: `tests` must be a non-empty list of pytest paths or node ids")
        if not entry.get("sql") and not pairs:
            raise CatalogueError(f"{where}: a mutant needs `sql`, `replace` or `source` with `replace`")
        mutants.append(Mutant(name=entry["name"], description=entry["description"].strip(), sql=entry.get("sql") or "",
                              replace=tuple(tuple(p) for p in pairs), source=entry.get("source"), tests=tuple(tests),
                              revert=entry.get("revert") or "", where=where))
    return mutants


def apply_pairs(text: str, mutant: Mutant, what: str) -> str:
    for old, new in mutant.replace:
        if old not in text:
            raise CatalogueError(f"{mutant.where}: {old[:60]!r}... no longer occurs in {what}; update the catalogue")
        text = text.replace(old, new)
    return text


def model_sql(mutant: Optional[Mutant]) -> str:
    text = build("postgres", protect_history=False)
    if mutant is None:
        return text
    if mutant.replace and not mutant.source:
        text = apply_pairs(text, mutant, "the generated model")
    return text + "\n" + mutant.sql


# A plugin the pytest subprocess loads first (-p): it imports the kit from the mutated copy, so neither the working
# directory nor pytest's rootdir on sys.path can bring the original back, and it refuses to run if it could not.
LOADER = '''
import sys, pathlib
sys.path.insert(0, str(pathlib.Path(__file__).parent))
import {package}
if not {package}.__file__.startswith(str(pathlib.Path(__file__).parent)):
    raise SystemExit("mutant loader: {package} came from " + {package}.__file__ + ", not the mutated copy")
'''


def mutated_source_tree(mutant: Mutant, into: Path) -> None:
    shutil.copytree(ROOT / KIT_PACKAGE, into / KIT_PACKAGE, ignore=shutil.ignore_patterns("__pycache__"))
    # The package finds the checkout's other files beside itself (toolchain/, policies/, the local clusters in
    # .local/, tests/access_matrix.yaml): the copy sees the real ones, so it runs against the same clusters.
    for entry in ROOT.iterdir():
        if entry.name not in (KIT_PACKAGE, ".git") and not (into / entry.name).exists():
            (into / entry.name).symlink_to(entry)
    target = into / mutant.source
    target.write_text(apply_pairs(target.read_text(), mutant, mutant.source))
    (into / "schedkit_mutant_loader.py").write_text(LOADER.format(package=KIT_PACKAGE))


@dataclass
class Verdict:
    verdict: str  # KILLED | SURVIVED | ERROR
    seconds: float
    killers: list[str] = field(default_factory=list)
    first_failure: str = ""  # the first killing assertion's message
    problems: list[str] = field(default_factory=list)
    tests_run: int = 0


_GROUP_ASSERTION = re.compile(r"^\s*\| AssertionError\b", re.MULTILINE)


def is_assertion(message: str, text: str) -> bool:
    """A <failure> that is the test's own expectation failing, not a crash, a timeout or a health check."""
    if message.startswith("Failed: Timeout"):
        return False
    if message.startswith(("assert ", "AssertionError", "Failed: ")) or message == "assert":
        return True
    if message.startswith(("ExceptionGroup", "BaseExceptionGroup")):  # hypothesis: several distinct failures
        return bool(_GROUP_ASSERTION.search(text or ""))
    return False


def nodeid(classname: str, name: str) -> str:
    """JUnit's dotted classname back to a pytest node id (tests.fast.test_x.TestC -> tests/fast/test_x.py::TestC)."""
    parts = classname.split(".")
    for cut in range(len(parts), 0, -1):
        module = Path(*parts[:cut]).with_suffix(".py")
        if (ROOT / module).is_file():
            return "::".join([module.as_posix(), *parts[cut:], name])
    return f"{classname}::{name}" if classname else name


def read_junit(path: Path) -> tuple[int, list[str], str, list[str]]:
    """(tests run, killing node ids, the first killing message, problems) from pytest's JUnit XML."""
    if not path.is_file() or path.stat().st_size == 0:
        return 0, [], "", ["pytest wrote no JUnit report (killed, crashed or timed out)"]
    root = ET.parse(path).getroot()
    ran, killers, first, problems = 0, [], "", []
    for case in root.iter("testcase"):
        ident = nodeid(case.get("classname", ""), case.get("name", ""))
        outcomes = {child.tag: child for child in case}
        if "skipped" not in outcomes or len(outcomes) > 1:
            ran += 1
        for tag, element in outcomes.items():
            message = (element.get("message") or "").strip()
            if tag == "failure" and is_assertion(message, element.text or ""):
                killers.append(ident)
                first = first or " ".join(message.split())[:200]
            elif tag in ("failure", "error"):
                problems.append(f"{tag} in {ident}: {message.splitlines()[0] if message else '(no message)'}"[:300])
    return ran, killers, first, problems


def run_tests(mutant: Optional[Mutant], tests: tuple, cluster: Cluster, database: str, workdir: Path) -> Verdict:
    report = workdir / "junit.xml"
    report.unlink(missing_ok=True)
    env = {**os.environ, "POLICY_TEST_DSN": cluster.dsn_for(database), "HYPOTHESIS_PROFILE": "mutants",
           "POLICY_TEST_AUTHENTICATOR_DSN": cluster.actor_dsn_for(database), "POLICY_TEST_TARGET": cluster.target}
    plugin: list[str] = []
    if mutant is not None and mutant.source:
        tree = workdir / "kit"
        shutil.rmtree(tree, ignore_errors=True)
        mutated_source_tree(mutant, tree)
        env["PYTHONPATH"] = os.pathsep.join([str(tree), str(ROOT), env.get("PYTHONPATH", "")]).rstrip(os.pathsep)
        plugin = ["-p", "schedkit_mutant_loader"]
    command = [sys.executable, "-m", "pytest", *plugin, "-x", "-q", "-p", "no:cacheprovider",
               f"--junitxml={report}", *tests]
    timeout = float(os.environ.get("MUTANT_TIMEOUT", "900"))
    start = time.perf_counter()
    try:
        result = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        return Verdict("ERROR", time.perf_counter() - start, problems=[f"no verdict within {timeout:.0f} s"])
    seconds = time.perf_counter() - start
    ran, killers, first, problems = read_junit(report)
    if result.returncode not in (0, 1) and not killers:
        tail = (result.stdout + result.stderr).strip().splitlines()[-3:]
        problems.append(f"pytest exit {result.returncode}: " + " | ".join(tail))
    if killers:
        return Verdict("KILLED", seconds, killers, first, problems, ran)
    if result.returncode == 0 and not problems and ran > 0:
        return Verdict("SURVIVED", seconds, tests_run=ran)
    if ran == 0 and not problems:
        problems.append("no tests ran")
    return Verdict("ERROR", seconds, problems=problems, tests_run=ran)


def fresh_database(cluster: Cluster, mutant: Optional[Mutant]) -> str:
    database = cluster.create_database("schedkit_mutant")
    try:
        with psycopg.connect(cluster.dsn_for(database), autocommit=True) as conn:
            conn.execute(model_sql(mutant))
    except Exception:
        cluster.drop_database(database)
        raise
    return database


def main(argv: Optional[list[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("catalogues", nargs="*", type=Path, default=CATALOGUES)
    parser.add_argument("--only", action="append", default=[], metavar="NAME", help="run only these mutants")
    args = parser.parse_args(argv)
    mutants = [m for path in args.catalogues for m in load_catalogue(path)]
    names = [m.name for m in mutants]
    duplicates = sorted({n for n in names if names.count(n) > 1})
    if duplicates:
        raise CatalogueError(f"mutant names must be unique: {duplicates}")
    if args.only:
        missing = sorted(set(args.only) - set(names))
        if missing:
            raise CatalogueError(f"--only: no mutant named {missing}")
        mutants = [m for m in mutants if m.name in args.only]
    for mutant in mutants:  # every pair must still apply before anything runs
        if mutant.source:
            apply_pairs((ROOT / mutant.source).read_text(), mutant, mutant.source)
        else:
            model_sql(mutant)

    cluster = Cluster.start("postgres")
    shared = fresh_database(cluster, None)
    try:
        with tempfile.TemporaryDirectory(prefix="schedkit-mutants-") as scratch:
            workdir = Path(scratch)
            for tests in dict.fromkeys(m.tests for m in mutants):
                baseline = run_tests(None, tests, cluster, shared, workdir)
                print(f"baseline (no mutant) on {' '.join(tests)}: "
                      f"{'passes' if baseline.verdict == 'SURVIVED' else 'FAILS'} "
                      f"({baseline.tests_run} tests, {baseline.seconds:.0f} s)", flush=True)
                if baseline.verdict != "SURVIVED":
                    for line in baseline.killers[:1] + [baseline.first_failure] + baseline.problems[:5]:
                        print(f"    {line}")
                    print("the tests fail on the unmutated kit; fix that first")
                    return 1
            failed = []
            for mutant in mutants:
                database = fresh_database(cluster, mutant) if mutant.needs_own_database else shared
                try:
                    verdict = run_tests(mutant, mutant.tests, cluster, database, workdir)
                finally:
                    if mutant.revert:
                        with psycopg.connect(cluster.dsn_for(database), autocommit=True) as conn:
                            conn.execute(mutant.revert)
                    if database != shared:
                        cluster.drop_database(database)
                print(f"  {mutant.name:<34} {verdict.verdict:<8} {verdict.seconds:5.0f} s  [{mutant.kind}] "
                      f"{mutant.description}", flush=True)
                if verdict.killers:
                    more = f" (+{len(verdict.killers) - 1} more)" if len(verdict.killers) > 1 else ""
                    print(f"      killed by {verdict.killers[0]}{more}: {verdict.first_failure}")
                for problem in verdict.problems[:3]:
                    print(f"      {problem}")
                if verdict.verdict != "KILLED":
                    failed.append(mutant.name)
    finally:
        cluster.drop_database(shared)
    killed = len(mutants) - len(failed)
    rate = f" ({100 * killed / len(mutants):.0f}%)" if mutants else ""
    print(f"mutants: {killed} of {len(mutants)} killed{rate}" + (f"; not killed: {', '.join(failed)}" if failed else ""))
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
